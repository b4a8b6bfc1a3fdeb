"""nativecall.integrate against scipy.integrate, side by side in one run: one quad, 10,000 quads, a 3-D nquad.

Run: python bench/bench_integrate.py (nativecall installed; make bench runs it) [--repeat N]. Prints ratios of medians
and writes bench/out/bench_integrate.json. The scipy side uses numba cfunc LowLevelCallables
(the fastest route scipy offers); nativecall's side uses the same integrands written in C,
compiled here and loaded with ctypes, and, when the JIT is built, compiled by nativecall.cfunc. Absolute times drift on shared machines; the ratios
are the result.
"""
import argparse
import ctypes
import math
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Comparison, markdown_table, median_time, print_comparison, write_results  # noqa: E402

C_SOURCE = r"""
#include <math.h>
double exp_over_t2(double t) { return exp(-t) / (t * t); }
double gaussian(int n, double *xx) { return exp(-xx[1] * xx[0] * xx[0]); }
double cube(int n, double *xx) {
    double x = xx[0], y = xx[1], z = xx[2];
    return exp(-(x * x + y * y + z * z)) * cos(x * y * z);
}
"""


def build_c_integrands(folder):
    source = Path(folder) / "integrands.c"
    source.write_text(C_SOURCE)
    library = Path(folder) / "integrands.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.exp_over_t2.restype = ctypes.c_double
    lib.exp_over_t2.argtypes = [ctypes.c_double]
    for name in ("gaussian", "cube"):
        fn = getattr(lib, name)
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    return lib


def numba_integrands():
    from numba import cfunc, types

    packed = types.float64(types.intc, types.CPointer(types.float64))

    @cfunc("float64(float64)")
    def exp_over_t2(t):
        return math.exp(-t) / (t ** 2)

    @cfunc(packed)
    def gaussian(n, xx):
        return math.exp(-xx[1] * xx[0] * xx[0])

    @cfunc(packed)
    def cube(n, xx):
        x, y, z = xx[0], xx[1], xx[2]
        return math.exp(-(x * x + y * y + z * z)) * math.cos(x * y * z)

    return exp_over_t2, gaussian, cube


