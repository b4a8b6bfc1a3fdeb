"""The vectorised loop entry of nativecall cfuncs (CompiledFunction.many_address) against their scalar entry, and the integrate routines that use it."""
import ctypes
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
import scipy.integrate as si

import nativecall.integrate as ni

jit = pytest.importorskip("nativecall.jit", reason="the cfunc JIT is an optional part of the build")
from nativecall import cfunc  # noqa: E402
from nativecall.jit import carray  # noqa: E402
from nativecall.types import float64  # noqa: E402
from nativecall import _jit  # noqa: E402

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


def run_loop(function, form, x, args=(), data=None, entry="many_address"):
    """Calls a loop entry of `function` (many_address, or mirrored_sum_address for
    f(x) + f(-x)) on the array x; returns fx."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    fx = np.full_like(x, np.nan)
    entry = LOOP[form](getattr(function._compiled, entry))
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


# ---------------------------------------------------------------- the loop entry's own exp

@cfunc("float64(float64)")
def plain_exp(x):
    return math.exp(x)


def libm_exp(x):
    """CPython's math.exp (glibc's exp), with +inf where it raises OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def ulp_distance(a, b):
    """How many doubles lie between a and b (0 when equal), both arrays without NaN."""
    def ordered(v):
        bits = v.view(np.int64)
        return np.where(bits < 0, np.int64(-2 ** 63) - bits, bits)
    return np.abs(ordered(a) - ordered(b))


def test_loop_entry_exp_is_within_one_ulp_of_libm():
    rng = np.random.default_rng(2026)
    thresholds = [709.782712893384, np.nextafter(709.782712893384, 710), 709.78, 709.79, 710.0,
                  -708.3964185322641, -708.4, -745.1332191019411, -745.1332191019412, -745.2, -746.0, -1000.0]
    near = np.concatenate([[t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)] for t in thresholds])
    x = np.concatenate([
        np.linspace(-746.0, 710.0, 1_000_003),       # the whole range, steps of 1.5e-3
        rng.uniform(-0.35, 0.35, 200_000),             # |r| <= ln2/2: n = 0, the polynomial alone
        rng.uniform(-745.2, -708.3, 200_000),          # subnormal results
        rng.uniform(700.0, 709.8, 50_000),             # near overflow
        rng.integers(0, 2 ** 64, 200_000, dtype=np.uint64).view(np.float64),   # any double, NaN payloads too
        near, [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1e300, -1e300, INF, -INF, np.nan, -np.nan],
    ])
    with np.errstate(all="ignore"):
        got = run_loop(plain_exp, "plain", x)
    expected = np.array([libm_exp(v) for v in x.tolist()])
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    distance = ulp_distance(got[~nan], expected[~nan])
    worst = np.argmax(distance)
    assert distance[worst] <= 1, f"exp({x[~nan][worst]!r}) = {got[~nan][worst]!r}, libm {expected[~nan][worst]!r}"
    # The ends exactly: 0 below half the smallest subnormal, +inf above DBL_MAX, exp(0) = 1.
    special = np.array([-INF, -746.0, 0.0, -0.0, 709.8, INF])
    np.testing.assert_array_equal(run_loop(plain_exp, "plain", special), [0.0, 0.0, 1.0, 1.0, INF, INF])


def test_exp_integrands_through_quad_and_quad_batch_agree_with_scipy():
    @cfunc("float64(float64)")
    def decaying(x):
        return math.exp(-x) * math.exp(-0.001 * x * x)

    value, error = ni.quad(decaying, 0, INF)
    expected, expected_error = si.quad(lambda x: math.exp(-x) * math.exp(-0.001 * x * x), 0, INF)
    assert abs(value - expected) <= error + expected_error
    alpha = np.geomspace(1e-3, 1e3, 41)
    values, errors = ni.quad_batch(packed_gaussian, -INF, INF, args=alpha, workers=1)[:2]
    for a, v, e in zip(alpha, values, errors):
        reference, reference_error = si.quad(lambda x: math.exp(-a * x * x), -INF, INF)
        assert abs(v - reference) <= e + reference_error
        assert abs(v - math.sqrt(math.pi / a)) <= e


# ---------------------------------------------------------------- one evaluation per point

@cfunc("float64(float64, voidptr)")
def counted(x, data):
    record = carray(data, (2,), dtype=float64)
    record[0] += 1.0
    record[1] = x
    return math.exp(-x * x)


@cfunc("float64(intc, CPointer(float64), voidptr)")
def counted_packed(n, xx, data):
    record = carray(data, (2,), dtype=float64)
    record[0] += 1.0
    record[1] = xx[0]
    return math.exp(-xx[1] * xx[0] * xx[0])


