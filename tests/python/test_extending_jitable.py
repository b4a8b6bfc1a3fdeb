"""nativecall.extending.jitable: Python helpers compiled inline in cfuncs, typed per call site, compared with CPython."""
import ctypes
import ctypes.util
import inspect
import math

import numpy as np
import pytest

from nativecall import carray, cfunc
from nativecall.extending import Jitable, external, jitable
from nativecall.jit import CompileError

SCALE = 3


@jitable
def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


@jitable
def square(x):
    return x * x


@jitable
def hypot_of(x, y):
    return math.sqrt(square(x) + square(y))   # a jitable calling jitables


@jitable
def scaled_sum(values, n):
    total = 0.0
    for i in range(n):
        total += values[i] * SCALE   # a global constant read by the helper
    return total


@jitable
def integer_steps(n):
    count = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        count += 1
    return count


@jitable
def nothing_back(p, x):
    p[0] = x


def test_int_and_float_call_sites_are_typed_separately():
    @cfunc("float64(float64, int64)")
    def f(x, n):
        return clamp(x, -1.0, 1.0) + clamp(n, 0, 10) * 1000

    for x, n in ((0.25, 3), (-5.5, -7), (9.0, 42)):
        assert f(x, n) == clamp(x, -1.0, 1.0) + clamp(n, 0, 10) * 1000

    @cfunc("int64(int64)")
    def g(n):
        return clamp(n, 0, 10)   # an int result: no float appears in this specialisation

    assert [g(n) for n in (-3, 4, 99)] == [0, 4, 10]
    assert "double" not in g.llvm_ir


def test_nested_helpers_and_math_match_cpython():
    @cfunc("float64(float64, float64)")
    def f(x, y):
        return hypot_of(x, y) + square(y)

    for x, y in ((3.0, 4.0), (-1.5, 0.25), (0.0, 0.0)):
        assert f(x, y) == hypot_of(x, y) + square(y)


def test_loops_arrays_and_globals_inside_a_helper():
    @cfunc("float64(CPointer(float64), int64)")
    def f(p, n):
        return scaled_sum(carray(p, (n,)), n)

    data = np.array([0.5, -1.25, 4.0, 10.0])
    assert f(data.ctypes.data, 4) == scaled_sum(data, 4)


def test_integer_loop_helper_matches_cpython():
    @cfunc("int64(int64)")
    def f(n):
        return integer_steps(n)

    for n in (1, 6, 27, 97):
        assert f(n) == integer_steps(n)


def test_helper_without_a_result():
    @cfunc("float64(CPointer(float64), float64)")
    def f(p, x):
        nothing_back(p, x + 1.0)
        return p[0] * 2.0

    cell = (ctypes.c_double * 1)(0.0)
    assert f(ctypes.addressof(cell), 2.5) == 7.0
    assert cell[0] == 3.5


def test_helper_calling_an_external_function_keeps_it_usable():
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    c_cbrt = external("cbrt", "float64(float64)", libm.cbrt)

    @jitable
    def cube_root_plus(x, y):
        return c_cbrt(x) + y

    @cfunc("float64(float64)")
    def f(x):
        return cube_root_plus(x, 1) + cube_root_plus(x, 0.5)

    assert f(27.0) == math.cbrt(27.0) + 1 + math.cbrt(27.0) + 0.5
    assert c_cbrt in f._owners


def test_decorator_keeps_python_behaviour():
    assert isinstance(clamp, Jitable)
    assert clamp(5, 0, 3) == 3 and clamp.__name__ == "clamp" and clamp.__doc__ is None
    assert jitable(clamp) is clamp
    with pytest.raises(TypeError, match="takes a Python function"):
        jitable(42)


# ---------------------------------------------------------------- bad uses

@jitable
def countdown(n):
    return countdown(n - 1) if n > 0 else 0


@jitable
def ping(n):
    return pong(n - 1) if n > 0 else 0


@jitable
def pong(n):
    return ping(n - 1) if n > 0 else 1


@jitable
def adds_pointer(x, p):
    return x + p


@pytest.mark.parametrize("helper", [countdown, ping])
def test_recursion_is_rejected_clearly(helper):
    def f(n):
        return helper(n)

    with pytest.raises(CompileError, match="recursion between jitable functions is not supported"):
        cfunc("int64(int64)")(f)


def test_wrong_arity_is_reported_at_the_call_site():
    def f(x):
        return square(x, x)

    with pytest.raises(CompileError) as info:
        cfunc("float64(float64)")(f)
    lines, first = inspect.getsourcelines(f)
    assert info.value.lineno == first + 1
    assert "square() takes 1 arguments, 2 given" in info.value.message


def test_type_error_inside_the_helper_points_into_the_helper():
    def f(x, p):
        return adds_pointer(x, p)

    with pytest.raises(CompileError) as info:
        cfunc("float64(float64, CPointer(float64))")(f)
    lines, first = inspect.getsourcelines(adds_pointer.py_func)
    assert info.value.filename == __file__
    assert info.value.lineno == first + 2   # the decorator, the def, then `return x + p`
    assert info.value.message == "cannot add float64 and CPointer(float64)"
