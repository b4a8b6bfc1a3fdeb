"""nativecall.integrate with odd and bad inputs: huge budgets, NaN tolerances, malformed options; clear errors, never a crash."""
import math
import warnings

import numpy as np
import pytest
import scipy.integrate as si

import nativecall
import nativecall.integrate as ni


def gauss(x, *args):
    return math.exp(-x * x)


# Budgets users pass as "no limit": scipy answers at once; so must we, without
# allocating tables for the whole budget up front.
@pytest.mark.parametrize("a, b, kwargs", [
    (0.0, 1.0, dict(limit=10**9)),
    (0.0, math.inf, dict(limit=10**9)),
    (0.0, 1.0, dict(limit=10**9, points=[0.5])),
    (0.0, 1.0, dict(limit=10**9, weight="alg", wvar=(0.5, 0.5))),
    (0.0, 1.0, dict(limit=10**9, weight="cauchy", wvar=0.3)),
    (0.0, 1.0, dict(limit=10**9, weight="cos", wvar=300.0)),
    (0.0, 1.0, dict(maxp1=10**9, weight="cos", wvar=300.0)),
    (0.0, math.inf, dict(limlst=10**9, weight="cos", wvar=3.0)),
], ids=lambda v: str(v)[:40])
def test_huge_budgets_cost_nothing_until_used(a, b, kwargs):
    # scipy allocates maxp1 moment levels up front, so it gets the default.
    theirs = si.quad(gauss, a, b, **{k: v for k, v in kwargs.items() if k != "maxp1"})
    assert ni.quad(gauss, a, b, **kwargs) == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_huge_budgets_in_quad_batch_and_nquad():
    values, _, ier = ni.quad_batch(gauss, 0.0, [1.0, 2.0], limit=10**9)
    assert values == pytest.approx([si.quad(gauss, 0, 1)[0], si.quad(gauss, 0, 2)[0]], rel=1e-14)
    assert not ier.any()
    assert ni.nquad(lambda x, y: x * y, [[0, 1], [0, 1]], opts={"limit": 10**9})[0] == pytest.approx(0.25)


