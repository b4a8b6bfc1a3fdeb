"""nativecall.integrate nquad, dblquad, tplquad and quad_batch against scipy.integrate, with Python and native C integrands."""
import ctypes
import math
import warnings

import numpy as np
import pytest
import scipy.integrate as si

import nativecall
import nativecall.integrate as ni

INF = math.inf

C_SOURCE = r"""
#include <math.h>
/* xx = [x0, x1, ..., args...] as scipy packs them. */
double product3(int n, double *xx) { return xx[0] * xx[1] * xx[1] * xx[2] * xx[2] * xx[2]; }
double gaussian2(int n, double *xx) { return exp(-xx[0] * xx[0] - xx[1] * xx[1]); }
double xy_scaled(int n, double *xx) { return xx[2] * xx[0] * xx[1]; }          /* f(y, x, a) = a x y */
double kink(int n, double *xx) { return fabs(xx[0] - xx[1]); }
double gauss_param(int n, double *xx) { return exp(-xx[1] * xx[0] * xx[0]); }
double shifted_peak(int n, double *xx) {
    double d = xx[0] - xx[1];
    return 1.0 / (d * d + xx[2]);
}
double one_over_x(double x) { return 1.0 / x; }
double plain_exp(double x) { return exp(-x); }
"""

PACKED = ("product3", "gaussian2", "xy_scaled", "kink", "gauss_param", "shifted_peak")


@pytest.fixture(scope="module")
def lib(native):
    packed = (ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double)])
    scalar = (ctypes.c_double, [ctypes.c_double])
    return native.ctypes_library(C_SOURCE, {**{name: packed for name in PACKED},
                                            **{name: scalar for name in ("one_over_x", "plain_exp")}})


def close(ours, theirs):
    """Values agree within the larger of the two error estimates."""
    return abs(ours[0] - theirs[0]) <= 2 * max(ours[1], theirs[1]) + 1e-13 * abs(theirs[0])


# ---------------------------------------------------------------- nquad

def test_nquad_native_constant_ranges_matches_scipy(lib):
    ranges = [[0, 1], [0, 2], [0, 3]]
    ours = ni.nquad(lib.product3, ranges, full_output=True)
    theirs = si.nquad(lambda x, y, z: x * y * y * z ** 3, ranges, full_output=True)
    assert close(ours, theirs)
    assert ours[2]["neval"] == theirs[2]["neval"]


def test_nquad_infinite_ranges(lib):
    ours = ni.nquad(lib.gaussian2, [[-INF, INF], [-INF, INF]])
    theirs = si.nquad(lambda x, y: math.exp(-x * x - y * y), [[-INF, INF], [-INF, INF]])
    assert close(ours, theirs)
    assert ours[0] == pytest.approx(math.pi, rel=1e-8)


def test_nquad_callable_ranges_and_opts_like_scipys_example():
    # scipy's own nquad docstring example, with callable ranges and options.
    def func2(x0, x1, x2, t0, t1):
        return x0 * x2 ** 2 + math.sin(x1) + 1 + (1 if x0 + t1 * x1 - t0 > 0 else 0)

    def lim0(x1, x2, t0, t1):
        return [t0 * x1 + t1 * x2 - 1, t0 * x1 + t1 * x2 + 1]

    def lim1(x2, t0, t1):
        return [x2 + t0 ** 2 * t1 ** 3 - 1, x2 + t0 ** 2 * t1 ** 3 + 1]

    def lim2(t0, t1):
        return [t0 + t1 - 1, t0 + t1 + 1]

    def opts0(x1, x2, t0, t1):
        return {"points": [t0 - t1 * x1]}

    def opts1(x2, t0, t1):
        return {}

    def opts2(t0, t1):
        return {}

    args = (0, 1)
    ours = ni.nquad(func2, [lim0, lim1, lim2], args=args, opts=[opts0, opts1, opts2])
    theirs = si.nquad(func2, [lim0, lim1, lim2], args=args, opts=[opts0, opts1, opts2])
    assert close(ours, theirs)


def test_nquad_native_integrand_with_python_limits_and_args(lib):
    # ∫_0^1 ∫_{x}^{2-x} a x y dy dx with a passed in args, inner limits from Python.
    ranges = [lambda x, a: (x, 2 - x), [0, 1]]
    ours = ni.nquad(lib.xy_scaled, ranges, args=(3.0,))
    theirs = si.nquad(lambda y, x, a: a * x * y, ranges, args=(3.0,))
    assert close(ours, theirs)
    assert ours[0] == pytest.approx(1.0, rel=1e-12)


