"""nativecall.cfunc: every supported construct, compiled and compared with CPython running the same function."""
import math

import numpy as np
import pytest

import nativecall
from nativecall import carray, cfunc, farray


# ------------------------------------------------------------------ scalar functions and their inputs

def arith(a, b):
    return a + b * 2 - a * b + (a - b) / 3.0


def int_arith(a, b):
    return (a + b) * (a - b) + a * 3 - b


def floor_div_mod(a, b):
    return a // b * 1000 + a % b


def float_floor_div_mod(a, b):
    return a // b + (a % b) * 0.001


def true_div_ints(a, b):
    return a / b


def powers(x, n):
    return x ** n + x ** 2 + 2.0 ** n + x ** 0.5


def int_power(a, n):
    return a ** n


def bitwise(a, b):
    return (a & b) | (a ^ 7) - (~b) + (a << 3) + (b >> 2)


def comparisons(a, b):
    r = 0
    if a < b:
        r += 1
    if a <= b:
        r += 2
    if a == b:
        r += 4
    if a != b:
        r += 8
    if a > b:
        r += 16
    if a >= b:
        r += 32
    if 0 < a < b <= 10:
        r += 64
    return r


def boolean_logic(a, b):
    r = 0
    if a > 0 and b > 0:
        r += 1
    if a > 0 or b > 0:
        r += 2
    if not a:
        r += 4
    if not (a > b) and b:
        r += 8
    return r + (a and b) * 100 + (a or b) * 1000


def conditional_expression(x):
    return x * 2 if x > 0 else -x if x < -5 else 0.5


def if_elif_else(x):
    if x < -10:
        y = 1
    elif x < 0:
        y = 2
    elif x == 0:
        y = 3
    else:
        y = 4.5
    return y


def while_loop(n):
    total = 0
    i = 0
    while i < n:
        i += 1
        if i % 3 == 0:
            continue
        if i > 50:
            break
        total += i * i
    return total


def for_ranges(n):
    total = 0
    for i in range(n):
        total += i
    for i in range(2, n):
        total += 2 * i
    for i in range(n, -3, -2):
        total -= i
    for i in range(-n, n, 3):
        total += i * i
    return total


def nested_loops(n):
    total = 0.0
    for i in range(n):
        for j in range(i):
            if (i + j) % 5 == 0:
                break
            total += i / (j + 1)
    return total


def builtins_numeric(x, y):
    return abs(x) + min(x, y) * 2 + max(x, y, 0.5) * 3 + round(x) * 4 + int(y) * 5 + float(3) + bool(x) * 7


def builtins_int(a, b):
    return abs(a) + min(a, b, 3) + max(a, b) + int(a / 3) + round(b) + pow(a, 2)


def tuple_unpacking(a, b):
    x, y = a, b
    x, y = y, x + y
    (p, q), r = (x, y), 3
    t = (p, q, r)
    return t[0] * 100 + t[-1] * 10 + t[1] + len(t)


def chained_assignment(x):
    a = b = x * 2
    a += 1
    b *= 3
    return a + b


def augmented(x, n):
    y = x
    y += n
    y -= 1
    y *= 2
    y /= 3
    y **= 2
    y //= 1
    y %= 7
    return y


def variable_widening(n):
    acc = 0
    for i in range(n):
        acc = acc + 0.5 * i
    return acc


def math_functions(x):
    return (math.exp(x) + math.expm1(x) + math.log(x) + math.log1p(x) + math.log10(x) + math.log2(x)
            + math.sqrt(x) + math.sin(x) + math.cos(x) + math.tan(x) + math.atan(x) + math.atan2(x, 2.0)
            + math.sinh(x) + math.cosh(x) + math.tanh(x) + math.asinh(x) + math.acosh(x + 1) + math.erf(x)
            + math.erfc(x) + math.gamma(x) + math.lgamma(x) + math.hypot(x, 3.0) + math.pow(x, 1.5)
            + math.fabs(-x) + math.floor(x) + math.ceil(x) + math.trunc(x) + math.copysign(x, -1.0)
            + math.fmod(x, 0.7) + math.log(x, 3.0) + math.pi + math.e + math.tau)


