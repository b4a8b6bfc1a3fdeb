"""quad's C front door (the common call without a Python frame) against scipy.integrate.quad and the general Python path."""
import ctypes
import ctypes.util
import inspect
import math
import pickle
import warnings

import numpy as np
import pytest
import scipy
import scipy.integrate as si

import nativecall
import nativecall.integrate as ni

INF = math.inf
libm = ctypes.CDLL(ctypes.util.find_library("m"))


def _libm(name, argtypes=(ctypes.c_double,)):
    fn = getattr(libm, name)
    fn.restype, fn.argtypes = ctypes.c_double, list(argtypes)
    return fn


def exp_over_t2(t):
    return math.exp(-t) / (t * t)


def shifted_gaussian(x, centre, width):
    return math.exp(-((x - centre) / width) ** 2)


# A C integrand of each kind the common call serves: scalar, and packed (args in xx[1:]).
EXP = _libm("exp")
PACKED = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double))(
    lambda n, xx: math.exp(-((xx[0] - xx[1]) / xx[2]) ** 2))

# (integrand for nativecall, the same for scipy, positional args, keywords): every call is
# one the front serves itself (no weight, points, wopts, full_output or complex_func).
COMMON_CALLS = {
    "python_positional": (exp_over_t2, exp_over_t2, (1, INF), {}),
    "python_args_tuple": (shifted_gaussian, shifted_gaussian, (-2.0, 3.0, (0.5, 1.5)), {}),
    "python_args_keyword": (shifted_gaussian, shifted_gaussian, (-2.0, 3.0), {"args": (0.5, 1.5)}),
    "python_all_keywords": (shifted_gaussian, shifted_gaussian, (), {"a": -INF, "b": INF, "args": (1.0, 2.0)}),
    "python_tolerances": (exp_over_t2, exp_over_t2, (1.0, 4.0), {"epsabs": 1e-3, "epsrel": 1e-2, "limit": 3}),
    "python_defaults_spelled_out": (exp_over_t2, exp_over_t2, (1.0, 4.0),
                                    {"full_output": 0, "points": None, "weight": None, "wvar": None, "wopts": None,
                                     "maxp1": 50, "limlst": 50, "complex_func": False}),
    "python_flags_false": (exp_over_t2, exp_over_t2, (1.0, 4.0), {"full_output": False, "complex_func": 0}),
    "ctypes_scalar": (EXP, EXP, (-INF, 0.0), {}),
    "ctypes_scalar_int_limits": (EXP, EXP, (0, 2), {"limit": 10}),
    "ctypes_packed_args": (PACKED, scipy.LowLevelCallable(PACKED), (-1.0, 2.0), {"args": (0.25, 0.75)}),
    "empty_interval": (exp_over_t2, exp_over_t2, (2.0, 2.0), {}),
    "reversed": (EXP, EXP, (1.0, -3.0), {"epsrel": 1e-12}),
}


def _call(quad, integrand, positional, keywords):
    """quad(integrand, *positional, **keywords), passing the integrand by keyword when there are no positionals."""
    if positional:
        return quad(integrand, *positional, **keywords)
    return quad(func=integrand, **keywords)


@pytest.mark.parametrize("name", COMMON_CALLS)
def test_common_call_matches_scipy_and_the_general_path(name):
    ours, theirs, positional, keywords = COMMON_CALLS[name]
    got = _call(ni.quad, ours, positional, keywords)
    assert got == _call(si.quad, theirs, positional, keywords)  # bit-exact with scipy, as the rest of quad
    assert got == _call(ni._quad_general, ours, positional, keywords)
    assert type(got) is tuple and len(got) == 2


def test_a_cfunc_integrand_matches_the_general_path_and_scipy():
    pytest.importorskip("nativecall.jit", reason="the cfunc JIT is an optional part of the build")
    compiled = nativecall.cfunc("float64(float64)")(exp_over_t2)
    callback = nativecall.as_callback(compiled)
    general = ni._quad_general(callback, 1, INF)
    expected = si.quad(exp_over_t2, 1, INF)
    for _ in range(3):  # the remembered integrand serves the repeated calls
        for integrand in (callback, compiled):
            got = ni.quad(integrand, 1, INF)
            assert got == general
            # The compiled exp is the vector library's, which may differ from libm's in the last bit.
            assert got[0] == pytest.approx(expected[0], rel=1e-15, abs=0)