@cfunc("float64(intc, CPointer(float64))")
def counts_in_xx(n, xx):
    xx[1] = xx[1] + 1.0
    return xx[1] * 1000.0 + xx[0]


@cfunc("float64(float64)")
def rational(x):
    if x > 1.0:
        return 1.0 / (x * x)
    return (3.0 + x * x) * math.exp(-x)


@pytest.mark.parametrize("n", range(1, 41))
def test_each_point_is_evaluated_once_when_the_body_writes_memory(n):
    x = np.linspace(-3.0, 2.0, n)
    for function, form, args in ((counted, "data", ()), (counted_packed, "packed_data", (0.7,))):
        record = (ctypes.c_double * 2)(0.0, 0.0)
        got = run_loop(function, form, x, args, ctypes.cast(record, ctypes.c_void_p))
        assert (record[0], record[1]) == (n, x[-1])   # one call per point, in order
        scalar_record = (ctypes.c_double * 2)(0.0, 0.0)
        expected = run_scalar(function, form, x, args, ctypes.cast(scalar_record, ctypes.c_void_p))
        assert (scalar_record[0], scalar_record[1]) == (n, x[-1])
        np.testing.assert_array_max_ulp(got, expected, maxulp=1)
    # A body that writes the arguments it is given sees each point once, in order.
    x = np.arange(n, dtype=np.float64)
    fx = np.zeros(n)
    xx = np.array([-1.5, 0.0])
    LOOP["packed"](counts_in_xx._compiled.many_address)(x.ctypes.data_as(c_double_p), fx.ctypes.data_as(c_double_p),
                                                        n, 2, xx.ctypes.data_as(c_double_p))
    np.testing.assert_array_equal(fx, 1000.0 * np.arange(1, n + 1) + x)
    assert list(xx) == [-1.5, n]


@pytest.mark.parametrize("n", range(1, 41))
def test_a_side_effect_free_body_fills_exactly_its_n_results(n):
    # Such a body may see the last few points twice; fx[n:] must stay untouched.
    x = np.linspace(-2.0, 4.0, 48)
    fx = np.full(48, -7.0)
    entry = LOOP["plain"](rational._compiled.many_address)
    entry(x.ctypes.data_as(c_double_p), fx.ctypes.data_as(c_double_p), n)
    np.testing.assert_array_max_ulp(fx[:n], run_scalar(rational, "plain", x[:n]), maxulp=1)
    assert np.all(fx[n:] == -7.0)


def test_quad_counts_one_call_per_evaluation_through_user_data():
    import nativecall

    record = (ctypes.c_double * 2)(0.0, 0.0)
    llc = nativecall.LowLevelCallable(counted, ctypes.cast(record, ctypes.c_void_p))
    value, error, info = ni.quad(llc, -INF, INF, full_output=1)
    assert abs(value - math.sqrt(math.pi)) <= error
    assert record[0] == info["neval"]


def test_building_a_loop_entry_that_stays_scalar_prints_nothing(capfd):
    # The blocks ask LLVM for vectorisation; a body it cannot widen (a call into the
    # runtime on a NULL user_data) must not make LLVM print remarks or warnings.
    @cfunc("float64(float64, voidptr)")
    def scaled(x, data):
        return carray(data, (1,), dtype=float64)[0] * math.exp(-x * x)

    capfd.readouterr()
    assert scaled._compiled.many_address != 0
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    a = ctypes.c_double(2.0)
    x = np.linspace(-1, 1, 13)
    np.testing.assert_array_max_ulp(run_loop(scaled, "data", x, data=pointer_to(a)),
                                    run_scalar(scaled, "data", x, data=pointer_to(a)), maxulp=1)


@cfunc("float64(voidptr)")
def bump(data):
    record = carray(data, (1,), dtype=float64)
    record[0] += 1.0
    return 0.0


@cfunc("float64(float64, voidptr)")
def calls_bump(x, data):
    return math.exp(-x * x) + bump(data)


@pytest.mark.parametrize("n", [1, 5, 7, 8, 9, 15, 21, 30, 33])
def test_a_body_calling_a_cfunc_with_side_effects_sees_each_point_once(n):
    # The call is opaque to the loop entry (the callee could do anything): one call per point.
    x = np.linspace(-2.0, 2.0, n)
    record = (ctypes.c_double * 1)(0.0)
    got = run_loop(calls_bump, "data", x, data=ctypes.cast(record, ctypes.c_void_p))
    assert record[0] == n
    scalar_record = (ctypes.c_double * 1)(0.0)
    expected = run_scalar(calls_bump, "data", x, data=ctypes.cast(scalar_record, ctypes.c_void_p))
    assert scalar_record[0] == n
    np.testing.assert_array_max_ulp(got, expected, maxulp=1)


