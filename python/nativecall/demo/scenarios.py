"""The demo's scenarios (seeds 001, 002 and 004), each timed against scipy with the same kernels."""
import math
import statistics
import time
from pathlib import Path

import numpy as np

import nativecall
from nativecall import cfunc


def _median_seconds(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _table(rows, headers):
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    line = "  " + "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers).rstrip())
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row).rstrip())


# ---------------------------------------------------------------- compiled kernels

@cfunc("float64(intc, CPointer(float64))")
def gauss_packed(n, xx):
    """exp(-a x^2) with x = xx[0] and a = xx[1], as quad packs extra arguments."""
    return math.exp(-xx[1] * xx[0] * xx[0])


@cfunc("float64(float64, voidptr)")
def gauss_user_data(x, user_data):
    a = nativecall.carray(user_data, (1,), dtype=np.float64)[0]
    return math.exp(-a * x * x)


def exp_over_t2(t):
    return np.exp(-t) / (t ** 2)


exp_over_t2_native = cfunc("float64(float64)")(exp_over_t2)


@cfunc("intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)")
def shift_mapping(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = nativecall.carray(input_ptr, (input_rank,))
    output_ = nativecall.carray(output_ptr, (output_rank,))
    shift = nativecall.carray(user_data, (1,), dtype=np.float64)[0]
    for i in range(input_rank):
        input_[i] = output_[i] - shift
    return 1


@cfunc("intc(CPointer(float64), intp, CPointer(float64), voidptr)")
def nbmin(values_ptr, len_values, result, data):
    values = nativecall.carray(values_ptr, (len_values,), dtype=np.float64)
    result[0] = np.inf
    for v in values:
        if v < result[0]:
            result[0] = v
    return 1


# ---------------------------------------------------------------- seed 001

def gaussian(args):
    """10,000 Gaussian integrals: pure Python, scipy + LowLevelCallable, nativecall quad_batch."""
    import ctypes

    import scipy
    from scipy.integrate import quad

    n = 1000 if args.quick else 10_000
    a = np.linspace(0.1, 10, n)
    exact = np.sqrt(np.pi / a)

    def integrand(x, a):
        return np.exp(-a * x ** 2)

    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety
        def tqdm(iterable, **_):
            return iterable

    start = time.perf_counter()
    py_result = np.array([quad(integrand, -np.inf, np.inf, (ai,))[0]
                          for ai in tqdm(a, desc="  pure Python", unit="integral", leave=False)])
    t_python = time.perf_counter() - start

    # scipy with a native integrand: one LowLevelCallable whose user_data points at `a`.
    a_slot = ctypes.c_double(0.0)
    low_level = scipy.LowLevelCallable(gauss_user_data.ctypes, ctypes.cast(ctypes.pointer(a_slot), ctypes.c_void_p))

    def scipy_native():
        out = np.empty(n)
        for i, ai in enumerate(a):
            a_slot.value = ai
            out[i] = quad(low_level, -np.inf, np.inf)[0]
        return out

    start = time.perf_counter()
    ll_result = scipy_native()
    t_lowlevel = time.perf_counter() - start

    from nativecall.integrate import quad_batch
    quad_batch(gauss_packed, -np.inf, np.inf, args=a[:2])  # first call loads the routine
    start = time.perf_counter()
    nc_result, _abserr, ier = quad_batch(gauss_packed, -np.inf, np.inf, args=a)
    t_native = time.perf_counter() - start

    rows = []
    for label, seconds, result in (("pure Python + scipy.quad", t_python, py_result),
                                   ("scipy.quad + LowLevelCallable (cfunc)", t_lowlevel, ll_result),
                                   ("nativecall cfunc + quad_batch", t_native, nc_result)):
        rows.append((label, f"{seconds:.3f} s", f"{t_python / seconds:.0f}x",
                     f"{np.max(np.abs(result - exact)):.1e}"))
    _table(rows, ("method", "time", "speed-up", "max |error| vs sqrt(pi/a)"))
    print(f"  all {n} integrals converged: {bool(np.all(ier == 0))}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    top.plot(a, exact, label="analytical", linewidth=3, alpha=0.5)
    top.plot(a, nc_result, "--", label="numerical (nativecall)")
    top.set_ylabel("Gaussian integral")
    top.set_title(f"{n} points")
    top.legend()
    for label, result in (("pure Python", py_result), ("nativecall", nc_result)):
        bottom.semilogy(a, np.maximum(np.abs(result - exact), 1e-18), label=label, alpha=0.7)
    bottom.set_xlabel("a")
    bottom.set_ylabel("|numerical - analytical|")
    bottom.legend()
    fig.tight_layout()
    path = out / "gaussian_integral.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"  plot written to {path.resolve()}")


# ---------------------------------------------------------------- seed 002, integration

def exp_integral(args):
    """exp(-t)/t**2 on [1, inf): a Python integrand against the same function compiled."""
    import scipy.integrate

    from nativecall import integrate

    repeat = 5 if args.quick else 21
    rows = []
    reference = scipy.integrate.quad(exp_over_t2, 1, np.inf)
    for label, run in (
            ("scipy.quad, Python integrand", lambda: scipy.integrate.quad(exp_over_t2, 1, np.inf)),
            ("scipy.quad, cfunc.ctypes", lambda: scipy.integrate.quad(exp_over_t2_native.ctypes, 1, np.inf)),
            ("nativecall quad, cfunc", lambda: integrate.quad(exp_over_t2_native, 1, np.inf))):
        value, error = run()
        rows.append([label, f"{value:.15f}", f"{error:.1e}", _median_seconds(run, repeat)])
    base = rows[0][3]
    for row in rows:
        row.append(f"{base / row[3]:.0f}x")
        row[3] = f"{row[3] * 1e6:.1f} us"
    _table(rows, ("method", "value", "abserr", "median time", "speed-up"))
    print(f"  scipy's own result: {reference[0]:.15f}")


# ---------------------------------------------------------------- seeds 002 and 004, ndimage

def images(args):
    """shift through geometric_transform, and nbmin through generic_filter, against scipy."""
    import scipy
    import scipy.ndimage

    from nativecall import ndimage

    shift = np.array([0.5])
    mapping = shift_mapping.to_lowlevel(user_data=shift)
    im = np.arange(12).reshape(4, 3).astype(np.float64)
    ours = ndimage.geometric_transform(im, mapping)
    theirs = scipy.ndimage.geometric_transform(im, shift_mapping.to_scipy(user_data=shift))
    print("  the 4x3 image of seed 002 shifted by 0.5:")
    for row in ours:
        print("    " + "  ".join(f"{v:8.4f}" for v in row))
    print(f"  largest difference from scipy: {np.max(np.abs(ours - theirs)):.1e}")

    repeat = 3 if args.quick else 5
    size = 512 if args.quick else 1024
    image = np.random.default_rng(0).random((size, size))
    rows = []
    t_scipy = _median_seconds(lambda: scipy.ndimage.geometric_transform(
        image, shift_mapping.to_scipy(user_data=shift)), repeat)
    t_ours = _median_seconds(lambda: ndimage.geometric_transform(image, mapping), repeat)
    same = bool(np.allclose(ndimage.geometric_transform(image, mapping),
                            scipy.ndimage.geometric_transform(image, shift_mapping.to_scipy(user_data=shift)),
                            rtol=1e-12, atol=1e-12))
    rows.append((f"geometric_transform shift, {size}x{size}, order 3", f"{t_scipy:.3f} s", f"{t_ours:.3f} s",
                 f"{t_scipy / t_ours:.1f}x", same))

    size = 512 if args.quick else 2048
    image = np.random.default_rng(1).random((size, size))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    scipy_cb = nbmin.to_scipy()
    t_scipy = _median_seconds(lambda: scipy.ndimage.generic_filter(image, scipy_cb, footprint=footprint), repeat)
    t_ours = _median_seconds(lambda: ndimage.generic_filter(image, nbmin, footprint=footprint), repeat)
    same = bool(np.array_equal(ndimage.generic_filter(image, nbmin, footprint=footprint),
                               scipy.ndimage.generic_filter(image, scipy_cb, footprint=footprint)))
    rows.append((f"generic_filter nbmin, {size}x{size}, cross", f"{t_scipy:.3f} s", f"{t_ours:.3f} s",
                 f"{t_scipy / t_ours:.1f}x", same))
    _table(rows, ("routine", "scipy + cfunc", "nativecall", "speed-up", "matches scipy"))


def signatures(args):
    """The seed 002 failure: scipy compares signature strings, nativecall compares ABIs."""
    from nativecall import _core

    accepted = [_core.Signature("int (intptr_t *, double *, int, int, void *)")]
    for text in ("int (ssize_t *, double *, int, int, void *)",
                 "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)",
                 "long (longlong *, double *, long, long, void *)"):
        try:
            _core.select_signature(_core.Signature(text), accepted, "geometric_transform's mapping")
            verdict = "accepted (same ABI)"
        except ValueError as error:
            verdict = "refused: " + str(error).splitlines()[-1]
        print(f"  {text:<62} {verdict}")


# name -> (title, function), in the order the demo runs them
ALL = {
    "gaussian": ("Seed 001: 10,000 Gaussian integrals", gaussian),
    "exp": ("Seed 002: exp(-t)/t**2 on [1, inf)", exp_integral),
    "images": ("Seeds 002 and 004: image callbacks", images),
    "signatures": ("Signatures matched by ABI, not by string", signatures),
}