def test_full_output_pads_cycle_tables_to_limlst_like_scipy():
    kwargs = dict(weight="cos", wvar=3.0, limlst=7, full_output=1)
    ours = ni.quad(gauss, 0.0, math.inf, **kwargs)[2]
    theirs = si.quad(gauss, 0.0, math.inf, **kwargs)[2]
    for key in ("rslst", "erlst", "ierlst"):
        assert ours[key].shape == theirs[key].shape == (7,)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: ni.quad(gauss, 0, 1, limit=2**40), OverflowError, r"limit=1099511627776 .*below 2\*\*31"),
    (lambda: ni.quad(gauss, 0, 1, limit=2**40, full_output=1), OverflowError, "limit="),
    (lambda: ni.quad(gauss, 0, 1, weight="cos", wvar=2, maxp1=2**40), OverflowError, "maxp1="),
    (lambda: ni.quad(gauss, 0, math.inf, weight="cos", wvar=2, limlst=2**40), OverflowError, "limlst="),
    (lambda: ni.quad(gauss, 0, 1, epsabs="x"), TypeError, "epsabs must be a real number, got 'x'"),
    (lambda: ni.quad(gauss, 0, 1, limit="x"), (TypeError, ValueError), "limit|invalid literal"),
    (lambda: ni.quad_batch(gauss, 0, 1, workers=10**20), OverflowError, "workers="),
    (lambda: ni.quad_batch(gauss, 0, 1, limit=2**40), OverflowError, "limit="),
    (lambda: ni.quad_batch(gauss, 0, 1, epsabs="x"), TypeError, "quad_batch: epsabs must be a real number, got 'x'"),
    (lambda: ni.quad_batch(gauss, 0, 1, epsrel=None), TypeError, "quad_batch: epsrel must be a real number, got None"),
    (lambda: ni.quad_batch(gauss, 0, 1, limit="x"), TypeError, "quad_batch: limit must be an integer, got 'x'"),
    (lambda: ni.quad_batch(gauss, 0, 1, limit=2.5), TypeError, "quad_batch: limit must be an integer, got 2.5"),
    (lambda: ni.nquad(gauss, [[0, 1]], opts={"limit": 10**12}), OverflowError, "limit="),
    (lambda: ni.nquad(gauss, [[0, 1]], opts={"epsabs": "x"}), TypeError, "epsabs must be a real number"),
    (lambda: ni.nquad(gauss, [[0, 1]], opts=[5]), TypeError, r"opts\[0\] must be a dict"),
    (lambda: ni.nquad(gauss, [[0, 1]], opts=[lambda: 5]), TypeError, "each entry of opts must be a dict"),
    (lambda: ni.nquad(lambda x, y: x, [lambda y: ("a", "b"), [0, 1]]), TypeError,
     r"ranges\[0\]'s low limit must be a real number, got 'a'"),
    (lambda: ni.nquad(gauss, [[0, 1]], opts={"weight": "cos", "wvar": 1.0, "wopts": (0, np.zeros((25, 50)))}),
     ValueError, "'wopts' in opts is not supported"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_out_of_range_and_mistyped_options_are_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("routine", ["quad", "quad_full", "quad_batch", "nquad", "cos_infinite"])
@pytest.mark.parametrize("tolerance", ["epsabs", "epsrel"])
def test_nan_tolerance_is_an_error_not_a_silent_full_budget_run(routine, tolerance):
    options = {tolerance: math.nan}
    calls = {
        "quad": lambda: ni.quad(gauss, 0, 1, **options),
        "quad_full": lambda: ni.quad(gauss, 0, 1, full_output=1, **options),
        "quad_batch": lambda: ni.quad_batch(gauss, 0, [1, 2], **options),
        "nquad": lambda: ni.nquad(gauss, [[0, 1]], opts=options),
        "cos_infinite": lambda: ni.quad(gauss, 0, math.inf, weight="cos", wvar=2.0, **options),
    }
    with pytest.raises(ValueError, match=f"{tolerance} is nan"):
        calls[routine]()


@pytest.mark.parametrize("weight, wvar, pattern", [
    ("alg", (-1.0, 0.0), r"must both be > -1 .*got \(-1.0, 0.0\)"),
    ("alg-log", (0.0, -1.0), r"must both be > -1"),
    ("alg", (math.nan, 0.0), r"must both be > -1 .*nan"),
    ("cauchy", math.nan, "the pole c\\) is nan"),
])
def test_weight_parameters_scipy_calls_merely_invalid_get_a_reason(weight, wvar, pattern):
    with pytest.raises(ValueError, match=pattern):
        ni.quad(gauss, 0.0, 1.0, weight=weight, wvar=wvar)


@pytest.mark.parametrize("weight, wvar", [("cos", np.array(3.0)), ("sin", np.float32(2.5)),
                                          ("cauchy", np.array(0.25)), ("alg", np.array([0.5, -0.5]))])
def test_numpy_scalars_and_arrays_are_accepted_for_wvar_like_scipy(weight, wvar):
    assert ni.quad(gauss, 0.0, 1.0, weight=weight, wvar=wvar) == pytest.approx(
        si.quad(gauss, 0.0, 1.0, weight=weight, wvar=wvar), rel=1e-12, abs=1e-15)
    value = ni.quad_batch(gauss, 0.0, 1.0, weight=weight, wvar=wvar)[0][0]
    assert value == pytest.approx(si.quad(gauss, 0.0, 1.0, weight=weight, wvar=wvar)[0], rel=1e-12)


def moments(maxp1=50):
    info = ni.quad(gauss, 0.0, 1.0, weight="cos", wvar=300.0, full_output=1, maxp1=maxp1)[2]
    return info["momcom"], info["chebmo"]


@pytest.mark.parametrize("wopts, maxp1, pattern", [
    ((-5, np.zeros((25, 50))), 50, r"momcom\) is -5; expected .*0 <= momcom < maxp1 = 50"),
    ((10**9, np.zeros((25, 3))), 3, r"momcom\) is 1000000000"),
    ((3, np.zeros((25, 50))), 3, r"chebmo\) must have shape \(25, maxp1\) = \(25, 3\); got shape \(25, 50\)"),
    ((2, np.zeros((3, 25))), 3, r"got shape \(3, 25\)"),
    ("abc", 50, r"wopts must be \(momcom, chebmo\)"),
    ((1,), 50, r"wopts must be \(momcom, chebmo\)"),
    ((1, None), 50, r"shape \(25, maxp1\)"),
])
def test_malformed_wopts_are_rejected_before_any_moment_is_read(wopts, maxp1, pattern):
    # A negative or oversized momcom used to index the moment table out of bounds.
    with pytest.raises(ValueError, match=pattern):
        ni.quad(gauss, 0.0, 10.0, weight="cos", wvar=300.0, wopts=wopts, maxp1=maxp1, limit=200)


@pytest.mark.parametrize("maxp1", [1, 2, 50])
def test_wopts_from_full_output_round_trip_like_scipy(maxp1):
    wopts = moments(maxp1)
    theirs = si.quad(gauss, 0.0, 1.0, weight="cos", wvar=300.0, wopts=wopts, maxp1=maxp1)
    assert ni.quad(gauss, 0.0, 1.0, weight="cos", wvar=300.0, wopts=wopts, maxp1=maxp1) == pytest.approx(
        theirs, rel=1e-10, abs=1e-14)


def test_nquad_native_integrand_with_python_limits_reports_compiled_errors():
    # The runtime error a compiled integrand records must surface even when
    # Python callables for the limits run inside the native nquad.
    cfunc = pytest.importorskip("nativecall.jit") and nativecall.cfunc

    @cfunc("double(int, double*)")
    def divides_by_zero(n, xx):
        k = 0
        if xx[0] > 0.5:
            return 1 // k
        return 1.0

    for ranges in ([lambda y: (0, 1), [0, 1]], [[0, 1], lambda: (0, 1)], [[0, 1], [0, 1]]):
        with pytest.raises(ZeroDivisionError):
            ni.nquad(divides_by_zero, ranges)
    with pytest.raises(ZeroDivisionError):
        ni.nquad(divides_by_zero, [[0, 1], [0, 1]], opts=[lambda y: {}, {}])
    assert ni.quad(lambda x: x, 0, 1)[0] == 0.5  # nothing stale left behind
