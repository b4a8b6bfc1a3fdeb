"""How nativecall.integrate reads its arguments, as scipy does: args as any iterable, points=[], None options, limits and rows for quad_batch."""
import ctypes
import math
import warnings

import numpy as np
import pytest
import scipy.integrate as si

import nativecall
import nativecall.integrate as ni


def spike(x):
    return 1.0 / math.sqrt(abs(x - 0.3) + 1e-9)


# scipy's nquad (and so dblquad and tplquad) unpacks args with *args.
@pytest.mark.parametrize("args", [np.array([2.0, 1.0]), range(2, 0, -1), [2, 1], (2, 1)],
                         ids=["ndarray", "range", "list", "tuple"])
def test_nquad_family_unpacks_any_iterable_of_args(args):
    def f(y, x, a, b):
        return a * x * y + b
    theirs = si.dblquad(f, 0, 1, 0, 1, args=tuple(args))
    assert ni.dblquad(f, 0, 1, 0, 1, args=args) == pytest.approx(theirs, rel=1e-14)
    assert ni.nquad(f, [(0, 1), (0, 1)], args=args)[0] == pytest.approx(theirs[0], rel=1e-14)
    assert ni.tplquad(lambda z, y, x, a, b: a * z + b, 0, 1, 0, 1, 0, 1, args=args)[0] == pytest.approx(2.0)


def test_nquad_unpacks_a_string_of_args_as_scipy_does():
    def f(x, y, *extra):
        return x * y * len(extra)
    assert ni.nquad(f, [[0, 1], [0, 1]], args="ab") == pytest.approx(si.nquad(f, [[0, 1], [0, 1]], args="ab"))
    assert ni.nquad(f, [[0, 1], [0, 1]], args=iter((1.0, 2.0)))[0] == pytest.approx(0.5)


def test_nquad_with_array_args_reaches_a_python_range_callable():
    seen = []

    def inner_range(x, a):
        seen.append(a)
        return (0.0, a * x)
    value = ni.nquad(lambda y, x, a: 1.0, [inner_range, (0, 1)], args=np.array([3.0]))[0]
    assert value == pytest.approx(1.5)
    assert seen and all(a == 3.0 for a in seen)


@pytest.mark.parametrize("opts, pattern", [
    ({"limit": 0}, r"ranges\[1\]'s options: Invalid 'limit' argument"),
    ([{"weight": "cauchy", "wvar": 0.0}, {}], r"ranges\[0\]'s options: Parameter 'wvar' must not equal"),
    ([{"weight": "cos", "wvar": 1.0, "maxp1": 0}, {}], r"ranges\[0\]'s options: Chebyshev moment limit maxp1"),
    ([{"weight": "alg", "wvar": (-1, 0)}, {}], r"ranges\[0\]'s options: wvar parameters \(alpha, beta\) must both"),
    ({"epsabs": -1, "epsrel": 0}, r"ranges\[1\]'s options: If 'epsabs'<=0, 'epsrel' must be greater"),
])
def test_nquad_says_what_is_wrong_with_a_levels_options(opts, pattern):
    # scipy raises quad's own message for the level; so do we, naming the level.
    with pytest.raises(ValueError, match=pattern):
        ni.nquad(lambda x, y: x * y, [(0, 1), (0, 1)], opts=opts)


@pytest.mark.parametrize("routine, call", [
    ("dblquad", lambda **kw: ni.dblquad(lambda y, x: 1.0, 0, 1, 0, 1, **kw)),
    ("tplquad", lambda **kw: ni.tplquad(lambda z, y, x: 1.0, 0, 1, 0, 1, 0, 1, **kw)),
])
@pytest.mark.parametrize("tolerance", [None, "1e-8", np.array([0.0, 1.0])], ids=["None", "text", "array"])
def test_dblquad_and_tplquad_name_a_tolerance_that_is_not_a_number(routine, call, tolerance):
    with pytest.raises(TypeError, match=rf"{routine}: epsabs must be a real number, got"):
        call(epsabs=tolerance)


