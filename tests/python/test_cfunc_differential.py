"""Differential testing: random expressions compiled by cfunc and evaluated by CPython must agree."""
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from nativecall import cfunc

MIXED_LEAVES = st.one_of(st.sampled_from(["a", "b", "x", "y"]),
                         st.integers(min_value=-9, max_value=9).map(str),
                         st.sampled_from(["0.5", "2.25", "-1.5", "3.0", "True", "False"]))
INT_LEAVES = st.one_of(st.sampled_from(["a", "b", "True"]), st.integers(min_value=-9, max_value=9).map(str))
BINARY = ["+", "-", "*", "/", "//", "%", "<", "<=", "==", "!=", ">", ">="]
INT_BINARY = [op for op in BINARY if op != "/"]   # int / int is float division, which follows IEEE


def expressions(depth, leaves=MIXED_LEAVES, binary=BINARY):
    if depth == 0:
        return leaves
    sub = expressions(depth - 1, leaves, binary)
    return st.one_of(
        leaves,
        st.tuples(sub, st.sampled_from(binary), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda e: f"(-{e})"),
        sub.map(lambda e: f"(not {e})"),
        sub.map(lambda e: f"({e}) ** 2"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"max({t[0]}, {t[1]})"),
        sub.map(lambda e: f"abs({e})"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
    )


def python_value(source, args):
    namespace = {}
    exec(source, namespace)
    return namespace["f"](*args)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions(3), a=st.integers(-20, 20), b=st.integers(-20, 20),
       x=st.floats(-20, 20, allow_nan=False), y=st.sampled_from([-2.5, -1.0, 0.25, 1.0, 3.5]))
def test_random_expressions_agree_with_cpython(expr, a, b, x, y):
    source = f"def f(a, b, x, y):\n    return float({expr})\n"
    try:
        expected = python_value(source, (a, b, x, y))
    except ZeroDivisionError:
        # CPython raises for float division by zero too; compiled code follows IEEE there, so only
        # the all-integer case is comparable, and it must raise as well.
        assume(False)
    except OverflowError:
        assume(False)
    compiled = cfunc("float64(int64, int64, float64, float64)", source=source)
    got = compiled(a, b, x, y)
    assert got == expected or (math.isnan(got) and math.isnan(expected)) or \
        got == pytest.approx(expected, rel=1e-13, abs=1e-300), (expr, (a, b, x, y), got, expected)


@settings(max_examples=150, deadline=None)
@given(expr=expressions(2, INT_LEAVES, INT_BINARY), a=st.integers(-20, 20), b=st.integers(-20, 20))
def test_integer_expressions_raise_zero_division_like_cpython(expr, a, b):
    source = f"def f(a, b, x, y):\n    return float({expr})\n"
    compiled = cfunc("float64(int64, int64, float64, float64)", source=source)
    try:
        expected = python_value(source, (a, b, 0.0, 0.0))
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            compiled(a, b, 0.0, 0.0)
        return
    assert compiled(a, b, 0.0, 0.0) == expected


# ------------------------------------------------------------------ random statement blocks

VARIABLES = ["i", "j", "f"]
SMALL_EXPR = st.one_of(
    st.sampled_from(VARIABLES),
    st.integers(-5, 5).map(str),
    st.sampled_from(["0.5", "1.25"]),
    st.tuples(st.sampled_from(VARIABLES), st.sampled_from(["+", "-", "*", "//", "%"]),
              st.one_of(st.sampled_from(VARIABLES), st.integers(1, 4).map(str))).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
)
CONDITION = st.tuples(st.sampled_from(VARIABLES), st.sampled_from(["<", ">", "==", "!="]),
                      st.integers(-3, 6).map(str)).map(lambda t: f"{t[0]} {t[1]} {t[2]}")


def statements(depth):
    simple = st.one_of(
        st.tuples(st.sampled_from(VARIABLES), SMALL_EXPR).map(lambda t: [f"{t[0]} = {t[1]}"]),
        st.tuples(st.sampled_from(VARIABLES), st.sampled_from(["+=", "-=", "*="]), SMALL_EXPR)
          .map(lambda t: [f"{t[0]} {t[1]} {t[2]}"]),
    )
    if depth == 0:
        return simple
    block = st.lists(statements(depth - 1), min_size=1, max_size=3).map(lambda bs: [line for b in bs for line in b])
    indent = lambda lines: ["    " + line for line in lines]  # noqa: E731
    return st.one_of(
        simple,
        st.tuples(CONDITION, block, block).map(lambda t: [f"if {t[0]}:", *indent(t[1]), "else:", *indent(t[2])]),
        st.tuples(st.integers(0, 4), block).map(lambda t: [f"for k in range({t[0]}):", *indent(t[1])]),
        st.tuples(CONDITION, block).map(lambda t: ["for k in range(3):", f"    if {t[0]}:", "        break",
                                                   *indent(t[1])]),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(statements(2), min_size=1, max_size=4), i=st.integers(-5, 5), j=st.integers(-5, 5))
def test_random_statement_blocks_agree_with_cpython(body, i, j):
    lines = [line for block in body for line in block]
    source = "def f(i, j):\n    f = 0.5\n    k = 0\n" + "".join(f"    {line}\n" for line in lines) + \
        "    return i + j * 7.0 + f * 13.0 + k\n"
    try:
        expected = python_value(source, (i, j))
    except (ZeroDivisionError, OverflowError):   # CPython's own limits, not comparable
        assume(False)
    assume(abs(expected) < 2**52)   # magnitudes where int and float arithmetic agree exactly
    got = cfunc("float64(int64, int64)", source=source)(i, j)
    assert got == pytest.approx(expected, rel=1e-12), source