def test_nquad_per_level_opts_with_points(lib):
    # |x0 - x1| has a kink at x0 = x1: inner break point from a callable option.
    ranges = [[0, 1], [0, 1]]
    opts = [lambda x1: {"points": [x1], "epsabs": 1e-12}, {"epsabs": 1e-12, "limit": 100}]
    ours = ni.nquad(lib.kink, ranges, opts=opts)
    theirs = si.nquad(lambda x0, x1: abs(x0 - x1), ranges, opts=opts)
    assert close(ours, theirs)
    assert ours[0] == pytest.approx(1.0 / 3.0, abs=1e-11)


def test_nquad_single_dict_of_opts_applies_to_every_level():
    f = lambda x, y: math.cos(x) * math.sin(y)
    ours = ni.nquad(f, [[0, 1], [0, 2]], opts={"epsrel": 1e-12, "epsabs": 0})
    theirs = si.nquad(f, [[0, 1], [0, 2]], opts={"epsrel": 1e-12, "epsabs": 0})
    assert close(ours, theirs)


def test_nquad_warns_when_an_inner_level_does_not_converge(lib):
    f = lambda x, y: 1.0 / x
    with pytest.warns(ni.IntegrationWarning, match="maximum number of subdivisions"):
        ni.nquad(f, [[0, 1], [0, 1]])


def test_nquad_with_full_output_does_not_warn_as_scipy():
    # scipy's inner quads return their messages under full_output, and nquad drops them.
    f = lambda x, y: 1.0 / x
    results = []
    for module in (ni, si):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(module.nquad(f, [[0, 1], [0, 1]], full_output=True))
        assert [w for w in caught if issubclass(w.category, module.IntegrationWarning)] == []
    assert results[0] == results[1]


def test_nquad_python_exception_propagates():
    class Stop(Exception):
        pass

    def f(x, y):
        raise Stop()

    with pytest.raises(Stop):
        ni.nquad(f, [[0, 1], [0, 1]])

    def bad_range(y):
        raise Stop()

    with pytest.raises(Stop):
        ni.nquad(lambda x, y: 1.0, [bad_range, [0, 1]])


def test_nquad_bad_inputs(lib):
    with pytest.raises(ValueError, match="ranges\\[1\\]"):
        ni.nquad(lib.product3, [[0, 1], [0], [0, 1]])
    with pytest.raises(ValueError, match="nan"):
        ni.nquad(lib.product3, [[0, 1], [0, math.nan], [0, 1]])
    with pytest.raises(ValueError, match="pair"):
        ni.nquad(lambda x, y: 1.0, [lambda y: 5, [0, 1]])
    with pytest.raises(ValueError, match="unknown option 'epsilon'"):
        ni.nquad(lambda x: 1.0, [[0, 1]], opts=[{"epsilon": 1e-3}])
    with pytest.raises(ValueError, match="empty"):
        ni.nquad(lambda: 1.0, [])
    with pytest.raises(ValueError, match="opts has 1 entries for 2 ranges"):
        ni.nquad(lambda x, y: 1.0, [[0, 1], [0, 1]], opts=[{}])
    # A native integrand of one variable cannot take two.
    # The message names what the extra values are (here no 'args' were given at all).
    with pytest.raises(ValueError, match=r"receives 1 value\(s\) besides x \(the outer coordinates, then 'args'\)"
                                         r".*double \(int, double \*\)"):
        ni.nquad(lib.one_over_x, [[1, 2], [1, 2]])
    with pytest.raises(ValueError, match=r"receives 3 value\(s\) besides x"):
        ni.nquad(lib.one_over_x, [[1, 2], [1, 2]], args=(1.0, 2.0))



@pytest.mark.parametrize("make_ranges", [
    lambda: [(0.0, 1.0), np.array([0, 2]), range(2)],
    lambda: ([0, 1], (x for x in (0.0, 2.0)), {0: None, 1: None}),
    lambda: np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 1.0]]),
], ids=["tuple_array_range", "generator_and_dict_keys", "array_of_rows"])
def test_nquad_ranges_in_any_iterable_pair_spelling(lib, make_ranges):
    lists = [[0, 1], [0, 2], [0, 1]]
    got = ni.nquad(lib.product3, make_ranges())
    assert got == ni.nquad(lib.product3, lists)
    assert close(got, si.nquad(lambda x, y, z: x * y * y * z * z * z, lists))


