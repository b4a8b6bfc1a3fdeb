"""nativecall.integrate against scipy.integrate, side by side in one run: one quad, 10,000 quads, a 3-D nquad.

Run: python bench/bench_integrate.py (nativecall installed; make bench runs it) [--repeat N]. Prints ratios of medians
and writes bench/out/bench_integrate.json. The scipy side uses numba cfunc LowLevelCallables
(issue 7's baseline) and Cython-made capsules (bench/cy_kernels.pyx, the reference column);
nativecall's side uses the same integrands written in C, loaded with ctypes, and, when the JIT
is built, compiled by nativecall.cfunc. Every kernel comes from bench/kernels.py. Absolute
times drift on shared machines; the ratios are the result.
"""
import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
from harness import Comparison, markdown_table, median_time, print_comparison, write_results  # noqa: E402


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

    lib = kernels.c_library()
    nb = kernels.numba_cfuncs()
    scipy_exp = scipy.LowLevelCallable(nb["exp_over_t2"].ctypes)
    scipy_gauss = scipy.LowLevelCallable(nb["gaussian"].ctypes)
    scipy_cube = scipy.LowLevelCallable(nb["cube"].ctypes)
    cy_exp, cy_gauss, cy_cube = (kernels.scipy_cython(name) for name in ("exp_over_t2", "gaussian", "cube"))
    # Callbacks are made once, as a user would, and reused in every call.
    c_exp = nativecall.LowLevelCallable(lib.exp_over_t2)
    c_gauss = nativecall.LowLevelCallable(lib.gaussian)
    c_gauss_threads = nativecall.LowLevelCallable(lib.gaussian, thread_safe=True)
    c_cube = nativecall.LowLevelCallable(lib.cube)
    jit = kernels.nativecall_cfuncs()
    jitted = None if jit is None else tuple(nativecall.as_callback(jit[name])
                                            for name in ("exp_over_t2", "gaussian", "cube"))
    comparisons = []

    # 1. One quad of exp(-t)/t^2 on [1, inf), called from Python.
    one = Comparison("quad exp(-t)/t**2 on [1, inf)", goal=">= 2.5x vs scipy + numba LowLevelCallable",
                     baseline="scipy.quad + numba cfunc", target_ratio=2.5, reference="scipy.quad + Cython capsule")
    reference = si.quad(scipy_exp, 1, np.inf)
    calls = 2000
    one.add("scipy.quad + numba cfunc",
            median_time(lambda: [si.quad(scipy_exp, 1, np.inf) for _ in range(calls)], repeat) / calls,
            value=reference[0])
    if cy_exp is not None:
        one.add("scipy.quad + Cython capsule",
                median_time(lambda: [si.quad(cy_exp, 1, np.inf) for _ in range(calls)], repeat) / calls)
    one.add("scipy.quad + Python function",
            median_time(lambda: [si.quad(lambda t: math.exp(-t) / t ** 2, 1, np.inf) for _ in range(200)],
                        repeat) / 200)
    ours = ni.quad(c_exp, 1, np.inf)
    one.add("nativecall.quad + C (ctypes)",
            median_time(lambda: [ni.quad(c_exp, 1, np.inf) for _ in range(calls)], repeat) / calls,
            value=ours[0], abs_diff_vs_scipy=abs(ours[0] - reference[0]))
    one.add("nativecall.quad + numba cfunc",
            median_time(lambda: [ni.quad(nb["exp_over_t2"], 1, np.inf) for _ in range(calls)], repeat) / calls)
    if jitted:
        one.add("nativecall.quad + nativecall.cfunc",
                median_time(lambda: [ni.quad(jitted[0], 1, np.inf) for _ in range(calls)], repeat) / calls)
    comparisons.append(one)

    # 2. 10,000 Gaussian integrals over the real line (seed 001).
    alpha = np.linspace(0.1, 10, 10000)
    exact = np.sqrt(np.pi / alpha)
    many = Comparison("10,000 Gaussians exp(-a x^2) on (-inf, inf)",
                      goal=">= 20x vs Python loop of scipy.quad + numba, error no worse",
                      baseline="loop of scipy.quad + numba cfunc", target_ratio=20.0,
                      reference="loop of scipy.quad + Cython capsule")

    def scipy_loop(integrand):
        return lambda: np.array([si.quad(integrand, -np.inf, np.inf, args=(a,))[0] for a in alpha])

    for label, integrand in [("loop of scipy.quad + numba cfunc", scipy_gauss),
                             ("loop of scipy.quad + Cython capsule", cy_gauss)]:
        if integrand is None:
            continue
        values = scipy_loop(integrand)()
        many.add(label, median_time(scipy_loop(integrand), max(3, repeat // 2)),
                 max_error=float(np.max(np.abs(values - exact))))
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
                      baseline="scipy.nquad + numba cfunc", target_ratio=20.0,
                      reference="scipy.nquad + Cython capsule")
    ranges = [[0, 1]] * 3
    scipy_cube_value = si.nquad(scipy_cube, ranges)
    cube.add("scipy.nquad + numba cfunc", median_time(lambda: si.nquad(scipy_cube, ranges), max(3, repeat // 2)),
             value=scipy_cube_value[0])
    if cy_cube is not None:   # scipy.nquad takes a capsule too: it hands the callable to quad at each level
        cube.add("scipy.nquad + Cython capsule", median_time(lambda: si.nquad(cy_cube, ranges), max(3, repeat // 2)),
                 value=si.nquad(cy_cube, ranges)[0])
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
