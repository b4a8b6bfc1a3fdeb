"""Random well-formed programs over every kind of value: each compiles or raises CompileError, never anything else."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nativecall import cfunc
from nativecall.jit import CompileError

SIGNATURE = "float64(CPointer(float64), int64, float64, voidptr, boolean, CPointer(int32))"
PARAMS = "p, n, x, data, flag, q"

ATOMS = st.sampled_from([
    "p", "n", "x", "data", "flag", "q", "1", "-2", "0.5", "True", "None", "(n, 2)", "(x,)", "()",
    "carray(p, (n,))", "carray(p, (n, 2))", "farray(p, (2, n))", "carray(data, (n,), dtype=np.float64)",
    "carray(q, n)", "range(n)", "range(1, n, 2)", "math.pi", "np.inf", "math", "np", "abs", "np.float32",
    "enumerate(carray(p, (n,)))", "zip(range(n), carray(q, n))", "enumerate(zip(range(3), range(n)))",
])
UNARY = ["-{}", "not {}", "~{}", "abs({})", "len({})", "math.exp({})", "np.sqrt({})", "int({})", "float({})",
         "bool({})", "round({})", "{}[0]", "{}[-1]", "{}[n, 0]", "{}.shape", "{}.ndim", "{}.size", "{}[0][1]",
         "({})", "np.float32({})", "math.floor({})", "math.isnan({})", "{}.real"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "{} // {}", "{} % {}", "{} ** {}", "{} & {}", "{} << {}",
          "{} < {}", "{} == {}", "{} and {}", "{} or {}", "min({}, {})", "max({}, {})", "math.atan2({}, {})",
          "{}[{}]", "({}, {})", "pow({}, {})", "{} if flag else {}", "{} < {} < 3"]


def expressions(depth):
    if depth == 0:
        return ATOMS
    sub = expressions(depth - 1)
    return st.one_of(ATOMS,
                     st.tuples(st.sampled_from(UNARY), sub).map(lambda t: "(" + t[0].format(t[1]) + ")"),
                     st.tuples(st.sampled_from(BINARY), sub, sub).map(lambda t: "(" + t[0].format(t[1], t[2]) + ")"))


TARGETS = st.sampled_from(["y", "z", "p[0]", "q[1]", "y, z", "(y, z)"])


def statement(expr):
    return st.one_of(
        st.tuples(TARGETS, expr).map(lambda t: [f"{t[0]} = {t[1]}"]),
        st.tuples(st.sampled_from(["y", "p[0]"]), st.sampled_from(["+=", "*=", "//="]), expr)
          .map(lambda t: [f"{t[0]} {t[1]} {t[2]}"]),
        st.tuples(expr, expr).map(lambda t: [f"for v in {t[0]}:", f"    y = {t[1]}"]),
        st.tuples(expr, expr).map(lambda t: [f"if {t[0]}:", f"    return {t[1]}"]),
        st.tuples(expr).map(lambda t: ["while flag:", f"    y = {t[0]}", "    break"]),
        expr.map(lambda e: [e]),
    )


@pytest.mark.filterwarnings("ignore::SyntaxWarning")   # Python's own remarks on e.g. calling a tuple
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(statement(expressions(2)), max_size=4), result=expressions(2))
def test_random_programs_compile_or_raise_compile_error(body, result):
    lines = ["import math", "import numpy as np", "from nativecall import carray, farray",
             f"def f({PARAMS}):", "    y = 0.0", "    z = 0"]
    lines += [f"    {line}" for block in body for line in block]
    lines.append(f"    return {result}")
    source = "\n".join(lines) + "\n"
    try:
        cfunc(SIGNATURE, source=source)
    except CompileError:
        pass
    except SyntaxError:   # Python runs source= first; a few combinations are not Python at all
        pass
