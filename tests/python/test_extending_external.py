"""nativecall.extending.external: native functions by address (ctypes, cffi, int, cfunc) called from cfuncs."""
import ctypes
import ctypes.util
import gc
import math
import weakref

import pytest
from source_positions import line_of

import nativecall
from nativecall import cfunc
from nativecall.extending import external
from nativecall.jit import CompileError

LIBM = ctypes.CDLL(ctypes.util.find_library("m"))

C_SOURCE = r"""
#include <stdint.h>
double scaled_sum(double x, int32_t k, int64_t n) { return x * k + (double)n; }
int32_t clamp_int(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }
double read_second(const double *p) { return p[1]; }
"""


@pytest.fixture(scope="module")
def clib(native):
    lib = native.ctypes_library(C_SOURCE)
    return lib


def test_libm_cos_through_ctypes_matches_math_cos():
    c_cos = external("cos", "float64(float64)", LIBM.cos)

    @cfunc("float64(float64)")
    def f(x):
        return c_cos(x) * 2.0 + 1.0

    for x in (0.0, 0.5, -1.25, 3.0, 1e3):
        assert f(x) == math.cos(x) * 2.0 + 1.0
    assert "call" in f.llvm_ir


def test_arguments_convert_by_the_signature_types(clib):
    scaled = external("scaled_sum", "double (double, int, int64)", clib.scaled_sum)
    clamp = external("clamp_int", "int32(int32, int32, int32)", clib.clamp_int)

    @cfunc("float64(int64, float64)")
    def f(n, x):
        # an int where the C function wants a double, a float nowhere: ints and floats convert as in any call
        return scaled(n, 3, n) + clamp(n, -2, 5) + x

    clib.scaled_sum.restype = ctypes.c_double
    clib.scaled_sum.argtypes = (ctypes.c_double, ctypes.c_int32, ctypes.c_int64)
    for n, x in ((0, 0.5), (7, -1.0), (-9, 2.25)):
        assert f(n, x) == clib.scaled_sum(float(n), 3, n) + max(-2, min(5, n)) + x


def test_pointer_argument(clib):
    second = external("read_second", "float64(CPointer(float64))", clib.read_second)

    @cfunc("float64(CPointer(float64))")
    def f(p):
        return second(p) + 1.0

    data = (ctypes.c_double * 3)(1.5, 2.5, 3.5)
    assert f(ctypes.addressof(data)) == 3.5


def test_integer_address():
    address = ctypes.cast(LIBM.sqrt, ctypes.c_void_p).value
    c_sqrt = external("sqrt", "float64(float64)", address)

    @cfunc("float64(float64)")
    def f(x):
        return c_sqrt(x)

    assert f(2.0) == math.sqrt(2.0)
    assert c_sqrt(9.0) == 3.0   # callable from Python too, through the native code


def test_cffi_function_pointer():
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef("double atan2(double, double);")
    libm = ffi.dlopen(ctypes.util.find_library("m"))
    pointer = ffi.addressof(libm, "atan2")
    c_atan2 = external("atan2", "float64(float64, float64)", pointer)

    @cfunc("float64(float64, float64)")
    def f(y, x):
        return c_atan2(y, x)

    for y, x in ((1.0, 2.0), (-3.0, -0.5), (0.0, -1.0)):
        assert f(y, x) == math.atan2(y, x)


def test_another_cfunc_and_a_closure_reference():
    @cfunc("float64(float64, int64)")
    def poly(x, n):
        return x ** 2 + n

    def build():
        ext = external("poly", "float64(float64, int64)", poly)

        @cfunc("float64(float64)")
        def g(x):
            return ext(x, 3) - ext(2.0, 1)
        return g

    g = build()
    for x in (0.0, 1.5, -4.0):
        assert g(x) == (x ** 2 + 3) - (2.0 ** 2 + 1)