def run_mirrored(function, form, x, args=(), data=None):
    """The mirrored-sum loop entry of `function` on x: f(x) + f(-x)."""
    return run_loop(function, form, x, args, data, entry="mirrored_sum_address")


def assert_same_bits(got, expected):
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.int64), expected[~nan].view(np.int64))


@pytest.mark.parametrize("function, form, args", [
    (trig_mix, "plain", ()),
    (branchy, "plain", ()),
    (packed_gaussian, "packed", (2.5,)),
    (cube, "packed", (0.3, 0.7)),
    (packed_sum, "packed", (0.5, 2.0, -1.0)),
])
def test_mirrored_sum_entry_is_the_loop_entry_at_x_plus_at_minus_x_bit_for_bit(function, form, args):
    rng = np.random.default_rng(11)
    for n in SIZES + [60, 61]:
        x = rng.uniform(-30.0, 30.0, size=n)
        with np.errstate(all="ignore"):
            expected = run_loop(function, form, x, args) + run_loop(function, form, -x, args)
        assert_same_bits(run_mirrored(function, form, x, args), expected)
    with np.errstate(all="ignore"):
        expected = run_loop(function, form, GRID, args) + run_loop(function, form, -GRID, args)
        assert_same_bits(run_mirrored(function, form, GRID, args), expected)


def test_mirrored_sum_entry_passes_user_data():
    a, shift = ctypes.c_double(1.75), ctypes.c_double(0.25)
    x = np.linspace(-4, 4, 29)
    assert_same_bits(run_mirrored(scaled_gaussian, "data", x, data=pointer_to(a)),
                     run_loop(scaled_gaussian, "data", x, data=pointer_to(a)) +
                     run_loop(scaled_gaussian, "data", -x, data=pointer_to(a)))
    assert_same_bits(run_mirrored(packed_with_data, "packed_data", x, (3.0,), pointer_to(shift)),
                     run_loop(packed_with_data, "packed_data", x, (3.0,), pointer_to(shift)) +
                     run_loop(packed_with_data, "packed_data", -x, (3.0,), pointer_to(shift)))


def test_the_mirrored_sum_loop_is_built_once_and_only_for_the_whole_real_line():
    @cfunc("float64(intc, CPointer(float64))")
    def bell(n, xx):
        return math.exp(-xx[1] * xx[0] * xx[0])

    runs = _jit.codegen_runs()
    assert ni.quad(bell, 0, INF, args=(2.0,))[0] == pytest.approx(0.5 * math.sqrt(math.pi / 2.0), rel=1e-12)
    ni.quad(bell, -1, 1, args=(2.0,), full_output=1)
    ni.quad_batch(bell, [0.0, -INF], [INF, 3.0], args=[[1.0], [2.0]])
    with pytest.raises(ValueError):   # weights are not for the whole line (as in scipy)
        ni.quad(bell, -INF, INF, args=(2.0,), weight="cos", wvar=1.0)
    assert _jit.codegen_runs() == runs + 1   # the plain loop only
    for _ in range(3):   # quad's front door, full_output's path and quad_batch each find it
        value, error = ni.quad(bell, -INF, INF, args=(2.0,))[:2]
        assert abs(value - math.sqrt(math.pi / 2.0)) <= error
        ni.quad(bell, -INF, INF, args=(3.0,), full_output=1)
        ni.quad_batch(bell, [0.0, -INF], [INF, INF], args=[[1.0], [2.0]])
    assert _jit.codegen_runs() == runs + 2


def test_each_call_builds_only_the_loops_it_uses():
    def fresh():
        @cfunc("float64(intc, CPointer(float64))")
        def bell(n, xx):
            return math.exp(-xx[1] * xx[0] * xx[0])
        return bell

    # quad, nquad and quad_batch on the whole line use only the mirrored loop ...
    for call in (lambda f: ni.quad(f, -INF, INF, args=(2.0,)),
                 lambda f: ni.quad(f, -INF, INF, args=(2.0,), full_output=1),
                 lambda f: ni.nquad(f, [[-INF, INF]], args=(2.0,)),
                 lambda f: ni.quad_batch(f, -INF, INF, args=[1.0, 2.0])):
        bell = fresh()
        runs = _jit.codegen_runs()
        call(bell)
        assert _jit.codegen_runs() == runs + 1
        # ... and a later integral elsewhere builds the plain one, once.
        ni.quad(bell, 0, 1, args=(2.0,))
        ni.quad(bell, -INF, INF, args=(2.0,))
        ni.quad(bell, 0, 1, args=(2.0,))
        assert _jit.codegen_runs() == runs + 2
    # A batch with items of both kinds builds both, and a weighted whole-line batch only the plain one.
    bell = fresh()
    runs = _jit.codegen_runs()
    values = ni.quad_batch(bell, [-INF, 0.0], INF, args=[2.0, 2.0])[0]
    assert _jit.codegen_runs() == runs + 2
    np.testing.assert_allclose(values, [math.sqrt(math.pi / 2), 0.5 * math.sqrt(math.pi / 2)], rtol=1e-12)
    bell = fresh()
    runs = _jit.codegen_runs()
    ni.quad_batch(bell, 0.0, INF, args=[2.0], weight="cos", wvar=1.0)
    assert _jit.codegen_runs() == runs + 1


