"""Structs in cfunc: Record layouts against ctypes/cffi/numpy, field reads and writes, seed 002 section 4 vs numba, user_data structs."""
import ctypes
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
import scipy.integrate as si
from cffi import FFI
from scipy import LowLevelCallable as ScipyLowLevelCallable
from scipy import ndimage as sndi

import nativecall
from nativecall import carray, cfunc
from nativecall.jit import CompileError
from nativecall.integrate import quad
from nativecall.types import (CPointer, Field, Record, boolean, float64, from_cffi, from_ctypes, from_dtype,
                              int8, int32, int64, intc, intp, map_type, uint16, voidptr)

# ---- a table of structs, each written once and built three ways ------------------------------
# Members are (name, C type, array shape); "struct X" refers to an earlier entry.

_C_TYPES = {"char": (ctypes.c_char, "i1"), "int8_t": (ctypes.c_int8, "i1"), "uint8_t": (ctypes.c_uint8, "u1"),
            "int16_t": (ctypes.c_int16, "i2"), "uint16_t": (ctypes.c_uint16, "u2"),
            "int": (ctypes.c_int, "i4"), "unsigned int": (ctypes.c_uint, "u4"),
            "int64_t": (ctypes.c_int64, "i8"), "uint64_t": (ctypes.c_uint64, "u8"), "long": (ctypes.c_long, "i8"),
            "float": (ctypes.c_float, "f4"), "double": (ctypes.c_double, "f8"), "_Bool": (ctypes.c_bool, "?")}

STRUCTS = {
    "mixed": [("a", "int8_t", ()), ("b", "int64_t", ()), ("c", "int16_t", ()), ("d", "float", ()),
              ("e", "uint8_t", ())],
    "char_double": [("c", "char", ()), ("d", "double", ())],
    "double_char": [("d", "double", ()), ("c", "char", ())],
    "small": [("x", "uint16_t", ()), ("flag", "_Bool", ()), ("y", "unsigned int", ())],
    "nested": [("tag", "int8_t", ()), ("inner", "struct char_double", ()), ("n", "int", ()),
               ("small", "struct small", ())],
    "arrays": [("k", "char", ()), ("af", "float", (7,)), ("m", "double", (2, 3)), ("b", "_Bool", (3,))],
    "array_of_structs": [("count", "int", ()), ("items", "struct double_char", (3,)), ("last", "int16_t", ())],
    "deep": [("head", "struct nested", ()), ("rows", "struct arrays", (2,)), ("u", "uint64_t", ())],
}


def _cdef(structs):
    return "\n".join(f"struct {name} {{ " + " ".join(
        f"{ctype} {member}{''.join(f'[{n}]' for n in shape)};" for member, ctype, shape in members) + " };"
        for name, members in structs.items())


FFI_TABLE = FFI()
FFI_TABLE.cdef(_cdef(STRUCTS))


def _ctypes_classes(structs):
    classes = {}
    for name, members in structs.items():
        fields = []
        for member, ctype, shape in members:
            t = classes[ctype[7:]] if ctype.startswith("struct ") else _C_TYPES[ctype][0]
            for n in reversed(shape):
                t = t * n
            fields.append((member, t))
        classes[name] = type(name, (ctypes.Structure,), {"_fields_": fields})
    return classes


CTYPES_TABLE = _ctypes_classes(STRUCTS)


def _dtypes(structs):
    dtypes = {}
    for name, members in structs.items():
        fields = []
        for member, ctype, shape in members:
            t = dtypes[ctype[7:]] if ctype.startswith("struct ") else np.dtype(_C_TYPES[ctype][1])
            fields.append((member, t, shape) if shape else (member, t))
        dtypes[name] = np.dtype(fields, align=True)
    return dtypes


DTYPE_TABLE = _dtypes(STRUCTS)


def _records(name):
    return {"cffi": from_cffi(FFI_TABLE, f"struct {name}"), "ctypes": from_ctypes(CTYPES_TABLE[name]),
            "numpy": from_dtype(DTYPE_TABLE[name])}