def math_inverse_trig(x):
    return math.asin(x) + math.acos(x) + math.atanh(x)


def math_classify(x):
    return math.isnan(x) * 1 + math.isinf(x) * 2 + math.isfinite(x) * 4


def numpy_functions(x):
    return (np.exp(x) + np.sqrt(x) + np.log(x) + np.arctan2(x, 1.0) + np.arcsinh(x) + np.floor(x)
            + np.power(x, 2) + np.abs(-x) + np.pi + np.e + np.hypot(x, 1.0) + np.trunc(x))


def numpy_constants(x):
    if x > 0:
        return np.inf
    if x < 0:
        return -math.inf
    return np.nan


def dtype_conversions(x):
    return np.float32(x) + np.int32(x) + nativecall.types.int64(x)


SCALAR_CASES = [
    ("float64(float64, float64)", arith, [(1.5, 2.25), (-3.0, 0.5), (0.0, 7.0)]),
    ("int64(int64, int64)", int_arith, [(3, 4), (-5, 2), (2**40, 3)]),
    ("int64(int64, int64)", floor_div_mod, [(a, b) for a in (-7, -1, 0, 5, 13) for b in (-4, -1, 2, 3)]),
    ("float64(float64, float64)", float_floor_div_mod,
     [(a, b) for a in (-7.5, -0.25, 0.0, 5.5, 13.0) for b in (-4.0, -0.5, 2.0, 3.25)]),
    ("float64(int64, int64)", true_div_ints, [(7, 2), (-7, 2), (1, 3)]),
    ("float64(float64, int64)", powers, [(1.5, 3), (2.0, -2), (0.5, 0)]),
    ("int64(int64, int64)", int_power, [(3, 4), (-2, 5), (7, 0), (2, 62), (3, 45)]),
    ("int64(int64, int64)", bitwise, [(12, 10), (-5, 3), (255, 0)]),
    ("int64(float64, float64)", comparisons, [(1.0, 2.0), (2.0, 2.0), (3.0, 1.0), (math.nan, 1.0), (5.0, 10.0)]),
    ("int64(int64, int64)", comparisons, [(1, 2), (2, 2), (3, 1), (5, 10)]),
    ("int64(int64, int64)", boolean_logic, [(0, 0), (1, 0), (0, 3), (2, 5), (-1, -2)]),
    ("float64(float64)", conditional_expression, [(3.0,), (-7.0,), (-1.0,)]),
    ("float64(float64)", if_elif_else, [(-20.0,), (-1.0,), (0.0,), (2.0,)]),
    ("int64(int64)", while_loop, [(0,), (10,), (100,)]),
    ("int64(int64)", for_ranges, [(0,), (1,), (7,), (20,)]),
    ("float64(int64)", nested_loops, [(0,), (5,), (12,)]),
    ("float64(float64, float64)", builtins_numeric, [(1.5, -2.5), (-0.5, 0.5), (2.5, 3.7), (0.0, 1.0)]),
    ("int64(int64, int64)", builtins_int, [(7, -3), (-8, 2)]),
    ("int64(int64, int64)", tuple_unpacking, [(1, 2), (5, -3)]),
    ("float64(float64)", chained_assignment, [(1.5,), (-2.0,)]),
    ("float64(float64, int64)", augmented, [(3.5, 2), (10.0, -4)]),
    ("float64(int64)", variable_widening, [(0,), (5,)]),
    ("float64(float64)", math_functions, [(0.3,), (1.7,), (4.2,)]),
    ("float64(float64)", math_inverse_trig, [(0.3,), (-0.8,)]),
    ("int64(float64)", math_classify, [(1.0,), (math.inf,), (-math.inf,), (math.nan,)]),
    ("float64(float64)", numpy_functions, [(0.3,), (2.5,)]),
    ("float64(float64)", numpy_constants, [(1.0,), (-1.0,)]),
    ("float64(float64)", dtype_conversions, [(2.75,), (-3.5,)]),
]