def test_whole_line_integrals_with_cfuncs_match_scipy_and_quad_batch_matches_quad():
    # Even, odd and neither: the mirrored loop serves all of them.
    @cfunc("float64(intc, CPointer(float64))")
    def shifted(n, xx):
        return math.exp(-xx[1] * (xx[0] - 0.3) ** 2) * math.cos(xx[0])

    @cfunc("float64(float64)")
    def odd_plus_even(x):
        return x * math.exp(-abs(x)) + 2.0 / (1.0 + x ** 4)

    for function, args, python in [
            (packed_gaussian, (0.7,), lambda x: math.exp(-0.7 * x * x)),
            (shifted, (1.3,), lambda x: math.exp(-1.3 * (x - 0.3) ** 2) * math.cos(x)),
            (odd_plus_even, (), lambda x: x * math.exp(-abs(x)) + 2.0 / (1.0 + x ** 4))]:
        value, error, info = ni.quad(function, -INF, INF, args=args, full_output=1)
        expected, expected_error, expected_info = si.quad(python, -INF, INF, full_output=1)
        assert abs(value - expected) <= error + expected_error
        assert info["neval"] == expected_info["neval"]
    alpha = np.linspace(0.2, 5.0, 41)
    batch = ni.quad_batch(shifted, -INF, INF, args=alpha)
    loop = np.array([ni.quad(shifted, -INF, INF, args=(a,))[:2] for a in alpha])
    np.testing.assert_array_equal(batch[0], loop[:, 0])
    np.testing.assert_array_equal(batch[1], loop[:, 1])


def test_nquad_over_the_whole_line_uses_the_mirrored_loop_and_matches_scipy():
    @cfunc("float64(intc, CPointer(float64))")
    def tilted(n, xx):
        return math.exp(-(xx[0] * xx[0] + xx[2] * xx[1] * xx[1])) * math.cos(xx[0] - xx[1])

    runs = _jit.codegen_runs()
    for ranges in ([[-1, 2], [-INF, INF]], [[0, INF], [-1, 1]]):
        ni.nquad(tilted, ranges, args=(0.5,))
    assert _jit.codegen_runs() == runs + 1   # the plain loop only
    value, error, info = ni.nquad(tilted, [[-INF, INF], [-2, INF]], args=(0.5,), full_output=True)
    assert _jit.codegen_runs() == runs + 2
    expected, expected_error, expected_info = si.nquad(
        lambda x, y, a: math.exp(-(x * x + a * y * y)) * math.cos(x - y), [[-INF, INF], [-2, INF]], args=(0.5,),
        full_output=True)
    assert abs(value - expected) <= error + expected_error
    assert info["neval"] == expected_info["neval"]


def float_expressions(depth):
    """Random float expressions of x = xx[0] and a parameter p = xx[1]: odd, even and
    neither, with negations in every position the negation hoisting rewrites."""
    leaves = st.sampled_from(["x", "p", "(-x)", "0.5", "-2.0", "-0.0", "3.0"])
    if depth == 0:
        return leaves
    sub = float_expressions(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda e: f"(-{e})"),
        sub.map(lambda e: f"abs({e})"),
        sub.map(lambda e: f"({e}) ** 2"),
        sub.map(lambda e: f"math.exp(-({e}) * ({e}))"),
        sub.map(lambda e: f"math.cos({e})"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} if x < p else {t[1]} * {t[2]})"),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=float_expressions(3), p=st.sampled_from([0.0, -0.0, 0.75, -2.5, math.inf]))
def test_random_bodies_mirrored_sum_is_the_loop_at_x_plus_at_minus_x(expr, p):
    source = f"def f(n, xx):\n    x = xx[0]\n    p = xx[1]\n    return {expr}\n"
    function = cfunc("float64(intc, CPointer(float64))", source=source)
    x = np.concatenate([np.linspace(-6.0, 6.0, 25), [0.0, -0.0, 1e-300, 700.0, math.inf, -math.inf, math.nan]])
    with np.errstate(all="ignore"):
        expected = run_loop(function, "packed", x, (p,)) + run_loop(function, "packed", -x, (p,))
    assert_same_bits(run_mirrored(function, "packed", x, (p,)), expected)
