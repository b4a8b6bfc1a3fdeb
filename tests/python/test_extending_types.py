"""nativecall.extending custom types: fields, construction, constants, computed attributes, operators, casts, box/unbox."""
import math
import operator

import pytest

from nativecall import carray, cfunc, types
from nativecall.extending import jitable, lower_cast, overload, overload_attribute, overload_method, register_type
from nativecall.jit import CompileError
from source_positions import line_of


class Vec3:
    """The reference implementation: compiled code must agree with it."""

    def __init__(self, x, y, z):
        self.x, self.y, self.z = x, y, z

    def __add__(self, other):
        return Vec3(self.x + other.x, self.y + other.y, self.z + other.z)

    def __mul__(self, k):
        return Vec3(self.x * k, self.y * k, self.z * k)

    @property
    def norm(self):
        return math.sqrt(self.x * self.x + self.y * self.y + self.z * self.z)


Vec3Type = register_type(Vec3, [("x", types.float64), ("y", types.float64), ("z", types.float64)])


@overload(operator.add)
def vec3_add(a, b):
    if a == Vec3Type and b == Vec3Type:
        def impl(a, b):
            return Vec3(a.x + b.x, a.y + b.y, a.z + b.z)
        return impl
    return None


@overload(operator.mul)
def vec3_scale(v, k):
    if v == Vec3Type and k in (types.float64, types.int64):
        def impl(v, k):
            return Vec3(v.x * k, v.y * k, v.z * k)
        return impl
    return None


@overload_attribute(Vec3Type, "norm")
def vec3_norm(v):
    def impl(v):
        return math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z)
    return impl


UP = Vec3(0.0, 0.0, 1.0)
CASES = [(1.0, 2.0, 3.0), (-0.5, 0.0, 1e-3), (1e150, 2e150, -3e150), (0.0, 0.0, 0.0)]


def lifted(x, y, z):
    v = Vec3(x, y, z) + UP * 2.0
    return v.norm + v.z * 3


def test_vec3_arithmetic_attributes_and_a_constant_global_agree_with_cpython():
    compiled = cfunc("float64(float64, float64, float64)")(lifted)
    for case in CASES:
        assert compiled(*case) == lifted(*case)


def test_values_flow_through_variables_branches_loops_and_jitables():
    @jitable
    def longest(a, b):
        if a.norm >= b.norm:
            return a
        return b

    def walk(x, n):
        v = Vec3(x, 0.0, 0.0)
        best = Vec3(0.0, 0.0, 0.0)
        for i in range(n):
            v = v + Vec3(0.0, 1.0, float(i)) * 0.5
            best = longest(best, v)
        return best.y - best.x + best.z

    compiled = cfunc("float64(float64, int64)")(walk)
    for x, n in ((1.0, 5), (-3.0, 0), (0.25, 17)):
        assert compiled(x, n) == walk(x, n)


def test_the_constructor_converts_numbers_like_a_call_and_checks_its_arity():
    def from_ints(n):
        return Vec3(n, 2, True).x + Vec3(n, 2, True).z

    assert cfunc("float64(int32)")(from_ints)(7) == 8.0

    def too_few(x):
        return Vec3(x, x).x

    with pytest.raises(CompileError, match=r"Vec3\(\) takes 3 argument\(s\), 2 given") as info:
        cfunc("float64(float64)")(too_few)
    assert (info.value.lineno, info.value.column) == line_of(too_few, "Vec3(x, x)")

    def from_pointer(p):
        return Vec3(p, 1.0, 2.0).x

    with pytest.raises(CompileError, match=r"argument 1 of Vec3\(\): cannot convert voidptr to float64"):
        cfunc("float64(voidptr)")(from_pointer)