def nativecall_cfuncs():
    """The same integrands compiled by nativecall's JIT, or None when it is not built."""
    try:
        import nativecall
        from nativecall import cfunc
    except (ImportError, AttributeError):
        return None

    @cfunc("float64(float64)")
    def exp_over_t2(t):
        return math.exp(-t) / (t * t)

    @cfunc("float64(intc, CPointer(float64))")
    def gaussian(n, xx):
        return math.exp(-xx[1] * xx[0] * xx[0])

    @cfunc("float64(intc, CPointer(float64))")
    def cube(n, xx):
        x = xx[0]
        y = xx[1]
        z = xx[2]
        return math.exp(-(x * x + y * y + z * z)) * math.cos(x * y * z)

    return tuple(nativecall.as_callback(f) for f in (exp_over_t2, gaussian, cube))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed samples per contender (median taken)")
    parser.add_argument("--quick", action="store_true", help="three samples per contender, for a smoke run")
    options = parser.parse_args()
    repeat = 3 if options.quick else options.repeat

    import scipy
    import scipy.integrate as si

    import nativecall
    import nativecall.integrate as ni

    folder = tempfile.mkdtemp(prefix="bench_integrate_")
    lib = build_c_integrands(folder)
    nb_exp, nb_gauss, nb_cube = numba_integrands()
    scipy_exp = scipy.LowLevelCallable(nb_exp.ctypes)
    scipy_gauss = scipy.LowLevelCallable(nb_gauss.ctypes)
    scipy_cube = scipy.LowLevelCallable(nb_cube.ctypes)
    # Callbacks are made once, as a user would, and reused in every call.
    c_exp = nativecall.LowLevelCallable(lib.exp_over_t2)
    c_gauss = nativecall.LowLevelCallable(lib.gaussian)
    c_gauss_threads = nativecall.LowLevelCallable(lib.gaussian, thread_safe=True)
    c_cube = nativecall.LowLevelCallable(lib.cube)
    jitted = nativecall_cfuncs()
    comparisons = []

    # 1. One quad of exp(-t)/t^2 on [1, inf), called from Python.
    one = Comparison("quad exp(-t)/t**2 on [1, inf)", goal=">= 2.5x vs scipy + numba LowLevelCallable",
                     baseline="scipy.quad + numba cfunc", target_ratio=2.5)
    reference = si.quad(scipy_exp, 1, np.inf)
    calls = 2000
    one.add("scipy.quad + numba cfunc",
            median_time(lambda: [si.quad(scipy_exp, 1, np.inf) for _ in range(calls)], repeat) / calls,
            value=reference[0])
    one.add("scipy.quad + Python function",
            median_time(lambda: [si.quad(lambda t: math.exp(-t) / t ** 2, 1, np.inf) for _ in range(200)],
                        repeat) / 200)
    ours = ni.quad(c_exp, 1, np.inf)
    one.add("nativecall.quad + C (ctypes)",
            median_time(lambda: [ni.quad(c_exp, 1, np.inf) for _ in range(calls)], repeat) / calls,
            value=ours[0], abs_diff_vs_scipy=abs(ours[0] - reference[0]))
    one.add("nativecall.quad + numba cfunc",
            median_time(lambda: [ni.quad(nb_exp, 1, np.inf) for _ in range(calls)], repeat) / calls)
    if jitted:
        one.add("nativecall.quad + nativecall.cfunc",
                median_time(lambda: [ni.quad(jitted[0], 1, np.inf) for _ in range(calls)], repeat) / calls)
    comparisons.append(one)

    # 2. 10,000 Gaussian integrals over the real line (seed 001).
    alpha = np.linspace(0.1, 10, 10000)
    exact = np.sqrt(np.pi / alpha)
    many = Comparison("10,000 Gaussians exp(-a x^2) on (-inf, inf)",
                      goal=">= 20x vs Python loop of scipy.quad + numba, error no worse",
                      baseline="loop of scipy.quad + numba cfunc", target_ratio=20.0)

    def scipy_loop():
        return np.array([si.quad(scipy_gauss, -np.inf, np.inf, args=(a,))[0] for a in alpha])

    scipy_values = scipy_loop()
    many.add("loop of scipy.quad + numba cfunc", median_time(scipy_loop, max(3, repeat // 2)),
             max_error=float(np.max(np.abs(scipy_values - exact))))
    contenders = [("quad_batch + C, 1 thread", c_gauss, None),
                  ("quad_batch + C, thread-safe (all cores)", c_gauss_threads, None)]
    if jitted:
        contenders.append(("quad_batch + nativecall.cfunc (all cores)", jitted[1], None))
    for label, callback, workers in contenders:
        values = ni.quad_batch(callback, -np.inf, np.inf, args=alpha, workers=workers)[0]
        many.add(f"nativecall.{label}",
                 median_time(lambda: ni.quad_batch(callback, -np.inf, np.inf, args=alpha, workers=workers),
                             repeat),
                 max_error=float(np.max(np.abs(values - exact))))
    comparisons.append(many)

    # 3. A 3-D nquad over [0, 1]^3.
    cube = Comparison("nquad exp(-|x|^2) cos(xyz) on [0,1]^3", goal=">= 20x vs scipy.nquad, same LowLevelCallable",
                      baseline="scipy.nquad + numba cfunc", target_ratio=20.0)
    ranges = [[0, 1]] * 3
    scipy_cube_value = si.nquad(scipy_cube, ranges)
    cube.add("scipy.nquad + numba cfunc", median_time(lambda: si.nquad(scipy_cube, ranges), max(3, repeat // 2)),
             value=scipy_cube_value[0])
    ours = ni.nquad(c_cube, ranges)
    cube.add("nativecall.nquad + C (ctypes)", median_time(lambda: ni.nquad(c_cube, ranges), repeat),
             value=ours[0], abs_diff_vs_scipy=abs(ours[0] - scipy_cube_value[0]))
    cube.add("nativecall.nquad + numba cfunc", median_time(lambda: ni.nquad(scipy_cube, ranges), repeat))
    if jitted:
        cube.add("nativecall.nquad + nativecall.cfunc", median_time(lambda: ni.nquad(jitted[2], ranges), repeat))
    comparisons.append(cube)

    for c in comparisons:
        print_comparison(c)
    print()
    print(markdown_table(comparisons))
    path = write_results("bench_integrate", comparisons)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        main()