def test_common_calls_never_reach_the_python_function(monkeypatch):
    class Unreachable:
        def __getattr__(self, name):
            raise AssertionError(f"the general path ran (_integrate.{name})")

    expected = [ni.quad(EXP, 0.0, 1.0), ni.quad(exp_over_t2, 1.0, 2.0, epsrel=1e-10)]
    monkeypatch.setattr(ni, "_integrate", Unreachable())
    assert [ni.quad(EXP, 0.0, 1.0), ni.quad(exp_over_t2, 1.0, 2.0, epsrel=1e-10)] == expected
    with pytest.raises(AssertionError, match="general path ran"):
        ni.quad(EXP, 0.0, 1.0, full_output=1)

# Calls the front hands on to the general path: the result must be what the general path gives.
@pytest.mark.parametrize("keywords", [
    {"full_output": 1},
    {"full_output": True},
    {"points": [0.5]},
    {"weight": "cos", "wvar": 3.0},
    {"limit": np.int32(50)},
    {"maxp1": 20},
], ids=repr)
def test_uncommon_calls_go_to_the_general_path(keywords):
    got = ni.quad(math.cos, 0.0, 1.0, **keywords)
    general = ni._quad_general(math.cos, 0.0, 1.0, **keywords)
    assert got[:2] == general[:2]
    assert len(got) == len(general)
    if keywords.get("full_output"):
        assert got[2]["neval"] == general[2]["neval"]


def assert_same_error(call, ours, theirs, kind):
    """call(ours) and call(theirs) raise the same exception type with the same message."""
    with pytest.raises(kind) as raised_by_ours:
        call(ours)
    with pytest.raises(kind) as raised_by_theirs:
        call(theirs)
    assert type(raised_by_ours.value) is type(raised_by_theirs.value)
    assert str(raised_by_ours.value) == str(raised_by_theirs.value)


@pytest.mark.parametrize("call", [
    lambda q: q(math.cos, 0.0, 1.0, nonsense=1),
    lambda q: q(math.cos, 0.0),
    lambda q: q(math.cos, 0.0, 1.0, a=0.0),
    lambda q: q(math.cos, 0.0, 1.0, (), 0, 1e-8, 1e-8, 50, None, None, None, None, 50, 50, False, "extra"),
    lambda q: q(),
], ids=["unknown_keyword", "missing_b", "given_twice", "too_many_positional", "nothing"])
def test_argument_errors_read_as_scipys(call):
    assert_same_error(call, ni.quad, si.quad, TypeError)


def test_signature_and_docstring_are_the_python_functions():
    assert inspect.signature(ni.quad) == inspect.signature(si.quad)
    assert inspect.signature(ni.quad) == inspect.signature(ni._quad_general)
    assert ni.quad.__doc__ == ni._quad_general.__doc__
    assert ni.quad.__name__ == "quad" and ni.quad.__module__ == "nativecall.integrate"
    assert pickle.loads(pickle.dumps(ni.quad)) is ni.quad


def test_non_convergence_warns_with_scipys_message_at_the_callers_line():
    def wild(x):
        return math.sin(1.0 / x) / x

    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = ni.quad(wild, 0.0, 1.0, limit=7)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = si.quad(wild, 0.0, 1.0, limit=7)
    assert got == expected
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert [w.category.__name__ for w in ours] == ["IntegrationWarning"]
    assert ours[0].filename == __file__  # stacklevel points at the call, not into nativecall
    with warnings.catch_warnings():
        warnings.simplefilter("error", ni.IntegrationWarning)
        with pytest.raises(ni.IntegrationWarning, match="subdivisions \\(7\\)"):
            ni.quad(wild, 0.0, 1.0, limit=7)


@pytest.mark.parametrize("keywords", [{"epsabs": 0.0, "epsrel": 0.0}, {"limit": 0}], ids=repr)
def test_invalid_input_raises_scipys_value_error(keywords):
    with pytest.raises(ValueError) as ours:
        ni.quad(EXP, 0.0, 1.0, **keywords)
    with pytest.raises(ValueError) as theirs:
        si.quad(EXP, 0.0, 1.0, **keywords)
    assert str(ours.value) == str(theirs.value)


def test_python_integrand_exception_propagates_unchanged():
    error = KeyError("from the integrand")

    def failing(x):
        raise error

    with pytest.raises(KeyError) as raised:
        ni.quad(failing, 0.0, 1.0)
    assert raised.value is error