def test_constant_globals_are_read_when_the_cfunc_compiles():
    global ORIGIN
    ORIGIN = Vec3(1.0, 2, 3.5)       # an int field value becomes float64

    def offset(x):
        return (ORIGIN + Vec3(x, x, x)).y

    compiled = cfunc("float64(float64)")(offset)
    ORIGIN = Vec3(100.0, 100.0, 100.0)
    assert compiled(1.0) == 3.0
    assert cfunc("float64(float64)")(offset)(1.0) == 101.0


def test_a_tuple_of_custom_values_is_indexed_with_constants_only_and_the_error_says_so():
    def pick(x):
        t = (Vec3(x, 0.0, 0.0), Vec3(0.0, x, 0.0))
        return t[1].y + t[int(x)].x

    with pytest.raises(CompileError, match=r"only a tuple of one number type can be indexed at run time; "
                                           r"Tuple\(Vec3, Vec3\) needs a constant index"):
        cfunc("float64(float64)")(pick)


def test_unknown_attributes_and_unsupported_operations_are_compile_errors():
    def misspelt(x):
        return Vec3(x, x, x).w

    with pytest.raises(CompileError, match="Vec3 has no attribute 'w'") as info:
        cfunc("float64(float64)")(misspelt)
    assert info.value.lineno == line_of(misspelt, ".w")[0]

    def subtracted(x):
        v = Vec3(x, x, x) - Vec3(x, x, x)
        return v.x

    with pytest.raises(CompileError, match="cannot subtract Vec3 and Vec3"):
        cfunc("float64(float64)")(subtracted)

    def returned(x):
        return Vec3(x, x, x)

    with pytest.raises(CompileError, match="cannot return Vec3 from a function whose signature returns float64"):
        cfunc("float64(float64)")(returned)


class Segment:
    def __init__(self, a, b):
        self.a, self.b = a, b


SegmentType = register_type(Segment, [("a", Vec3Type), ("b", Vec3Type)])


@overload_attribute(SegmentType, "length")
def segment_length(s):
    def impl(s):
        return (s.b + s.a * -1.0).norm
    return impl


UNIT_X = Segment(Vec3(0.0, 0.0, 0.0), Vec3(1.0, 0.0, 0.0))


def test_custom_types_nest_as_fields_and_as_constants():
    def stretched(k):
        s = Segment(UNIT_X.a, UNIT_X.b * k)
        return s.length + s.b.x

    compiled = cfunc("float64(float64)")(stretched)
    for k in (2.0, -3.0, 0.5):
        assert compiled(k) == abs(k) + k


class Counted:
    def __init__(self, n, pair):
        self.n, self.pair = n, pair


CountedType = register_type(Counted, [("n", types.int64), ("pair", types.Tuple((types.float64, types.float64)))])


def test_constant_fields_take_numpy_scalars_and_mismatched_values_are_errors_not_crashes():
    import numpy as np
    global CONSTANT
    source = "def total(x):\n    return CONSTANT.n + CONSTANT.pair[0] + CONSTANT.pair[1] + x\n"
    # numpy scalars are numbers, as for any global (Vec3(*array) is the usual way to get them).
    CONSTANT = Counted(np.int64(3), (np.float32(0.5), 2.0))
    reference = 3 + float(np.float32(0.5)) + 2.0 + 1.0
    assert cfunc("float64(float64)", source=source)(1.0) == reference
    for value, error, message in [
            (Counted("3", (1.0, 2.0)), TypeError, "a Counted global has str '3' as its field 'n', which is int64"),
            (Counted(None, (1.0, 2.0)), TypeError, "as its field 'n', which is int64: expected an int, float or bool"),
            (Counted(2.5, (1.0, 2.0)), CompileError, "a constant int64 must be an int or a bool, got the float 2.5\n"),
            (Counted(1, (1.0, 2.0, 3.0)), CompileError, r"must be a tuple of 2 values, got a tuple of 3 values"),
            (Counted(1, (1.0,)), CompileError, r"must be a tuple of 2 values, got a tuple of 1 values"),
            (Counted(1, 5.0), CompileError, r"must be a tuple of 2 values, got the float 5")]:
        CONSTANT = value
        with pytest.raises(error, match=message):
            cfunc("float64(float64)", source=source)


