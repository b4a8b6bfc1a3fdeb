"""The vectorised loop entry of nativecall cfuncs (CompiledFunction.many_address) against their scalar entry, and the integrate routines that use it."""
import ctypes
import math

import numpy as np
import pytest
import scipy.integrate as si

import nativecall.integrate as ni

jit = pytest.importorskip("nativecall.jit", reason="the cfunc JIT is an optional part of the build")
from nativecall import cfunc  # noqa: E402
from nativecall.jit import carray  # noqa: E402
from nativecall.types import float64  # noqa: E402

INF = math.inf
c_double_p = ctypes.POINTER(ctypes.c_double)

# The loop entries' C types, one per integrand form.
LOOP = {
    "plain": ctypes.CFUNCTYPE(None, c_double_p, c_double_p, ctypes.c_int64),
    "data": ctypes.CFUNCTYPE(None, c_double_p, c_double_p, ctypes.c_int64, ctypes.c_void_p),
    "packed": ctypes.CFUNCTYPE(None, c_double_p, c_double_p, ctypes.c_int64, ctypes.c_int, c_double_p),
    "packed_data": ctypes.CFUNCTYPE(None, c_double_p, c_double_p, ctypes.c_int64, ctypes.c_int, c_double_p,
                                    ctypes.c_void_p),
}


@cfunc("float64(float64)")
def exp_over_t2(t):
    return math.exp(-t) / (t * t)


@cfunc("float64(float64)")
def trig_mix(x):
    return math.sin(x) * math.cos(3.0 * x) + math.atan(x)


@cfunc("float64(float64)")
def logs_and_roots(x):
    return math.log(1.0 + x * x) + math.sqrt(abs(x)) + x ** 1.5 if x > 0 else math.log1p(x * x)


@cfunc("float64(float64)")
def branchy(x):
    if x < 0.5:
        return x * x
    return 1.0 / x


@cfunc("float64(float64, voidptr)")
def scaled_gaussian(x, data):
    a = carray(data, (1,), dtype=float64)[0]
    return math.exp(-a * x * x)


@cfunc("float64(intc, CPointer(float64))")
def packed_gaussian(n, xx):
    return math.exp(-xx[1] * xx[0] * xx[0])


@cfunc("float64(intc, CPointer(float64))")
def cube(n, xx):
    x = xx[0]
    y = xx[1]
    z = xx[2]
    return math.exp(-(x * x + y * y + z * z)) * math.cos(x * y * z)


@cfunc("float64(intc, CPointer(float64))")
def packed_sum(n, xx):
    total = 0.0
    for i in range(n):
        total += xx[i] * math.exp(-xx[0] * i)
    return total


@cfunc("float64(intc, CPointer(float64), voidptr)")
def packed_with_data(n, xx, data):
    shift = carray(data, (1,), dtype=float64)[0]
    return math.cos(xx[0] - shift) * xx[1]