def test_dblquad_and_tplquad_report_bad_tolerances_in_scipys_words():
    message = r"If 'epsabs'<=0, 'epsrel' must be greater than both 5e-29"
    with pytest.raises(ValueError, match=message):
        si.dblquad(lambda y, x: 1.0, 0, 1, 0, 1, epsabs=-1, epsrel=0)
    with pytest.raises(ValueError, match=message):
        ni.dblquad(lambda y, x: 1.0, 0, 1, 0, 1, epsabs=-1, epsrel=0)
    with pytest.raises(ValueError, match=message):
        ni.tplquad(lambda z, y, x: 1.0, 0, 1, 0, 1, 0, 1, epsabs=0, epsrel=1e-30)


def test_unused_fourier_options_may_be_none_and_used_ones_must_be_integers():
    f = [(0, 1), (0, 1)]
    assert ni.nquad(lambda x, y: x, f, opts={"maxp1": None, "limlst": None}) == pytest.approx(
        si.nquad(lambda x, y: x, f, opts={"maxp1": None, "limlst": None}))
    assert ni.quad_batch(lambda x: x, 0, 1, maxp1=None, limlst=None)[0] == pytest.approx([0.5])
    assert ni.quad(lambda x: x, 0, 1, maxp1=None, limlst=None) == pytest.approx(si.quad(lambda x: x, 0, 1))
    with pytest.raises(TypeError):
        si.quad(lambda x: x, 0, 1, weight="cos", wvar=2, maxp1=None)
    with pytest.raises(TypeError, match=r"quad: maxp1 must be an integer for weight 'cos', got None"):
        ni.quad(lambda x: x, 0, 1, weight="cos", wvar=2, maxp1=None)
    with pytest.raises(TypeError, match=r"quad_batch: limlst must be an integer for weight 'sin', got None"):
        ni.quad_batch(lambda x: math.exp(-x), 0, math.inf, weight="sin", wvar=2, limlst=None)
    with pytest.raises(TypeError, match=r"nquad: opts for ranges\[0\]: maxp1 must be an integer, got None"):
        ni.nquad(lambda x, y: x, f, opts=[{"weight": "cos", "wvar": 1.0, "maxp1": None}, {}])
    # limlst only counts on an infinite range (QAWF): a finite constant one ignores it, as scipy.
    finite_cos = [{"weight": "cos", "wvar": 1.0, "limlst": None}, {}]
    assert ni.nquad(lambda x, y: x, f, opts=finite_cos) == pytest.approx(
        si.nquad(lambda x, y: x, f, opts=finite_cos), rel=1e-14)
    with pytest.raises(TypeError, match=r"nquad: opts for ranges\[0\]: limlst must be an integer, got None"):
        ni.nquad(lambda x, y: math.exp(-x), [(0, math.inf), (0, 1)],
                 opts=[{"weight": "cos", "wvar": 1.0, "limlst": None}, {}])