@pytest.mark.parametrize("name", list(STRUCTS))
@pytest.mark.parametrize("route", ["cffi", "ctypes", "numpy"])
def test_layout_equals_the_c_layout_of_ctypes_and_cffi(name, route):
    rec = _records(name)[route]
    cls, ct = CTYPES_TABLE[name], FFI_TABLE.typeof(f"struct {name}")
    assert rec.size == ctypes.sizeof(cls) == FFI_TABLE.sizeof(ct) == DTYPE_TABLE[name].itemsize
    assert rec.alignment == ctypes.alignment(cls) == FFI_TABLE.alignof(ct)
    assert [f.name for f in rec.fields] == [m[0] for m in STRUCTS[name]]
    for member, _, shape in STRUCTS[name]:
        assert rec.offsets[member] == getattr(cls, member).offset == FFI_TABLE.offsetof(ct, member)
        assert rec.field(member).shape == shape
    assert rec.dtype == DTYPE_TABLE[name]   # and back to numpy


@pytest.mark.parametrize("name", list(STRUCTS))
def test_the_three_routes_build_the_same_record_and_the_compiler_agrees(name):
    records = _records(name)
    assert records["ctypes"].name == records["cffi"].name == records["numpy"].name
    assert nativecall._jit.describe_type(records["cffi"]._described()) == records["cffi"].name


# Random structs: members of every scalar type, inline arrays, one level of nesting.
_SCALAR_C = ["int8_t", "uint8_t", "int16_t", "uint16_t", "int", "unsigned int", "int64_t", "uint64_t", "float",
             "double", "_Bool"]