def run_loop(function, form, x, args=(), data=None):
    """Calls the loop entry of `function` on the array x; returns fx."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    fx = np.full_like(x, np.nan)
    entry = LOOP[form](function._compiled.many_address)
    xp, fxp = x.ctypes.data_as(c_double_p), fx.ctypes.data_as(c_double_p)
    if form in ("packed", "packed_data"):
        xx = np.array([-123.5, *args], dtype=np.float64)
        tail = (len(xx), xx.ctypes.data_as(c_double_p)) + ((data,) if form == "packed_data" else ())
        entry(xp, fxp, len(x), *tail)
        assert xx[0] == -123.5 and list(xx[1:]) == list(args)  # xx[0] is scratch, restored
    elif form == "data":
        entry(xp, fxp, len(x), data)
    else:
        entry(xp, fxp, len(x))
    return fx


def run_scalar(function, form, x, args=(), data=None):
    """The scalar entry, one call per point, through ctypes."""
    out = []
    for value in x:
        if form in ("packed", "packed_data"):
            xx = (ctypes.c_double * (1 + len(args)))(value, *args)
            extra = (data,) if form == "packed_data" else ()
            out.append(function.ctypes(len(xx), xx, *extra))
        elif form == "data":
            out.append(function.ctypes(value, data))
        else:
            out.append(function.ctypes(value))
    return np.array(out)


def pointer_to(value):
    return ctypes.cast(ctypes.pointer(value), ctypes.c_void_p)


# Lengths around the vector width and its remainders; values where libm takes its special paths.
SIZES = [0, 1, 3, 4, 7, 15, 21, 30, 33]
GRID = np.concatenate([np.linspace(-30.0, 30.0, 97), [1e-300, 5e-324, 700.0, 710.0, -745.5, 1e6, 1e300]])


@pytest.mark.parametrize("function, form, args, domain", [
    (exp_over_t2, "plain", (), (0.01, 800.0)),
    (trig_mix, "plain", (), (-50.0, 50.0)),
    (logs_and_roots, "plain", (), (-20.0, 20.0)),
    (branchy, "plain", (), (-3.0, 3.0)),
    (packed_gaussian, "packed", (2.5,), (-40.0, 40.0)),
    (cube, "packed", (0.3, 0.7), (-3.0, 3.0)),
    (packed_sum, "packed", (0.5, 2.0, -1.0), (-5.0, 5.0)),
])
def test_loop_entry_equals_scalar_entry_within_ulps(function, form, args, domain):
    assert function._compiled.many_address != 0
    rng = np.random.default_rng(7)
    for n in SIZES:
        x = rng.uniform(*domain, size=n)
        np.testing.assert_array_max_ulp(run_loop(function, form, x, args), run_scalar(function, form, x, args),
                                        maxulp=4)
    x = GRID[(GRID > domain[0]) & (GRID < domain[1])] if function is not exp_over_t2 else GRID[GRID > 0]
    with np.errstate(all="ignore"):
        loop, scalar = run_loop(function, form, x, args), run_scalar(function, form, x, args)
    np.testing.assert_array_max_ulp(loop, scalar, maxulp=4)


def test_loop_entry_passes_user_data():
    a = ctypes.c_double(1.75)
    x = np.linspace(-4, 4, 29)
    np.testing.assert_array_max_ulp(run_loop(scaled_gaussian, "data", x, data=pointer_to(a)),
                                    run_scalar(scaled_gaussian, "data", x, data=pointer_to(a)), maxulp=4)
    shift = ctypes.c_double(0.25)
    got = run_loop(packed_with_data, "packed_data", x, (3.0,), pointer_to(shift))
    np.testing.assert_array_max_ulp(got, run_scalar(packed_with_data, "packed_data", x, (3.0,), pointer_to(shift)),
                                    maxulp=4)


def test_no_loop_entry_for_other_signatures_or_unoptimised_code():
    @cfunc("float64(float64, float64)")
    def two(x, y):
        return x + y

    @cfunc("float64(float64)", opt_level=0)
    def unoptimised(x):
        return x + 1.0

    assert two._compiled.many_address == 0
    assert unoptimised._compiled.many_address == 0
    assert ni.quad(unoptimised, 0, 1)[0] == pytest.approx(1.5, rel=1e-15)


def test_quad_with_cfunc_agrees_with_scipy_within_the_reported_error():
    cases = [(exp_over_t2, 1, INF, lambda t: math.exp(-t) / t ** 2),
             (trig_mix, -2, 5, lambda x: math.sin(x) * math.cos(3 * x) + math.atan(x)),
             (branchy, 0, 2, lambda x: x * x if x < 0.5 else 1 / x)]
    for function, a, b, python in cases:
        value, error = ni.quad(function, a, b)
        expected, expected_error = si.quad(python, a, b)
        assert abs(value - expected) <= error + expected_error
    value, error = ni.quad(packed_gaussian, -INF, INF, args=(2.5,))
    assert abs(value - math.sqrt(math.pi / 2.5)) <= error


def test_quad_batch_with_cfunc_equals_quad_with_cfunc_exactly():
    alpha = np.linspace(0.1, 10, 97)
    for workers in (1, 2):
        values, errors = ni.quad_batch(packed_gaussian, -INF, INF, args=alpha, workers=workers)[:2]
        loop = np.array([ni.quad(packed_gaussian, -INF, INF, args=(a,))[:2] for a in alpha])
        np.testing.assert_array_equal(values, loop[:, 0])
        np.testing.assert_array_equal(errors, loop[:, 1])
        assert np.all(np.abs(values - np.sqrt(np.pi / alpha)) <= errors)


def test_nquad_with_cfunc_agrees_with_scipy_within_the_reported_error():
    ranges = [[0, 1]] * 3
    value, error = ni.nquad(cube, ranges)
    expected, expected_error = si.nquad(
        lambda x, y, z: math.exp(-(x * x + y * y + z * z)) * math.cos(x * y * z), ranges)
    assert abs(value - expected) <= error + expected_error
    # The innermost level's arguments and outer coordinates reach the loop in xx.
    value, error = ni.nquad(packed_sum, [[0, 1], [1, 2]], args=(0.5,))
    expected, expected_error = si.nquad(lambda x, y, a: x + y * math.exp(-x) + a * math.exp(-2 * x),
                                        [[0, 1], [1, 2]], args=(0.5,))
    assert abs(value - expected) <= error + expected_error


def test_quad_with_cfunc_and_user_data():
    import nativecall

    a = ctypes.c_double(1.75)
    llc = nativecall.LowLevelCallable(scaled_gaussian, pointer_to(a))
    value, error = ni.quad(llc, -INF, INF)
    assert abs(value - math.sqrt(math.pi / 1.75)) <= error
    shift = ctypes.c_double(0.25)
    llc = nativecall.LowLevelCallable(packed_with_data, pointer_to(shift))
    value, error = ni.quad(llc, 0, 2, args=(3.0,))
    assert abs(value - 3.0 * (math.sin(2 - 0.25) - math.sin(-0.25))) <= error
    # Through ctypes the same code is a foreign function: the scalar entry, as scipy calls it.
    scalar = nativecall.LowLevelCallable(packed_with_data.ctypes, pointer_to(shift))
    assert ni.quad(scalar, 0, 2, args=(3.0,)) == si.quad(packed_with_data.to_scipy(pointer_to(shift)), 0, 2,
                                                         args=(3.0,))


def test_quad_remembers_only_the_integrand_it_was_given():
    # quad keeps the last cfunc it resolved (by a weak reference): alternating integrands,
    # one replaced by a new cfunc, and an args mismatch after a remembered call all see
    # their own integrand, as scipy computes it.
    for _ in range(2):
        for function, python in ((exp_over_t2, lambda t: math.exp(-t) / t ** 2),
                                 (trig_mix, lambda x: math.sin(x) * math.cos(3 * x) + math.atan(x))):
            value, error = ni.quad(function, 1, 3)
            expected, expected_error = si.quad(python, 1, 3)
            assert abs(value - expected) <= error + expected_error
    for power in (2.0, 3.0):
        @cfunc("float64(float64)")
        def monomial(x):
            return x ** power  # noqa: B023  (each cfunc freezes its own power)
        assert ni.quad(monomial, 0, 1)[0] == pytest.approx(1 / (power + 1), rel=1e-14)
        del monomial
    ni.quad(exp_over_t2, 1, 2)
    with pytest.raises(ValueError, match="extra argument"):
        ni.quad(exp_over_t2, 1, 2, args=(1.0,))