def test_nquad_warns_like_quad_when_points_come_with_a_weight():
    opts = {"weight": "cauchy", "wvar": 0.5, "points": [0.3]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = ni.nquad(lambda x, y: math.exp(x) * y, [(0, 1), (0, 1)], opts=opts)
    assert any(issubclass(w.category, ni.IntegrationWarning) and "Break points cannot be specified" in str(w.message)
               for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = si.nquad(lambda x, y: math.exp(x) * y, [(0, 1), (0, 1)], opts=opts)
    assert ours == pytest.approx(theirs, rel=1e-12)


# scipy runs QAGP whenever points is given, also when none lies inside the range.
@pytest.mark.parametrize("points", [[], [0.0], [0.0, 1.0]], ids=["empty", "an end", "both ends"])
def test_points_without_interior_ones_still_run_qagp(points):
    ours = ni.quad(spike, 0, 1, points=points, full_output=1)
    theirs = si.quad(spike, 0, 1, points=points, full_output=1)
    assert ours[:2] == theirs[:2]
    assert set(ours[2]) == set(theirs[2]) >= {"pts", "level", "ndin"}
    last = theirs[2]["last"]
    for key in ("alist", "blist", "rlist", "elist", "iord", "level"):
        assert np.array_equal(ours[2][key][:last], theirs[2][key][:last]), key
    assert ours[2]["neval"] == theirs[2]["neval"]
    # The same routine whether the integral is one quad, a level of nquad or a batch item.
    assert ni.quad_batch(spike, 0, 1, points=points)[0][0] == ours[0]
    inner = ni.nquad(lambda x, y: spike(x), [(0, 1), (0, 1)], opts=[{"points": points}, {}])
    assert inner == pytest.approx(si.nquad(lambda x, y: spike(x), [(0, 1), (0, 1)], opts=[{"points": points}, {}]),
                                  rel=1e-14)


@pytest.mark.parametrize("a, b, pattern", [
    (0, "1", r"quad_batch: b must hold real numbers, got an array of dtype <U1"),
    (0, ["1", "2"], r"quad_batch: b must hold real numbers"),
    (np.array([0.0, None]), 1, r"quad_batch: a must hold real numbers, got None \(flat index 1\)"),
])
def test_quad_batch_limits_must_be_numbers_not_text_or_none(a, b, pattern):
    with pytest.raises(TypeError, match=pattern):
        ni.quad_batch(lambda x: x, a, b)


@pytest.mark.parametrize("args, error, pattern", [
    ([[1.0], [1.0, 2.0]], ValueError, r"quad_batch: args must be a regular array of numbers"),
    (["a", "b"], TypeError, r"quad_batch: args must hold real numbers"),
])
def test_quad_batch_bad_args_say_so(args, error, pattern):
    with pytest.raises(error, match=pattern):
        ni.quad_batch(lambda x, p: x, 0, 1, args=args)


def test_quad_batch_names_the_item_whose_range_a_break_point_misses():
    with pytest.raises(ValueError, match=r"quad_batch: integral 1: break point 0.5 in 'points' lies outside"):
        ni.quad_batch(lambda x: x, 0, np.array([1.0, 0.4, 2.0]), points=[0.5])
    # An empty item is 0 whatever the points, as quad gives; an infinite one gets quad's (and scipy's) error.
    values = ni.quad_batch(lambda x: x, [0.0, 1.0], [1.0, 1.0], points=[0.5])[0]
    assert values.tolist() == [ni.quad(lambda x: x, 0, 1, points=[0.5])[0], 0.0]
    with pytest.raises(ValueError, match="Infinity inputs cannot be used with break points"):
        ni.quad_batch(lambda x: x, [0.0, -math.inf], [1.0, 0.0], points=[0.5])


def test_quad_batch_hands_a_python_integrand_its_row_as_given():
    # Item i is quad(func, a[i], b[i], args=tuple(args[i])): integers stay integers.
    def repeated(x, n):
        return sum(x for _ in range(n))
    rows = np.array([1, 2, 3])
    values = ni.quad_batch(repeated, 0, 1, args=rows)[0]
    assert values.tolist() == [ni.quad(repeated, 0, 1, args=(int(n),))[0] for n in rows]
    assert values == pytest.approx([0.5, 1.0, 1.5])
    # Broadcast single rows too.
    assert ni.quad_batch(repeated, 0, [1.0, 2.0], args=np.array([[2]]))[0] == pytest.approx([1.0, 4.0])
    # Floats of any width arrive as float64 (no float32 arithmetic in the integrand).
    seen = []

    def scaled(x, p):
        seen.append(type(p))
        return p * x
    narrow = ni.quad_batch(scaled, 0, 1, args=np.array([1.5], dtype=np.float32))
    assert narrow[0][0] == ni.quad(scaled, 0, 1, args=(1.5,))[0] and narrow[1][0] < 1e-13
    assert set(seen) == {float}


def test_complex_func_calls_any_python_callable_as_scipy_does():
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)
    pointer = prototype(lambda x: x * x)
    assert ni.quad(pointer, 0, 1, complex_func=True) == si.quad(pointer, 0, 1, complex_func=True)
    # nativecall's LowLevelCallable can be called from Python too.
    assert ni.quad(nativecall.LowLevelCallable(pointer), 0, 1, complex_func=True) == si.quad(
        pointer, 0, 1, complex_func=True)
    with pytest.raises(TypeError, match="complex_func=True needs a Python callable.*not callable"):
        ni.quad(3.0, 0, 1, complex_func=True)