class Polyline:
    def __init__(self, corners, closed):
        self.corners, self.closed = corners, closed


PolylineType = register_type(Polyline, [("corners", types.Tuple((Vec3Type, Vec3Type))), ("closed", types.boolean)])


def test_a_constant_with_a_tuple_of_custom_values_is_read_member_by_member():
    global TRIANGLE_EDGE
    TRIANGLE_EDGE = Polyline((Vec3(1.0, 2.0, 2.0), Vec3(0.0, 3.0, 4.0)), True)

    def length(k):
        a, b = TRIANGLE_EDGE.corners
        return (a.norm + b.norm) * k if TRIANGLE_EDGE.closed else 0.0

    assert cfunc("float64(float64)")(length)(2.0) == length(2.0)


# ---------------------------------------------------------------- casts, boxing and unboxing


class Celsius:
    def __init__(self, degrees):
        self.degrees = degrees


class Fahrenheit:
    def __init__(self, degrees):
        self.degrees = degrees

    def __eq__(self, other):
        return isinstance(other, Fahrenheit) and other.degrees == self.degrees


CelsiusType = register_type(Celsius, [("degrees", types.float64)])
FahrenheitType = register_type(Fahrenheit, [("degrees", types.float64)])


@lower_cast(CelsiusType, FahrenheitType)
def celsius_to_fahrenheit(c):
    return Fahrenheit(c.degrees * 9.0 / 5.0 + 32.0)


def warmer(c):
    return Celsius(c.degrees + 1.0)


def test_a_scalar_type_crosses_the_c_signature_boxed_and_unboxed_and_casts_on_return():
    compiled = cfunc(FahrenheitType(CelsiusType))(warmer)
    assert compiled.c_signature == "double (double)"
    for degrees in (-40.0, 0.0, 36.6, 99.0):
        result = compiled(Celsius(degrees))
        assert isinstance(result, Fahrenheit)
        assert result == Fahrenheit(warmer(Celsius(degrees)).degrees * 9.0 / 5.0 + 32.0)
    # The native code takes and returns doubles: what routines and ctypes see.
    assert compiled.ctypes(99.0) == 212.0


def test_a_cfunc_with_custom_types_in_its_signature_pickles_and_keeps_the_registered_types():
    import pickle
    compiled = cfunc(FahrenheitType(CelsiusType))(warmer)
    clone = pickle.loads(pickle.dumps(compiled))
    assert clone(Celsius(99.0)) == compiled(Celsius(99.0)) == Fahrenheit(212.0)
    # Types are identities: the unpickled one is the registered one, box/unbox included.
    assert pickle.loads(pickle.dumps(CelsiusType)) is CelsiusType
    unregistered = types.CustomType("NeverRegisteredType", [("v", types.float64)])
    with pytest.raises(pickle.UnpicklingError, match="'NeverRegisteredType' is not registered in this process"):
        pickle.loads(pickle.dumps(unregistered))


def test_a_scalar_type_returned_where_c_wants_its_number_gives_the_number():
    def degrees_plus(c, d):
        return Celsius(c.degrees + d)

    compiled = cfunc(types.float64(CelsiusType, types.float64))(degrees_plus)
    assert compiled(Celsius(10.0), 2.5) == 12.5