def _wrap64(value):
    """Python's unbounded int reduced to int64 as compiled code computes it (documented wrapping)."""
    return (value + 2**63) % 2**64 - 2**63


def _same(got, expected):
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(expected, float) or isinstance(got, float):
        return got == pytest.approx(float(expected), rel=1e-12, abs=1e-12)
    return got == expected


@pytest.mark.parametrize("signature, pyfunc, inputs", SCALAR_CASES, ids=[c[1].__name__ for c in SCALAR_CASES])
def test_construct_matches_cpython(signature, pyfunc, inputs):
    compiled = cfunc(signature)(pyfunc)
    for args in inputs:
        expected = pyfunc(*args)
        if isinstance(expected, bool):
            expected = int(expected)
        if isinstance(expected, int):
            expected = _wrap64(expected)
        got = compiled(*args)
        assert _same(got, expected), f"{pyfunc.__name__}{args}: compiled {got!r}, CPython {expected!r}"
        # the ctypes route calls the same code
        assert _same(compiled.ctypes(*args), expected)


# ------------------------------------------------------------------ pointers and array views

def pointer_read_write(p, n):
    total = 0.0
    for i in range(n):
        p[i] = p[i] * 2 + i
        total += p[i]
    return total


def carray_2d(p, m, n):
    a = carray(p, (m, n))
    total = 0.0
    rows, cols = a.shape
    for i in range(rows):
        for j in range(cols):
            total += a[i, j] * (i + 1) - a[i][j] * 0.5
    a[0, 0] = total
    a[-1, -1] = a.ndim + len(a) + a.size
    return total


def farray_2d(p, m, n):
    a = farray(p, (m, n))
    total = 0.0
    for i in range(m):
        for j in range(n):
            total += a[i, j] * (10 * i + j)
    return total


def iterate_rows(p, m, n):
    a = carray(p, (m, n))
    best = -np.inf
    for row in a:
        s = 0.0
        for v in row:
            s += v
        best = max(best, s)
    return best


def int_array(p, n):
    a = carray(p, n)
    total = 0
    for v in a:
        total += v
    a[0] = total
    return total


@pytest.mark.parametrize("signature, pyfunc, shape, dtype", [
    ("float64(CPointer(float64), int64)", pointer_read_write, (6,), np.float64),
    ("float64(CPointer(float64), int64, int64)", carray_2d, (3, 4), np.float64),
    ("float64(CPointer(float64), int64, int64)", farray_2d, (3, 4), np.float64),
    ("float64(CPointer(float64), int64, int64)", iterate_rows, (4, 5), np.float64),
    ("int32(CPointer(int32), intp)", int_array, (7,), np.int32),
], ids=lambda v: getattr(v, "__name__", None))
def test_arrays_match_cpython(signature, pyfunc, shape, dtype):
    compiled = cfunc(signature)(pyfunc)
    rng = np.random.default_rng(5)
    data = (rng.random(int(np.prod(shape))) * 20 - 10).astype(dtype)
    expected_data = data.copy()
    got_data = data.copy()
    expected = pyfunc(expected_data, *shape)
    got = compiled(got_data, *shape)
    assert got == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(got_data, expected_data, rtol=1e-12)


def user_data_scale(x, user_data):
    scale = carray(user_data, (2,), dtype=nativecall.types.float64)
    return x * scale[0] + scale[1]


def test_user_data_through_carray_dtype():
    compiled = cfunc("float64(float64, voidptr)")(user_data_scale)
    data = np.array([3.0, 0.25])
    assert compiled(2.0, data.ctypes.data) == user_data_scale(2.0, data)


# ------------------------------------------------------------------ globals, closures, other cfuncs

SCALE = 2.5
OFFSETS = (1, 2.5, True)
COUNT = np.int32(4)


def uses_globals(x):
    return x * SCALE + OFFSETS[0] + OFFSETS[1] + OFFSETS[2] + COUNT