@pytest.mark.parametrize("ranges, opts, kind, match", [
    ([[0, "x"]], None, TypeError, r"nquad: the integration limit ranges\[0\]\[1\] must be a real number"),
    ([[0, 1], [math.nan, 1]], None, ValueError, r"nquad: the integration limit ranges\[1\]\[0\] is nan"),
    ([[0, 1], 5], None, ValueError, r"ranges\[1\] must be a pair \(low, high\) or a callable returning one, got 5"),
    ([[0, 1, 2]], None, ValueError, r"ranges\[0\] must be a pair"),
    ([[0, 1]], 7, TypeError, "not iterable"),
    ([[0, 1]], [[1, 2, 3]], TypeError, r"opts\[0\] must be a dict of quad's keywords"),
], ids=["text_limit", "nan_limit", "number_range", "triple_range", "opts_number", "opts_not_a_mapping"])
def test_nquad_bad_ranges_and_opts_are_named(ranges, opts, kind, match):
    with pytest.raises(kind, match=match):
        ni.nquad(lambda *x: 1.0, ranges, opts=opts)


def test_nquad_warning_names_the_failed_levels_limit_as_scipy(lib):
    f = lambda x, y: 1.0 / x
    opts = [{"limit": 3}, {}]
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        ni.nquad(f, [[0, 1], [0, 1]], opts=opts)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        si.nquad(f, [[0, 1], [0, 1]], opts=opts)
    assert "(3)" in str(ours[0].message)
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__

# ---------------------------------------------------------------- dblquad, tplquad

def test_dblquad_matches_scipy_with_callable_and_constant_limits(lib):
    f = lambda y, x, a: a * x * y
    for gfun, hfun in ((lambda x: x, lambda x: 2 - x), (0.0, 2.0)):
        ours = ni.dblquad(f, 0, 1, gfun, hfun, args=(3.0,))
        theirs = si.dblquad(f, 0, 1, gfun, hfun, args=(3.0,))
        assert close(ours, theirs)
        native = ni.dblquad(lib.xy_scaled, 0, 1, gfun, hfun, args=(3.0,))
        assert close(native, theirs)


def test_dblquad_gaussian_over_the_plane(lib):
    ours = ni.dblquad(lib.gaussian2, -INF, INF, -INF, INF)
    theirs = si.dblquad(lambda y, x: math.exp(-x * x - y * y), -INF, INF, -INF, INF)
    assert close(ours, theirs)


def test_tplquad_matches_scipy():
    f = lambda z, y, x: x * y * z
    args = dict(a=1, b=2, gfun=lambda x: 2, hfun=lambda x: 3, qfun=lambda x, y: 0, rfun=lambda x, y: 1)
    ours = ni.tplquad(f, **args)
    theirs = si.tplquad(f, **args)
    assert close(ours, theirs)
    # qfun/rfun receive (x, y) in that order, as in scipy.
    g = lambda z, y, x: 1.0
    ours = ni.tplquad(g, 0, 1, lambda x: 0, lambda x: 1 - x, lambda x, y: 0, lambda x, y: 1 - x - y)
    theirs = si.tplquad(g, 0, 1, lambda x: 0, lambda x: 1 - x, lambda x, y: 0, lambda x, y: 1 - x - y)
    assert close(ours, theirs)
    assert ours[0] == pytest.approx(1.0 / 6.0, rel=1e-12)


def test_tplquad_native_constant_limits_runs_all_in_cpp(lib):
    ours = ni.tplquad(lib.product3, 0, 3, 0, 2, 0, 1)
    assert ours[0] == pytest.approx(0.5 * 8 / 3 * 81 / 4, rel=1e-12)


# ---------------------------------------------------------------- quad_batch

def loop_of_quad(func, a, b, rows, **kwargs):
    n = max(len(np.atleast_1d(a)), len(np.atleast_1d(b)), 0 if rows is None else len(rows))
    a = np.broadcast_to(a, (n,))
    b = np.broadcast_to(b, (n,))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            args = () if rows is None else tuple(np.atleast_1d(rows[i]))
            out.append(ni.quad(func, a[i], b[i], args=args, **kwargs)[:2])
    return np.array(out)