def test_stand_in_gives_the_name_and_the_python_behaviour():
    def hypot2(x, y):
        return math.hypot(x, y)

    c_hypot = external(hypot2, "float64(float64, float64)", LIBM.hypot)
    assert c_hypot.__name__ == "hypot2"
    assert c_hypot(3.0, 4.0) == 5.0   # the stand-in runs from Python

    @cfunc("float64(float64, float64)")
    def f(x, y):
        return c_hypot(x, y)

    assert f(5.0, 12.0) == hypot2(5.0, 12.0)
    assert "hypot2" in repr(c_hypot) and "float64(float64, float64)" in repr(c_hypot)


def test_lazy_attribute_of_the_package():
    assert nativecall.extending.external is external
    assert "extending" in nativecall.__all__


def test_owner_lives_as_long_as_a_cfunc_calls_it(native):
    lib = native.ctypes_library("double twice(double x) { return 2 * x; }")
    fn = lib.twice
    owner = weakref.ref(fn)

    def build():
        twice = external("twice", "float64(float64)", fn)

        @cfunc("float64(float64)")
        def f(x):
            return twice(x) + 1.0
        return f

    f = build()
    del fn
    lib_ref = weakref.ref(lib)
    del lib
    gc.collect()
    assert owner() is not None and lib_ref() is not None   # the cfunc holds the function (and its CDLL)
    assert f(4.0) == 9.0
    del f
    gc.collect()
    assert owner() is None


def test_a_called_cfunc_stays_alive_while_its_caller_lives():
    def build():
        @cfunc("float64(float64)")
        def inner(x):
            return x + 0.25
        ext = external("inner", "float64(float64)", inner)

        @cfunc("float64(float64)")
        def outer(x):
            return ext(x) * 2.0
        return outer, weakref.ref(inner)

    outer, inner_ref = build()
    gc.collect()
    assert inner_ref() is not None
    assert outer(1.0) == 2.5


# ---------------------------------------------------------------- bad uses

C_COS = external("cos", "float64(float64)", LIBM.cos)


def too_many(x):
    return C_COS(x, x)


def wrong_type(p):
    return C_COS(p)


def test_arity_mismatch_is_a_compile_error_with_location():
    with pytest.raises(CompileError) as info:
        cfunc("float64(float64)")(too_many)
    line, column = line_of(too_many, "C_COS(x, x)")
    assert info.value.filename == __file__
    assert info.value.lineno == line
    assert "cos() takes 1 arguments, 2 given" in info.value.message
    assert f"line {line}" in str(info.value)


def test_type_mismatch_is_a_compile_error_naming_the_types():
    with pytest.raises(CompileError) as info:
        cfunc("float64(CPointer(float64))")(wrong_type)
    line, _ = line_of(wrong_type, "C_COS(p)")
    assert info.value.lineno == line
    assert "CPointer(float64)" in info.value.message and "float64" in info.value.message


@pytest.mark.parametrize("args, error, text", [
    (("cos", "float64(", LIBM.cos), ValueError, "bad signature"),
    (("cos", "float64(float64)", "not an address"), TypeError, "must be an int, a ctypes or cffi"),
    (("cos", "float64(float64)", 0), ValueError, "must be in"),
    (("cos", "float64(float64)", True), TypeError, "must be an int"),
    (("not a name", "float64(float64)", LIBM.cos), ValueError, "identifier"),
    ((3.5, "float64(float64)", LIBM.cos), TypeError, "name or a Python function"),
])
def test_bad_declarations_are_rejected(args, error, text):
    with pytest.raises(error, match=text):
        external(*args)


def test_declared_signature_must_match_the_address_objects_own():
    fn = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(math.cos)   # a ctypes pointer with argtypes
    with pytest.raises(TypeError, match="has signature"):
        external("cos", "float64(float64, float64)", fn)

    @cfunc("float64(float64)")
    def f(x):
        return x

    with pytest.raises(TypeError, match="has signature"):
        external("f", "int32(int32)", f)