_member = st.tuples(st.sampled_from(_SCALAR_C), st.sampled_from([(), (1,), (3,), (2, 2)]))
_random_struct = st.tuples(st.lists(_member, min_size=1, max_size=3),          # the nested struct
                           st.lists(st.one_of(_member, st.just(("struct inner", ()))), min_size=1, max_size=6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_random_struct, st.integers(0, 2 ** 32 - 1))
def test_random_structs_agree_with_ctypes_cffi_numpy_and_compiled_reads(spec, seed):
    inner, outer = spec
    structs = {"inner": [(f"a{i}", t, shape) for i, (t, shape) in enumerate(inner)],
               "outer": [(f"b{i}", t, shape) for i, (t, shape) in enumerate(outer)]}
    ffi = FFI()
    ffi.cdef(_cdef(structs))
    classes, dtypes = _ctypes_classes(structs), _dtypes(structs)
    rec = from_cffi(ffi, "struct outer")
    assert rec == from_ctypes(classes["outer"]) == from_dtype(dtypes["outer"])
    assert (rec.size, rec.alignment) == (ffi.sizeof("struct outer"), ffi.alignof("struct outer"))
    assert rec.offsets == {name: ffi.offsetof("struct outer", name) for name, _ in ffi.typeof("struct outer").fields}

    # A generated cfunc sums every number in every record: offsets in compiled code agree too.
    lines = ["def total(p, n):", "    t = 0.0", "    for r in carray(p, n):"]
    for name, ctype, shape in [(f"b{i}", t, s) for i, (t, s) in enumerate(outer)]:
        if ctype == "struct inner":
            lines += [f"        t += r.{name}.a{j}" + (".sum()" if s else "") for j, (_, s) in enumerate(inner)]
        else:
            lines.append(f"        t += r.{name}" + (".sum()" if shape else ""))
    lines.append("    return t")
    total = cfunc(float64(CPointer(rec), intp), source="\n".join(lines) + "\n")

    rng = np.random.default_rng(seed)
    values = np.zeros(3, dtypes["outer"])
    raw = values.view(np.uint8).reshape(3, -1)
    raw[...] = rng.integers(0, 256, raw.shape)   # garbage in the padding, which must never be read
    for name in dtypes["outer"].names:
        _sanitise(values[name], rng)
    expected = 0.0   # in the compiled order: record by record; an array's .sum() in its own float type
    for k in range(3):
        for name in dtypes["outer"].names:
            field = values[name][k]
            for leaf in ([field[n] for n in field.dtype.names] if field.dtype.names else [field]):
                leaf = np.asarray(leaf)
                acc = leaf.dtype if leaf.dtype.kind == "f" else np.int64
                expected += float(np.sum(leaf, dtype=acc)) if leaf.ndim else float(leaf)
    assert total(values, 3) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _sanitise(field, rng):
    """Fresh values of moderate size in every member (padding keeps its random bytes)."""
    if field.dtype.names:
        for n in field.dtype.names:
            _sanitise(field[n], rng)
        return
    base = field.dtype.base
    if base.kind == "b":
        field[...] = rng.integers(0, 2, field.shape).astype(bool)
    elif base.kind == "f":
        field[...] = rng.standard_normal(field.shape)
    else:
        field[...] = rng.integers(0 if base.kind == "u" else -100, 100, field.shape)


# ---- every field kind, read and written from compiled code ----------------------------------

class Inner(ctypes.Structure):
    _fields_ = [("tag", ctypes.c_char), ("value", ctypes.c_double)]


class Every(ctypes.Structure):
    _fields_ = [("i8", ctypes.c_int8), ("u16", ctypes.c_uint16), ("i32", ctypes.c_int32), ("i64", ctypes.c_int64),
                ("u64", ctypes.c_uint64), ("f32", ctypes.c_float), ("f64", ctypes.c_double), ("ok", ctypes.c_bool),
                ("data", ctypes.POINTER(ctypes.c_double)), ("inner", Inner), ("grid", (ctypes.c_int16 * 3) * 2),
                ("pairs", Inner * 2)]


EVERY = from_ctypes(Every)


def _fill(s, data):
    s.i8, s.u16, s.i32, s.i64, s.u64 = -5, 65000, -123456, -(2 ** 40), 2 ** 63 + 7
    s.f32, s.f64, s.ok = 1.5, -2.25, True
    s.data = data
    s.inner.tag, s.inner.value = b"A", 3.5
    for i in range(2):
        for j in range(3):
            s.grid[i][j] = 10 * i + j
        s.pairs[i].tag, s.pairs[i].value = bytes([ord("a") + i]), 0.5 * (i + 1)


def test_every_field_kind_is_read_as_python_would():
    @cfunc(float64(CPointer(EVERY)))
    def total(p):
        s = p[0]
        t = s.i8 + s.u16 + s.i32 + s.i64 * 1e-9 + s.u64 * 1e-18 + s.f32 + s.f64 + s.ok
        t += s.data[0] + s.data[2] + s.inner.tag + s.inner.value
        for row in s.grid:
            t += row.sum()
        t += s.grid[1, 2] * 100 + s.pairs[1].value + s.pairs[0].tag + len(s.pairs) + s.grid.shape[1]
        return t

    data = (ctypes.c_double * 3)(1.0, 2.0, 4.0)
    s = Every()
    _fill(s, data)
    expected = (-5 + 65000 + -123456 + -(2 ** 40) * 1e-9 + (2 ** 63 + 7) * 1e-18 + 1.5 - 2.25 + 1)
    expected += 1.0 + 4.0 + ord("A") + 3.5 + sum(10 * i + j for i in range(2) for j in range(3))
    expected += 12 * 100 + 1.0 + ord("a") + 2 + 3
    assert total(ctypes.addressof(s)) == pytest.approx(expected, rel=1e-15)


def test_every_field_kind_is_written_to_memory():
    @cfunc(intc(CPointer(EVERY), float64))
    def write(p, v):
        s = p[0]
        s.i8 = 300          # wraps to int8, as a C store does
        s.u16 = v
        s.i32 -= 7
        s.i64 = -1
        s.u64 = 2 ** 63
        s.f32 = v / 3
        s.f64 += v
        s.ok = v < 0
        s.data[1] = v * 2
        s.inner.value = v
        s.inner.tag = 90
        s.grid[1, 0] = 77
        s.grid[0][2] += 1
        s.pairs[1].value = -v
        return 1

    data = (ctypes.c_double * 3)(1.0, 2.0, 4.0)
    s = Every()
    _fill(s, data)
    assert write(ctypes.addressof(s), 12.75) == 1
    assert (s.i8, s.u16, s.i32, s.i64, s.u64) == (ctypes.c_int8(300).value, 12, -123463, -1, 2 ** 63)
    assert s.f32 == np.float32(12.75 / 3) and s.f64 == -2.25 + 12.75 and s.ok is False
    assert list(data) == [1.0, 25.5, 4.0]
    assert (s.inner.value, s.inner.tag) == (12.75, b"Z")
    assert [list(r) for r in s.grid] == [[0, 1, 3], [77, 11, 12]]
    assert (s.pairs[0].value, s.pairs[1].value) == (0.5, -12.75)


def test_arrays_of_records_from_numpy_with_reference_semantics():
    dt = np.dtype([("x", "f8"), ("n", "i4"), ("w", "f4", (2,))], align=True)
    rec = from_dtype(dt)

    @cfunc(float64(voidptr, intp))
    def scale(raw, n):
        a = carray(raw, n, dtype=rec)
        acc = 0.0
        for r in a:          # each r refers to the array's memory
            r.x = r.x * r.n
            r.w[1] = r.w[0] + 1
            acc += r.x
        return acc

    a = np.zeros(4, dt)
    a["x"], a["n"], a["w"][:, 0] = [1.5, 2.0, -1.0, 0.25], [2, 3, 4, 5], [0.5, 1.5, 2.5, 3.5]
    expected = a.copy()
    expected["x"] *= expected["n"]
    expected["w"][:, 1] = expected["w"][:, 0] + 1
    assert scale(a, 4) == pytest.approx(expected["x"].sum(), rel=1e-15)
    np.testing.assert_array_equal(a, expected)


def test_whole_records_are_copied_as_numpy_copies_them():
    inner = np.dtype([("c", "i1"), ("v", "f8")], align=True)
    dt = np.dtype([("id", "i4"), ("inner", inner), ("m", "f4", (2, 3))], align=True)

    @cfunc(intc(CPointer(from_dtype(dt)), intp))
    def shuffle(p, n):
        a = carray(p, n)
        a[n - 1] = a[0]          # an element of an array of records
        p[1].inner = p[2].inner  # a nested record field
        return 0

    rng = np.random.default_rng(4)
    values = np.zeros(4, dt)
    values["id"], values["inner"]["c"] = [1, 2, 3, 4], [5, 6, 7, 8]
    values["inner"]["v"], values["m"] = rng.standard_normal(4), rng.standard_normal((4, 2, 3))
    expected = values.copy()
    expected[3] = expected[0]
    expected[1]["inner"] = expected[2]["inner"]
    shuffle(values, 4)
    np.testing.assert_array_equal(values, expected)


def test_plain_python_carray_over_a_record_dtype_gives_a_structured_view():
    rec = from_ctypes(Inner)
    items = (Inner * 2)((b"a", 1.0), (b"b", 2.0))
    view = carray(ctypes.addressof(items), 2, dtype=rec)
    assert view.dtype == rec.dtype and view["value"].tolist() == [1.0, 2.0]


# ---- seed 002 section 4: numba's cffi struct example, with numba as the oracle ---------------

SEED_SRC = """
/* Define the C struct */
typedef struct my_struct {
   int    i1;
   float  f2;
   double d3;
   float  af4[7]; // arrays are supported
} my_struct;

/* Define a callback function */
typedef double (*my_func)(my_struct*, size_t);
"""


def foo(ptr, n):
    base = numba_carray(ptr, n)  # view pointer as an array of my_struct
    tmp = 0
    for i in range(n):
        tmp += base[i].i1 * base[i].f2 / base[i].d3
        tmp += base[i].af4.sum()  # nested arrays are like normal NumPy arrays
    return tmp


def test_seed_cffi_struct_example_matches_numba():
    numba = pytest.importorskip("numba")
    from numba.core.typing import cffi_utils
    globals()["numba_carray"] = numba.carray   # the same function text runs under both compilers
    ffi = FFI()
    ffi.cdef(SEED_SRC)
    sig = map_type(ffi.typeof("my_func"), use_record_dtype=True)
    numba_sig = cffi_utils.map_type(ffi.typeof("my_func"), use_record_dtype=True)
    assert str(sig.args[0].dtype) == str(numba_sig.args[0].dtype).replace(";True)", ";8)")
    ours, from_numba_sig, theirs = cfunc(sig)(foo), cfunc(numba_sig)(foo), numba.cfunc(numba_sig)(foo)
    assert ours.c_signature == "double (void *, size_t)"

    rng = np.random.default_rng(2)
    n = 5
    buf = ffi.new("my_struct[]", n)
    for i in range(n):
        buf[i].i1, buf[i].f2, buf[i].d3 = int(rng.integers(-50, 50)), rng.standard_normal(), 0.5 + rng.random()
        for k in range(7):
            buf[i].af4[k] = rng.standard_normal()
    address = int(ffi.cast("uintptr_t", buf))
    expected = theirs.ctypes(address, n)
    assert ours(address, n) == expected            # same operations, same rounding
    assert from_numba_sig(address, n) == expected
    assert ours.cffi(buf, n) == expected            # through cffi, the struct pointer is a void *


# ---- user_data pointing at a struct: many parameters for quad and generic_filter ------------

class Params(ctypes.Structure):
    _fields_ = [("a", ctypes.c_double), ("k", ctypes.c_double), ("power", ctypes.c_int), ("coef", ctypes.c_double * 3)]


PARAMS = from_ctypes(Params)


@cfunc(float64(float64, CPointer(PARAMS)))
def damped(x, user_data):
    p = user_data[0]
    poly = p.coef[0] + p.coef[1] * x + p.coef[2] * x ** 2
    return p.a * math.exp(-p.k * x) * x ** p.power + poly


def _damped_python(x, p):
    return p.a * math.exp(-p.k * x) * x ** p.power + p.coef[0] + p.coef[1] * x + p.coef[2] * x ** 2


def test_user_data_struct_in_nativecall_quad_and_scipy_quad():
    params = Params(2.0, 1.5, 3, (0.5, -0.25, 0.125))
    expected = si.quad(_damped_python, 0, 2, args=(params,))
    assert damped.c_signature == "double (double, void *)"
    ours = quad(nativecall.LowLevelCallable(damped, user_data=params), 0, 2)
    scipy_native = si.quad(damped.to_scipy(user_data=params), 0, 2)
    scipy_direct = si.quad(ScipyLowLevelCallable(damped.ctypes, ctypes.cast(ctypes.pointer(params), ctypes.c_void_p)),
                           0, 2)
    assert ours[0] == pytest.approx(expected[0], rel=1e-13)
    assert scipy_native[0] == pytest.approx(expected[0], rel=1e-13)
    assert scipy_direct[0] == scipy_native[0]
    params.power = 1                                   # the callback reads the struct at every call
    assert quad(nativecall.LowLevelCallable(damped, user_data=params), 0, 2)[0] == \
        pytest.approx(si.quad(_damped_python, 0, 2, args=(params,))[0], rel=1e-13)


FILTER = from_dtype(np.dtype([("weights", "f8", (5,)), ("offset", "f8"), ("count", "i8")], align=True))


@cfunc(intc(CPointer(float64), intp, CPointer(float64), CPointer(FILTER)))
def weighted(values, size, result, user_data):
    s = user_data[0]
    acc = s.offset
    for i in range(size):
        acc += values[i] * s.weights[i]
    result[0] = acc
    s.count += 1          # the struct can carry results back too
    return 1


def test_user_data_struct_in_generic_filter_matches_scipy():
    image = np.random.default_rng(3).standard_normal((12, 9))
    state = np.zeros(1, FILTER.dtype)
    state["weights"][0], state["offset"] = [0.1, -0.2, 0.3, 0.4, 0.5], 0.75
    footprint = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
    w, off = state["weights"][0].copy(), float(state["offset"][0])
    expected = sndi.generic_filter(image, lambda v: off + np.dot(v, w), footprint=footprint, mode="nearest")
    ours = nativecall.ndimage.generic_filter(image, nativecall.LowLevelCallable(weighted, user_data=state),
                                             footprint=footprint, mode="nearest", workers=1)
    np.testing.assert_allclose(ours, expected, rtol=1e-14, atol=1e-14)
    assert state["count"][0] == image.size
    scipy_native = sndi.generic_filter(image, weighted.to_scipy(user_data=state), footprint=footprint, mode="nearest")
    np.testing.assert_array_equal(scipy_native, ours)


# ---- bad inputs -----------------------------------------------------------------------------

def test_unknown_field_names_the_record_the_fields_and_the_place():
    def f(p):
        return p[0].valeu

    with pytest.raises(CompileError) as info:
        cfunc(float64(CPointer(from_ctypes(Inner))))(f)
    e = info.value
    assert "Inner has no field 'valeu' (its fields: tag, value)" in e.message
    assert e.lineno == f.__code__.co_firstlineno + 1


@pytest.mark.parametrize("body, expected", [
    ("p[0].grid = 1.0", "cannot assign to the whole array field 'grid' of Every"),
    ("p[0].inner = p[1]", "cannot assign Record("),
    ("p[0].data = 1.0", "cannot assign float64 to field 'data' of Every, which holds CPointer(float64)"),
    ("p[0].f64 = p[0].grid", "cannot assign array(int16, 2d, C) to field 'f64'"),
    ("p[0] = 1.0", "cannot store float64 into CPointer(Record("),
    ("x = EVERY(1.0)", "cannot call dtype(Record("),
])
def test_wrong_writes_and_uses_are_compile_errors(body, expected):
    source = f"def f(p):\n    {body}\n    return 0.0\n"
    with pytest.raises(CompileError) as info:
        cfunc(float64(CPointer(EVERY)), source=source)
    assert expected in info.value.message and info.value.lineno == 2


class Packed(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("c", ctypes.c_char), ("d", ctypes.c_double)]


class Bits(ctypes.Structure):
    _fields_ = [("a", ctypes.c_int, 3), ("b", ctypes.c_int, 5)]


class Both(ctypes.Union):
    _fields_ = [("i", ctypes.c_int), ("f", ctypes.c_float)]


class HasUnion(ctypes.Structure):
    _fields_ = [("u", Both)]


class Big(ctypes.BigEndianStructure):
    _fields_ = [("x", ctypes.c_int)]


class LongDouble(ctypes.Structure):
    _fields_ = [("x", ctypes.c_longdouble)]


@pytest.mark.parametrize("build, error, expected", [
    (lambda: from_ctypes(Packed), ValueError, "field 'd' at offset 1 is not aligned to its 8 bytes (packed layouts are not supported)"),
    (lambda: from_ctypes(Bits), ValueError, "Bits.a is a bit-field"),
    (lambda: from_ctypes(Both), TypeError, "unions are not supported"),
    (lambda: from_ctypes(HasUnion), TypeError, "HasUnion.u is a union"),
    (lambda: from_ctypes(Big), ValueError, "non-native byte order"),
    (lambda: from_ctypes(LongDouble), TypeError, "LongDouble.x has the ctypes type c_longdouble"),
    (lambda: from_ctypes(ctypes.c_int), TypeError, "needs a ctypes.Structure subclass"),
    (lambda: from_dtype(np.dtype([("c", "i1"), ("d", "f8")])), ValueError, "it is packed"),
    (lambda: from_dtype(np.dtype([("d", "f8"), ("c", "i1")])), ValueError, "align=True"),
    (lambda: from_dtype(np.dtype([("x", ">f8")])), ValueError, "non-native byte order"),
    (lambda: from_dtype(np.dtype([("x", "O")])), TypeError, "field 'x' of"),
    (lambda: from_dtype(np.dtype([("x", "U3")])), TypeError, "which a record cannot hold"),
    (lambda: Record([Field("a", 0, float64, (4,))], 16, 8), ValueError, "ends at byte 32, past the record's size 16"),
    (lambda: Record([Field("a", 0, float64)], 8, 3), ValueError, "alignment 3 must be a power of two"),
    # Out-of-range numbers get a message, not "std::bad_cast"; an extent whose bytes wrap
    # around 2**64 must not pass the size check.
    (lambda: Record([Field("a", -8, float64)], 8, 8), ValueError, "field 'a': the offset must be in [0, 2**64), got -8"),
    (lambda: Field("a", 0.5, float64), TypeError, "Field 'a': the offset must be an int and the shape an int or a tuple"),
    (lambda: Field("a", 0, float64, (2.5,)), TypeError, "got offset=0, shape=(2.5,)"),
    (lambda: Field(3, 0, float64), TypeError, "Field(): the name must be a str, got 3"),
    (lambda: Record([Field("a", 0, float64)], 8.5, 8), TypeError, "the size and the alignment must be ints, got size=8.5"),
    (lambda: Record([Field("a", 0, float64)], 2 ** 70, 8), ValueError, "the size must be in [0, 2**64)"),
    (lambda: Record([Field("a", 0, float64, (2 ** 64,))], 8, 8), ValueError, "array extents must be positive and below"),
    (lambda: Record([Field("a", 0, float64, (2 ** 62,))], 8, 8), ValueError,
     "an array of extent 4611686018427387904 does not fit in the record's size 8"),
    (lambda: Record([Field("a", 0, float64, (2 ** 31, 2 ** 31))], 8, 8), ValueError, "does not fit in the record's size 8"),
    (lambda: Record([Field("a", 0, "double")], 8, 8), TypeError, "expected a nativecall scalar, CPointer or Record"),
    (lambda: from_dtype("U3"), TypeError, "needs a structured dtype (with named fields) or a number dtype"),
    (lambda: from_dtype({"names": ["a", "b"], "formats": ["f8", "f8"], "offsets": [0, 0], "itemsize": 8}),
     ValueError, "overlaps the previous field (unions are not supported)"),
])
def test_unsupported_members_are_refused_when_the_record_is_built(build, error, expected):
    with pytest.raises(error) as info:
        build()
    assert expected in str(info.value)


@pytest.mark.parametrize("cdef, name, expected", [
    ("struct bits { int a : 3; int b : 5; };", "struct bits", "struct bits.a is a bit-field"),
    ("union u { int i; float f; };", "union u", "unions are not supported"),
    ("struct flex { int n; double data[]; };", "struct flex", "flexible array member"),
    ("struct ld { long double x; };", "struct ld", "struct ld.x has the C type 'long double'"),
    ("struct opaque;", "struct opaque", "opaque"),
])
def test_unsupported_cffi_structs_are_refused(cdef, name, expected):
    ffi = FFI()
    ffi.cdef(cdef)
    with pytest.raises((TypeError, ValueError)) as info:
        from_cffi(ffi, name)
    assert expected in str(info.value)


def test_cffi_types_map_like_numbas_map_type():
    ffi = FFI()
    ffi.cdef("struct pt { double x, y; double (*f)(double); };"
             "typedef int (*cb)(struct pt *, void *, unsigned short, long);")
    sig = map_type(ffi.typeof("cb"))
    assert sig.return_type == int32 and sig.args[1:] == (voidptr, uint16, int64)
    assert sig.args[0].dtype == from_cffi(ffi, "struct pt")
    assert from_cffi(ffi, "struct pt").field("f").type == voidptr      # a function pointer member
    assert str(map_type(ffi.typeof("double(*)(struct pt *, int)"))) == str(float64(sig.args[0], int32))
    assert map_type(ffi.typeof("double")) == float64 and map_type(ffi.typeof("_Bool")) == boolean
    assert from_dtype(np.float64) == float64 and from_dtype("u2") == uint16   # numba's from_dtype on scalars
    assert map_type(ffi.typeof("int8_t *")) == CPointer(int8)
    with pytest.raises(TypeError, match="needs a cffi type"):
        map_type("double")


def test_record_pointer_results_are_refused():
    with pytest.raises(TypeError, match="cannot return a record pointer"):
        cfunc(CPointer(PARAMS)(voidptr), source="def f(p):\n    return p\n")



def test_structs_by_value_are_refused_saying_so():
    # cffi function types may pass or return a struct by value; the message says that, not "voidptr".
    ffi = FFI()
    ffi.cdef("struct pt { double x, y; };")
    by_value = map_type(ffi.typeof("double(*)(struct pt)"))
    with pytest.raises(TypeError, match=r"parameter 1 is a struct passed by value \(struct pt\), which cfuncs "
                                        r"cannot take: pass a pointer to it, CPointer\(rec\)"):
        cfunc(by_value, source="def f(p):\n    return 0.0\n")
    with pytest.raises(TypeError, match=r"cannot return a struct by value \(struct pt\)"):
        cfunc(map_type(ffi.typeof("struct pt(*)(double)")), source="def f(x):\n    return x\n")


def test_numba_record_signatures_are_accepted():
    numba = pytest.importorskip("numba")
    dt = np.dtype([("a", "f8"), ("b", "i4")], align=True)
    sig = numba.types.float64(numba.types.CPointer(numba.from_dtype(dt)))

    @cfunc(sig)
    def get(p):
        return p[0].a * p[0].b

    values = np.array([(1.5, 4)], dt)
    assert get(values) == 6.0


def test_a_struct_pointer_passes_to_another_cfunc_as_its_void_pointer():
    @cfunc(float64(CPointer(PARAMS)))
    def first_coef(p):
        return p[0].coef[0]

    @cfunc(float64(float64, CPointer(PARAMS)))
    def shifted(x, p):
        return damped(x, p) + first_coef(p)

    params = Params(1.0, 0.5, 2, (3.0, 0.0, 0.0))
    assert shifted(0.5, ctypes.addressof(params)) == _damped_python(0.5, params) + 3.0


class ListNode(ctypes.Structure):
    pass


ListNode._fields_ = [("value", ctypes.c_double), ("next", ctypes.POINTER(ListNode)),
                     ("callback", ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)), ("label", ctypes.c_char_p)]


