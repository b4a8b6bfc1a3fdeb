"""nativecall.ndimage against scipy.ndimage, side by side in one run: generic_filter, geometric_transform, interpolation.

Usage: python bench/bench_ndimage.py (nativecall installed; make bench runs it) [--repeat N] [--quick]

Prints ratios of medians and writes bench/out/bench_ndimage.json (bench/harness.py's format,
merged by bench/run.py). scipy's callback routines get the seed-002 kernels as numba cfunc
LowLevelCallables (issue 4's baseline) and as Cython capsules (bench/cy_kernels.pyx, the reference
column); nativecall runs the same kernels written in C, loaded with ctypes, and, when the JIT is
built, compiled by nativecall.cfunc. Every kernel comes from bench/kernels.py. The
interpolation family runs against scipy's own C code. Runs are interleaved so load from other
processes falls on every contender alike; on a loaded machine two threads cannot show their gain.
"""
import os

# Idle BLAS threads spin and steal cores from the routines under test; neither side uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import ctypes
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.ndimage as sn

import nativecall
from nativecall import ndimage as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
from harness import Comparison, print_comparison, write_results  # noqa: E402

CYTHON = "scipy + Cython capsule"   # the reference contender: scipy's capsule route, no numba


def median_times(functions, repeat):
    """Median wall time of each function, runs interleaved so that load from
    other processes on a shared machine falls on every side alike."""
    for function in functions:
        function()   # warm-up (first-touch allocation, JIT, caches)
    times = [[] for _ in functions]
    for _ in range(repeat):
        for function, samples in zip(functions, times):
            start = time.perf_counter()
            function()
            samples.append(time.perf_counter() - start)
    return [statistics.median(samples) for samples in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller images, for a smoke run")
    args = parser.parse_args()
    scale = 4 if args.quick else 1
    rng = np.random.default_rng(0)
    shift_value = ctypes.c_double(0.5)
    shift_pointer = ctypes.cast(ctypes.pointer(shift_value), ctypes.c_void_p)
    comparisons = []

    lib = kernels.c_library()
    nb = kernels.numba_cfuncs()
    # The C kernels are pure functions of their arguments: safe to run on every core.
    nc_nbmin = nativecall.LowLevelCallable(lib.nbmin, thread_safe=True)
    nc_shift = nativecall.LowLevelCallable(lib.shift_mapping, shift_pointer, thread_safe=True)
    sp_nbmin = scipy.LowLevelCallable(nb["nbmin"].ctypes, signature="int (double *, intptr_t, double *, void *)")
    sp_shift = scipy.LowLevelCallable(nb["shift_mapping"].ctypes, shift_pointer,
                                      signature="int (intptr_t *, double *, int, int, void *)")
    cy_nbmin = kernels.scipy_cython("nbmin")
    cy_shift = kernels.scipy_cython("shift_mapping", shift_pointer)
    jitted = kernels.nativecall_cfuncs()

    def compare(name, goal, target, baseline_label, scipy_call, native_calls, check, cython_call=None):
        """Times scipy (numba kernel), scipy with the Cython kernel when given, and each nativecall contender."""
        expected = scipy_call()
        scipy_calls = [(baseline_label, scipy_call)]
        if cython_call is not None:
            scipy_calls.append((CYTHON, cython_call))
        for _, call in scipy_calls[1:] + native_calls:
            check(call(), expected)
        every = scipy_calls + native_calls
        times = median_times([call for _, call in every], args.repeat)
        c = Comparison(name, goal=goal, baseline=baseline_label, target_ratio=target,
                       reference=CYTHON if cython_call is not None else "")
        for (label, _), t in zip(every, times):
            c.add(label, t)
        print_comparison(c)
        comparisons.append(c)

    def threads(w):
        return f"{w} thread{'s' if w > 1 else ''}"

    exact = np.testing.assert_array_equal

    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)

    n = 2048 // scale
    image = rng.random((n, n))
    cross = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    contenders = [(f"nativecall + C (ctypes), {threads(w)}",
                   (lambda w=w: nn.generic_filter(image, nc_nbmin, footprint=cross, workers=w))) for w in (1, 2)]
    if jitted:
        contenders += [(f"nativecall + nativecall.cfunc, {threads(w)}",
                        (lambda w=w: nn.generic_filter(image, jitted["nbmin"], footprint=cross, workers=w)))
                       for w in (1, 2)]
    compare(f"generic_filter {n}x{n} nbmin, cross footprint", ">= 4x vs scipy + numba cfunc (2 cores)", 4.0,
            "scipy + numba cfunc", lambda: sn.generic_filter(image, sp_nbmin, footprint=cross), contenders,
            exact, cython_call=cy_nbmin and (lambda: sn.generic_filter(image, cy_nbmin, footprint=cross)))

    n = 1024 // scale
    image = rng.random((n, n))
    contenders = [(f"nativecall + C (ctypes), {threads(w)}",
                   (lambda w=w: nn.geometric_transform(image, nc_shift, order=3, workers=w))) for w in (1, 2)]
    if jitted:
        jit_shift = nativecall.LowLevelCallable(jitted["shift_mapping"], shift_pointer)
        contenders += [(f"nativecall + nativecall.cfunc, {threads(w)}",
                        (lambda w=w: nn.geometric_transform(image, jit_shift, order=3, workers=w)))
                       for w in (1, 2)]
    compare(f"geometric_transform {n}x{n} shift 0.5, order 3", ">= 4x vs scipy + numba cfunc (2 cores)", 4.0,
            "scipy + numba cfunc", lambda: sn.geometric_transform(image, sp_shift, order=3), contenders, close,
            cython_call=cy_shift and (lambda: sn.geometric_transform(image, cy_shift, order=3)))

    coordinates = rng.uniform(-10, n + 10, (2, n, n))
    for name, scipy_call, native_call in [
        (f"map_coordinates {n}x{n} order 3", lambda: sn.map_coordinates(image, coordinates, order=3),
         lambda w: nn.map_coordinates(image, coordinates, order=3, workers=w)),
        (f"shift {n}x{n} (0.5, -1.25) order 3", lambda: sn.shift(image, (0.5, -1.25), order=3),
         lambda w: nn.shift(image, (0.5, -1.25), order=3, workers=w)),
        (f"zoom {n}x{n} x1.5 order 3", lambda: sn.zoom(image, 1.5, order=3),
         lambda w: nn.zoom(image, 1.5, order=3, workers=w)),
        (f"zoom {n}x{n} x1.5 order 1", lambda: sn.zoom(image, 1.5, order=1),
         lambda w: nn.zoom(image, 1.5, order=1, workers=w)),
    ]:
        compare(name, ">= 1x on 1 thread, > 1x on 2", 1.0, "scipy.ndimage",
                scipy_call, [(f"nativecall, {threads(w)}", (lambda w=w, f=native_call: f(w))) for w in (1, 2)],
                close)

    path = write_results("bench_ndimage", comparisons)
    print(f"\nratio = median scipy time / median nativecall time; written to {path}")


if __name__ == "__main__":
    main()
