"""Property tests of compiled arithmetic against CPython: floor division and modulo signs, 64-bit wrapping, powers."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from nativecall import cfunc

INT64 = st.integers(min_value=-2**63, max_value=2**63 - 1)
SMALL = st.integers(min_value=-10**6, max_value=10**6)
FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


def wrap64(value):
    return (value + 2**63) % 2**64 - 2**63


def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def floordiv(a, b):
    return a // b


def mod(a, b):
    return a % b


def truediv(a, b):
    return a / b


def power(a, b):
    return a ** b


def neg(a):
    return -a


def lshift(a, b):
    return a << b


def rshift(a, b):
    return a >> b


INT_OPS = {name: cfunc("int64(int64, int64)")(fn) for name, fn in
           [("add", add), ("sub", sub), ("mul", mul), ("floordiv", floordiv), ("mod", mod), ("power", power),
            ("lshift", lshift), ("rshift", rshift)]}
FLOAT_OPS = {name: cfunc("float64(float64, float64)")(fn) for name, fn in
             [("add", add), ("sub", sub), ("mul", mul), ("floordiv", floordiv), ("mod", mod),
              ("truediv", truediv), ("power", power)]}
PY = {"add": add, "sub": sub, "mul": mul, "floordiv": floordiv, "mod": mod, "truediv": truediv,
      "power": power, "lshift": lshift, "rshift": rshift}


@settings(max_examples=300, deadline=None)
@given(a=INT64, b=INT64)
def test_int_add_sub_mul_wrap_like_int64(a, b):
    for name in ("add", "sub", "mul"):
        assert INT_OPS[name](a, b) == wrap64(PY[name](a, b)), name


@settings(max_examples=300, deadline=None)
@given(a=INT64, b=INT64.filter(lambda v: v != 0))
def test_int_floordiv_and_mod_follow_python_signs(a, b):
    assert INT_OPS["floordiv"](a, b) == wrap64(a // b)
    assert INT_OPS["mod"](a, b) == a % b


@settings(max_examples=200, deadline=None)
@given(a=SMALL)
def test_int_division_by_zero_raises_zero_division_error(a):
    with pytest.raises(ZeroDivisionError):
        INT_OPS["floordiv"](a, 0)
    with pytest.raises(ZeroDivisionError):
        INT_OPS["mod"](a, 0)


@settings(max_examples=300, deadline=None)
@given(a=st.integers(min_value=-50, max_value=50), b=st.integers(min_value=0, max_value=70))
def test_int_power_wraps(a, b):
    assert INT_OPS["power"](a, b) == wrap64(a ** b)


@settings(max_examples=100, deadline=None)
@given(a=SMALL, b=st.integers(min_value=-60, max_value=-1))
def test_int_negative_power_raises_value_error(a, b):
    with pytest.raises(ValueError):
        INT_OPS["power"](a, b)


@settings(max_examples=300, deadline=None)
@given(a=INT64, b=st.integers(min_value=0, max_value=63))
def test_shifts(a, b):
    assert INT_OPS["lshift"](a, b) == wrap64(a << b)
    assert INT_OPS["rshift"](a, b) == a >> b


@settings(max_examples=300, deadline=None)
@given(a=FINITE, b=FINITE.filter(lambda v: v != 0))
def test_float_operators_match_python(a, b):
    for name in ("add", "sub", "mul", "truediv", "floordiv", "mod"):
        expected = PY[name](a, b)
        got = FLOAT_OPS[name](a, b)
        assert got == expected or (math.isnan(got) and math.isnan(expected)), (name, a, b, got, expected)
        assert math.copysign(1.0, got) == math.copysign(1.0, expected), (name, a, b)


@settings(max_examples=300, deadline=None)
@given(a=st.floats(min_value=0.001, max_value=1e3), b=st.floats(min_value=-20, max_value=20))
def test_float_power_matches_python(a, b):
    assert FLOAT_OPS["power"](a, b) == pytest.approx(a ** b, rel=1e-15)


def test_float_division_by_zero_is_ieee():
    assert FLOAT_OPS["truediv"](1.0, 0.0) == math.inf
    assert FLOAT_OPS["truediv"](-1.0, 0.0) == -math.inf
    assert math.isnan(FLOAT_OPS["truediv"](0.0, 0.0))
    assert math.isnan(FLOAT_OPS["mod"](1.0, 0.0))


def py_round(x):
    return round(x)


def py_int(x):
    return int(x)


ROUND = cfunc("int64(float64)")(py_round)
INT = cfunc("int64(float64)")(py_int)


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=-1e15, max_value=1e15))
def test_round_half_even_and_int_truncation(x):
    assert ROUND(x) == round(x)
    assert INT(x) == int(x)


def mixed(a, x):
    return a * x + a // 3 - x % 2


MIXED = cfunc("float64(int64, float64)")(mixed)


@settings(max_examples=200, deadline=None)
@given(a=SMALL, x=FINITE)
def test_mixed_int_float_promotes_to_float(a, x):
    assert MIXED(a, x) == pytest.approx(mixed(a, x), rel=1e-12, abs=1e-9)