def test_a_struct_pointing_to_itself_has_a_voidptr_member_the_code_follows():
    # A linked list: the pointer back to the struct being described is a voidptr (the
    # Record does not exist yet), with the layout ctypes and cffi give.
    node_type = from_ctypes(ListNode)
    assert node_type.offsets == {name: getattr(ListNode, name).offset for name in ("value", "next", "callback", "label")}
    assert node_type.field("next").type == voidptr and node_type.field("callback").type == voidptr
    assert node_type.field("label").type == CPointer(int8)
    ffi = FFI()
    ffi.cdef("struct node { double value; struct node *next; double (*callback)(double); char *label; };")
    assert from_cffi(ffi, "struct node").fields == node_type.fields

    @cfunc(float64(voidptr))
    def total(p):
        s = 0.0
        while p:
            node = carray(p, 1, dtype=node_type)[0]
            s += node.value
            p = node.next
        return s

    nodes = [ListNode(v) for v in (1.5, -2.0, 4.25)]
    for a, b in zip(nodes, nodes[1:]):
        a.next = ctypes.pointer(b)
    assert total(ctypes.addressof(nodes[0])) == sum(n.value for n in nodes)


def test_ctypes_character_members_map_as_cffi_maps_the_same_c_struct():
    class Text(ctypes.Structure):
        _fields_ = [("c", ctypes.c_char), ("w", ctypes.c_wchar), ("s", ctypes.c_char_p), ("ws", ctypes.c_wchar_p),
                    ("buffer", ctypes.c_wchar * 4)]

    ffi = FFI()
    ffi.cdef("struct text { char c; wchar_t w; char *s; wchar_t *ws; wchar_t buffer[4]; };")
    assert from_ctypes(Text).fields == from_cffi(ffi, "struct text").fields


def test_a_field_shape_may_be_one_int_for_a_one_dimensional_array():
    assert Field("af4", 16, float64, 7) == Field("af4", 16, float64, (7,)) == Field("af4", 16, float64, (np.int64(7),))