def test_globals_are_read_at_compile_time():
    global SCALE
    compiled = cfunc("float64(float64)")(uses_globals)
    expected = uses_globals(3.0)
    SCALE = 100.0
    try:
        assert compiled(3.0) == expected   # the value was snapshotted
    finally:
        SCALE = 2.5


def test_closure_constants():
    factor = 3
    shift = -0.5

    def f(x):
        return x * factor + shift

    assert cfunc("float64(float64)")(f)(2.0) == f(2.0)


@cfunc("float64(float64)")
def square(x):
    return x * x


def calls_other_cfunc(x):
    return square(x) + square(x + 1.0) * 2


def test_calls_other_cfuncs_by_name():
    compiled = cfunc("float64(float64)")(calls_other_cfunc)
    assert compiled(1.5) == 1.5 * 1.5 + 2.5 * 2.5 * 2


def test_from_import_math_function():
    from math import exp, sqrt as root

    def f(x):
        return exp(x) + root(x)

    assert cfunc("float64(float64)")(f)(2.0) == pytest.approx(f(2.0), rel=1e-15)


def test_docstring_and_pass_and_annotations():
    def f(x: float) -> float:
        """A docstring is fine."""
        y: float = x + 1
        pass
        return y

    assert cfunc("float64(float64)")(f)(1.0) == 2.0


def test_void_and_bool_signatures():
    def store(p, v):
        p[0] = v

    def positive(x):
        return x > 0

    out = np.zeros(1)
    assert cfunc("void(CPointer(float64), float64)")(store)(out, 4.5) is None
    assert out[0] == 4.5
    compiled = cfunc("boolean(float64)")(positive)
    assert compiled(1.0) is True and compiled(-1.0) is False


def test_small_int_and_float32_signatures_wrap_and_round_like_c():
    def f(a, x):
        return a * 2 + x

    compiled = cfunc("float32(int8, float32)")(f)
    assert compiled(100, 0.1) == pytest.approx(np.float32(200 + np.float32(0.1)), rel=1e-6)

    def g(a):
        return a * 3

    assert cfunc("int8(int8)")(g)(100) == np.int8(np.int64(300).astype(np.int8))


@pytest.mark.parametrize("type_name", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"])
def test_int_arguments_out_of_the_parameter_range_are_overflow_errors(type_name):
    """Every value numpy's type holds passes unchanged; one past either end is refused."""
    def identity(a):
        return a

    compiled = cfunc(f"{type_name}({type_name})")(identity)
    info = np.iinfo(type_name)
    for value in (int(info.min), int(info.max), 0, np.dtype(type_name).type(info.max)):
        assert compiled(value) == value
    for value in (int(info.min) - 1, int(info.max) + 1):
        with pytest.raises(OverflowError, match=rf"argument 1: {value} does not fit the {type_name} parameter "
                                                rf"\({info.min} to {info.max}\)"):
            compiled(value)


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def test_recursion_by_own_name():
    compiled = cfunc("int64(int64)")(fib)
    assert [compiled(n) for n in range(15)] == [fib(n) for n in range(15)]


def enumerate_and_zip(p, q, n):
    a = carray(p, n)
    b = carray(q, n)
    total = 0.0
    for i, v in enumerate(a):
        total += i * v
    for x, y in zip(a, b):
        total += x * y
    for i, (x, y) in enumerate(zip(a, range(3, 100))):
        total += i + x * y
    for k, j in zip(range(n), range(n, 0, -1)):
        total -= k * j
    for extent in a.shape:
        total += extent
    for c in (1.5, 2.0, 0.5):
        total *= c
    return total


def test_enumerate_and_zip_match_cpython():
    compiled = cfunc("float64(CPointer(float64), CPointer(float64), int64)")(enumerate_and_zip)
    rng = np.random.default_rng(3)
    p, q = rng.random(6), rng.random(6)
    assert compiled(p, q, 6) == pytest.approx(enumerate_and_zip(p, q, 6), rel=1e-13)
    assert compiled(p, q, 0) == enumerate_and_zip(p[:0], q[:0], 0)