@pytest.mark.parametrize("a, b, kind, match", [
    ("x", 1.0, TypeError, "integration limit a must be a real number"),
    (0.0, math.nan, ValueError, "integration limit b is nan"),
], ids=["text_limit", "nan_limit"])
def test_bad_limits_are_named(a, b, kind, match):
    with pytest.raises(kind, match=match):
        ni.quad(EXP, a, b)


@pytest.mark.parametrize("keywords", [
    {"maxp1": 50.0},
    {"limlst": None, "maxp1": None},
    {"maxp1": None, "weight": "alg", "wvar": (0.5, 0.5)},
    {"limlst": "unused", "weight": "cos", "wvar": 2.0},       # finite range: no cycles to limit
    {"maxp1": -1, "limlst": 0, "full_output": 1},
], ids=repr)
def test_maxp1_and_limlst_are_ignored_where_scipy_ignores_them(keywords):
    """scipy reads maxp1 only for cos/sin weights and limlst only for those on an infinite range."""
    expected = si.quad(math.exp, 0.0, 1.0, **keywords)
    got = ni.quad(math.exp, 0.0, 1.0, **keywords)
    assert got[:2] == pytest.approx(expected[:2], rel=1e-13)
    assert len(got) == len(expected)


@pytest.mark.parametrize("call, kind", [
    (lambda q: q(EXP, 0.0, 1.0, limit=50.0), TypeError),              # scipy takes no float for an int option
    (lambda q: q(EXP, 0.0, 1.0, limit=np.float64(5.0)), TypeError),
    (lambda q: q(EXP, 0.0, 1.0, limit=7.9, full_output=1), TypeError),
    (lambda q: q(EXP, 2**1100, 1.0), OverflowError),                  # a real number, too large for a double
    (lambda q: q(EXP, 0.0, -2**1100), OverflowError),
    (lambda q: q(EXP, "0", 1.0), TypeError),                          # text is no number, on either path
    (lambda q: q(EXP, 0.0, b"1", full_output=1), TypeError),
], ids=["float_limit", "numpy_float_limit", "float_limit_general", "huge_a", "huge_b", "text_a", "bytes_b_general"])
def test_argument_kinds_scipy_rejects_are_rejected_on_both_paths(call, kind):
    with pytest.raises(kind):
        call(si.quad)
    with pytest.raises(kind) as ours:
        call(ni.quad)
    with pytest.raises(kind) as general:
        call(ni._quad_general)
    assert str(ours.value) == str(general.value)


@pytest.mark.parametrize("call", [
    lambda q: q(EXP, 0.0, 1.0, args=(2.0,)),                                   # no place for args
    lambda q: q(_libm("pow", (ctypes.c_double, ctypes.c_double)), 0.0, 1.0),   # not an integrand signature
    lambda q: q(EXP, 0.0, 1.0, epsabs=math.nan),
    lambda q: q(EXP, 0.0, 1.0, limit=2**40),
    lambda q: q(EXP, 0.0, 1.0, epsrel="tight"),
], ids=["args_without_place", "wrong_signature", "nan_tolerance", "huge_limit", "text_tolerance"])
def test_errors_raised_in_cpp_are_the_general_paths(call):
    assert_same_error(call, ni.quad, ni._quad_general, Exception)


def test_none_as_integrand_after_the_remembered_integrand_died_is_an_error_not_a_crash():
    """The last native integrand is remembered by a weak reference; once it is gone the
    reference reads None, which must not match an integrand of None."""
    pytest.importorskip("nativecall.jit", reason="the cfunc JIT is an optional part of the build")
    import gc

    def square(x):
        return x * x

    compiled = nativecall.cfunc("float64(float64)")(square)
    assert ni.quad(compiled, 0.0, 1.0) == ni._quad_general(compiled, 0.0, 1.0)
    del compiled
    gc.collect()
    with pytest.raises(ValueError, match="invalid callable"):
        si.quad(None, 0.0, 1.0)
    with pytest.raises((TypeError, ValueError)) as ours:
        ni.quad(None, 0.0, 1.0)
    with pytest.raises((TypeError, ValueError)) as general:
        ni._quad_general(None, 0.0, 1.0)
    assert type(ours.value) is type(general.value) and str(ours.value) == str(general.value)
    with pytest.raises(type(general.value), match="must be a Python callable or a native callback"):
        ni.nquad(None, [[0.0, 1.0]])