def test_custom_box_and_unbox_functions_and_their_failures():
    class Meters:
        def __init__(self, value):
            self.value = value

    def strict_unbox(m):
        if m.value < 0:
            raise ValueError("negative length")
        return m.value

    MetersType = register_type(Meters, [("value", types.float64)], name="TestMeters", unbox=strict_unbox,
                               box=lambda v: Meters(round(v, 6)))

    @cfunc(MetersType(MetersType, types.float64))
    def scaled(m, k):
        return Meters(m.value * k)

    assert scaled(Meters(2.0), 1.5).value == 3.0
    with pytest.raises(TypeError, match=r"argument 1 of scaled\(\): cannot unbox Meters as TestMeters: "
                                        r"ValueError: negative length") as info:
        scaled(Meters(-1.0), 1.0)
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(TypeError, match=r"argument 1 of warmer\(\): cannot unbox float as Celsius: "
                                        r"TypeError: expected a Celsius"):
        cfunc(FahrenheitType(CelsiusType))(warmer)(20.0)

    class Loose:
        def __init__(self, value):
            self.value = value

    LooseType = register_type(Loose, [("value", types.float64)], name="TestLoose", unbox=lambda m: m.value)

    @cfunc(types.float64(LooseType, types.float64))
    def loose(m, k):
        return m.value * k

    with pytest.raises(TypeError, match=r"loose\(\): argument 1: expected a float, got str "
                                        r"\(TestLoose's unbox returned str '2.5'\)"):
        loose(Loose("2.5"), 2.0)
    with pytest.raises(TypeError, match=r"^argument 2: expected a float, got str$"):   # not unbox's doing
        loose(Loose(2.5), "2")

    class Broken:
        def __init__(self, value):
            raise RuntimeError("cannot build")

    BrokenType = register_type(Broken, [("value", types.float64)], name="TestBroken")

    @cfunc(BrokenType(types.float64))
    def make(x):
        return Broken(x)

    with pytest.raises(TypeError, match=r"the result of make\(\): cannot box 2.0 as TestBroken: "
                                        r"RuntimeError: cannot build"):
        make(2.0)


def test_only_one_value_types_cross_a_c_signature():
    with pytest.raises(TypeError, match="parameter 1 has the custom type Vec3, which is not made of one number"):
        cfunc(types.float64(Vec3Type))(lifted)
    # Custom values live in registers, not memory: no pointers to them, no struct members of them.
    with pytest.raises(TypeError, match=r"parameter 2 of the signature float64\(float64, CPointer\(Vec3\)\) is a "
                                        "pointer to the custom type Vec3, which has no memory layout"):
        cfunc(types.float64(types.float64, types.CPointer(Vec3Type)))(lifted)
    with pytest.raises(TypeError, match=r"field 'c': expected a nativecall scalar, CPointer or Record type, got "
                                        r"nativecall.types.CustomType\('Celsius'\)"):
        types.Record([types.Field("c", 0, CelsiusType)], 8, 8)


def test_register_type_rejects_bad_declarations():
    class Fresh:
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_type(Vec3, [("x", types.float64)])
    with pytest.raises(ValueError, match="a type named 'Vec3' is already registered"):
        register_type(Fresh, [("x", types.float64)], name="Vec3")
    with pytest.raises(TypeError, match=r"field 1 must be a \(name, nativecall type\) pair"):
        register_type(Fresh, [("x", float)])
    with pytest.raises(ValueError, match="field names repeat"):
        register_type(Fresh, [("x", types.float64), ("x", types.int64)])
    for builtin_name in ("float64", "double", "int", "voidptr", "CPointer"):   # would read as two types at once
        with pytest.raises(ValueError, match=f"'{builtin_name}' already names a built-in type; pass another name="):
            register_type(Fresh, [("x", types.float64)], name=builtin_name)
    with pytest.raises(TypeError, match="register_type\\(\\) takes a class"):
        register_type(Fresh(), [("x", types.float64)])
    with pytest.raises(TypeError, match="overload_attribute\\(\\) takes a nativecall type"):
        overload_attribute(Vec3, "norm")


def test_a_custom_type_called_with_types_is_a_signature_and_with_values_an_error():
    assert str(CelsiusType(types.float64, CelsiusType)) == "Celsius(float64, Celsius)"
    with pytest.raises(TypeError, match="build values with its class Celsius"):
        CelsiusType(20.0)