@pytest.mark.parametrize("workers", [None, 1, 2])
def test_quad_batch_native_gaussians_equal_a_loop_of_quad(lib, workers):
    alpha = np.linspace(0.1, 10, 200)
    values, abserr, ier = ni.quad_batch(lib.gauss_param, -INF, INF, args=alpha, workers=workers)
    expected = loop_of_quad(lib.gauss_param, -INF, INF, alpha)
    np.testing.assert_array_equal(values, expected[:, 0])
    np.testing.assert_array_equal(abserr, expected[:, 1])
    assert not ier.any()
    assert np.max(np.abs(values - np.sqrt(np.pi / alpha))) < 1e-9


def test_quad_batch_thread_safe_callback_uses_threads_and_matches(lib):
    callback = nativecall.LowLevelCallable(lib.shifted_peak, thread_safe=True)
    rows = np.column_stack([np.linspace(0.1, 0.9, 64), np.full(64, 1e-4)])
    values, abserr, ier = ni.quad_batch(callback, 0.0, 1.0, args=rows)
    expected = loop_of_quad(lib.shifted_peak, 0.0, 1.0, rows)
    np.testing.assert_array_equal(values, expected[:, 0])


def test_quad_batch_python_integrand_and_array_limits():
    f = lambda x, p: math.sin(p * x)
    b = np.linspace(0.5, 3.0, 25)
    p = np.linspace(1, 4, 25)
    values, abserr, ier = ni.quad_batch(f, 0.0, b, args=p)
    expected = [si.quad(f, 0.0, bi, args=(pi,))[0] for bi, pi in zip(b, p)]
    np.testing.assert_allclose(values, expected, rtol=1e-13, atol=1e-15)
    assert ier.dtype == np.int32 and not ier.any()


def test_quad_batch_with_weight_and_points(lib):
    omega_b = np.linspace(1.0, 5.0, 10)
    values, _, _ = ni.quad_batch(lib.plain_exp, 0.0, omega_b, weight="cos", wvar=7.0)
    expected = loop_of_quad(lib.plain_exp, 0.0, omega_b, None, weight="cos", wvar=7.0)
    np.testing.assert_array_equal(values, expected[:, 0])
    rows = np.column_stack([np.full(5, 0.3), np.full(5, 1e-3)])
    values, _, _ = ni.quad_batch(lib.shifted_peak, 0.0, 1.0, args=rows, points=[0.3])
    expected = loop_of_quad(lib.shifted_peak, 0.0, 1.0, rows, points=[0.3])
    np.testing.assert_array_equal(values, expected[:, 0])


def test_quad_batch_reports_failures_in_ier_and_warns_once(lib):
    with pytest.warns(ni.IntegrationWarning, match="2 of 3 integrals did not converge") as record:
        values, abserr, ier = ni.quad_batch(lib.one_over_x, np.array([0.0, 1.0, 0.0]), 2.0)
    assert len(record) == 1
    expected_ier = []
    for a in (0.0, 1.0, 0.0):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            out = si.quad(lambda x: 1 / x, a, 2.0, full_output=1)
        expected_ier.append(0 if len(out) == 3 else 1)
    assert (ier != 0).tolist() == [bool(e) for e in expected_ier]


def test_quad_batch_progress_callback_sees_every_item(lib):
    seen = []
    ni.quad_batch(lib.gauss_param, -1.0, 1.0, args=np.linspace(1, 2, 250), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 250


def test_quad_batch_python_exception_propagates():
    class Stop(Exception):
        pass

    def f(x, p):
        if p > 2:
            raise Stop()
        return x

    with pytest.raises(Stop):
        ni.quad_batch(f, 0.0, 1.0, args=[1.0, 2.0, 3.0])


def test_quad_batch_bad_inputs(lib):
    with pytest.raises(ValueError, match="must agree"):
        ni.quad_batch(lib.gauss_param, np.zeros(3), np.ones(4), args=np.ones(3))
    with pytest.raises(ValueError, match=r"b\[1\] is nan"):
        ni.quad_batch(lib.gauss_param, 0.0, [1.0, math.nan], args=[1.0, 2.0])
    with pytest.raises(ValueError, match="limit"):
        ni.quad_batch(lib.gauss_param, 0.0, 1.0, args=[1.0], limit=0)
    with pytest.raises(ValueError, match="'args'"):
        ni.quad_batch(lib.plain_exp, 0.0, 1.0, args=[1.0])
    with pytest.raises(ValueError, match="accepted signatures"):
        bad = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda n: n)
        ni.quad_batch(bad, 0.0, 1.0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ni.quad_batch(lib.gauss_param, 0.0, 1.0, args=np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="outside the integration range"):
        ni.quad_batch(lib.plain_exp, 0.0, 1.0, points=[4.0])