def test_signatures_cannot_mix_custom_types_and_records():
    import numpy as np

    record = types.from_dtype(np.dtype([("a", np.float64)]))
    with pytest.raises(TypeError, match="mixes custom types and records"):
        cfunc(types.float64(CelsiusType, types.CPointer(record)))(warmer)


def vec3_dot_reference(a, b):
    return a.x * b.x + a.y * b.y + a.z * b.z


Vec3.dot = vec3_dot_reference


@overload_method(Vec3Type, "dot")
def vec3_dot(v, other):
    if other == Vec3Type:
        def impl(v, other):
            return v.x * other.x + v.y * other.y + v.z * other.z
        return impl
    return None


def test_methods_of_a_custom_type_take_the_object_first():
    def projected(x, y):
        v = Vec3(x, y, 1.0)
        return v.dot(UP) + v.dot(v * 2.0)

    compiled = cfunc("float64(float64, float64)")(projected)
    for case in ((1.0, 2.0), (-3.5, 0.25)):
        assert compiled(*case) == projected(*case)

    def wrong_argument(x):
        return Vec3(x, x, x).dot(x)

    with pytest.raises(CompileError, match=r"cannot call BoundFunction\(dot for Vec3\) with arguments \(float64\)"):
        cfunc("float64(float64)")(wrong_argument)


class Miles:
    def __init__(self, value):
        self.value = value


class Kilometres:
    def __init__(self, value):
        self.value = value


MilesType = register_type(Miles, [("value", types.float64)])
KilometresType = register_type(Kilometres, [("value", types.float64)])


def test_conversions_that_lead_back_to_themselves_are_compile_errors_not_stack_overflows():
    @lower_cast(MilesType, KilometresType)
    def miles_to_kilometres(m):
        return Miles(m.value)          # returns its own input type: converting again would recurse

    @lower_cast(KilometresType, MilesType)
    def kilometres_to_miles(k):
        return k                       # a cycle through two conversions

    def same(x):
        return x

    with pytest.raises(CompileError, match=r"miles_to_kilometres\(\) from Miles to Kilometres returns Miles, "
                                           "whose conversion to Kilometres leads back to it"):
        cfunc(KilometresType(MilesType))(same)
    with pytest.raises(CompileError, match=r"kilometres_to_miles\(\) from Kilometres to Miles returns Kilometres"):
        cfunc(MilesType(KilometresType))(same)


def test_a_custom_type_may_hold_a_struct_pointer_and_cross_a_signature_as_void_pointer():
    import numpy as np

    point_type = types.from_dtype(np.dtype([("x", np.float64), ("y", np.int32)], align=True))

    class Points:
        def __init__(self, data):
            self.data = data

    PointsType = register_type(Points, [("data", types.CPointer(point_type))], name="TestPoints")

    def weighted(points, n):
        s = 0.0
        for i in range(n):
            s += points.data[i].x * points.data[i].y
        return s

    compiled = cfunc(types.float64(PointsType, types.int64))(weighted)
    assert compiled.c_signature == "double (void *, intptr_t)"
    values = np.zeros(3, point_type.dtype)
    values["x"], values["y"] = [0.5, -1.5, 2.0], [3, 4, -5]
    assert compiled(Points(values.ctypes.data), 3) == float((values["x"] * values["y"]).sum())
    with pytest.raises(TypeError, match=r"reaches the struct .* through pointers, not as a value: use CPointer\(rec\)"):
        register_type(type("ByValue", (), {}), [("point", point_type)])


def test_carray_of_a_custom_type_says_what_dtype_may_be():
    def view(p):
        return carray(p, 3, dtype=Vec3)[0].x

    with pytest.raises(CompileError, match=r"carray\(\) dtype must be a scalar type \(float64, np.int32, ...\) or a "
                                           r"struct Record, not Function\(.*Vec3\)"):
        cfunc("float64(voidptr)")(view)
