"""nativecall.ndimage against scipy.ndimage, side by side in one run: generic_filter, geometric_transform, interpolation.

Usage: python bench/bench_ndimage.py (nativecall installed; make bench runs it) [--repeat N] [--quick]

Prints ratios of medians and writes bench/out/bench_ndimage.json (bench/harness.py's format,
merged by bench/run.py). scipy's callback routines get the seed-002 kernels as numba cfunc
LowLevelCallables (issue 4's baseline); nativecall runs the same kernels written in C, compiled
here and loaded with ctypes, and, when the JIT is built, compiled by nativecall.cfunc. The
interpolation family runs against scipy's own C code. Runs are interleaved so load from other
processes falls on every contender alike; on a loaded machine two threads cannot show their gain.
"""
import os

# Idle BLAS threads spin and steal cores from the routines under test; neither side uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import ctypes
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.ndimage as sn

import nativecall
from nativecall import ndimage as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Comparison, print_comparison, write_results  # noqa: E402

C_SOURCE = r"""
#include <stdint.h>
#include <math.h>
int nbmin(double *values, intptr_t n, double *result, void *user_data) {
    double m = INFINITY;
    for (intptr_t i = 0; i < n; ++i) if (values[i] < m) m = values[i];
    *result = m;
    return 1;
}
int shift_mapping(intptr_t *out, double *in, int out_rank, int in_rank, void *user_data) {
    double shift = *(double *)user_data;
    for (int i = 0; i < in_rank; ++i) in[i] = (double)out[i] - shift;
    return 1;
}
"""


def compile_kernels(folder):
    c_file = Path(folder) / "kernels.c"
    c_file.write_text(C_SOURCE)
    library = Path(folder) / "kernels.so"
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-shared", "-fPIC", "-o", str(library), str(c_file)],
                   check=True)
    lib = ctypes.CDLL(str(library))
    lib.nbmin.restype = ctypes.c_int
    lib.nbmin.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_double),
                          ctypes.c_void_p]
    lib.shift_mapping.restype = ctypes.c_int
    lib.shift_mapping.argtypes = [ctypes.POINTER(ctypes.c_ssize_t), ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                                  ctypes.c_int, ctypes.c_void_p]
    return lib


def numba_kernels():
    """The seed 002 kernels as numba cfuncs wrapped for scipy (with the spelling scipy demands)."""
    from numba import carray, cfunc, types

    @cfunc(types.intc(types.CPointer(types.double), types.intp, types.CPointer(types.double), types.voidptr))
    def nbmin(values_ptr, len_values, result, data):
        values = carray(values_ptr, (len_values,), dtype=types.double)
        result[0] = np.inf
        for v in values:
            if v < result[0]:
                result[0] = v
        return 1

    @cfunc(types.intc(types.CPointer(types.intp), types.CPointer(types.double), types.intc, types.intc,
                      types.voidptr))
    def transform(output_ptr, input_ptr, output_rank, input_rank, user_data):
        input_ = carray(input_ptr, (input_rank,))
        output_ = carray(output_ptr, (output_rank,))
        shift = carray(user_data, (1,), dtype=types.double)[0]
        for i in range(input_rank):
            input_[i] = output_[i] - shift
        return 1

    return nbmin, transform


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


def jit_kernels():
    """The seed-002 kernels compiled by nativecall.cfunc, or None when the JIT is not built."""
    try:
        from nativecall import cfunc, carray
    except ImportError:
        return None
    source = """
import numpy as np
from nativecall import carray

def nbmin(values_ptr, len_values, result, data):
    values = carray(values_ptr, (len_values,), dtype=np.float64)
    result[0] = np.inf
    for v in values:
        if v < result[0]:
            result[0] = v
    return 1

def shift_mapping(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = carray(input_ptr, (input_rank,))
    output_ = carray(output_ptr, (output_rank,))
    shift = carray(user_data, (1,), dtype=np.float64)[0]
    for i in range(input_rank):
        input_[i] = output_[i] - shift
    return 1
"""
    try:
        nbmin = cfunc("intc(CPointer(float64), intp, CPointer(float64), voidptr)",
                      source=source, name="nbmin") if _cfunc_takes_source(cfunc) else None
        mapping = cfunc("intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)",
                        source=source, name="shift_mapping") if nbmin is not None else None
    except Exception as error:   # the JIT is young; the benchmark reports it and carries on
        print(f"nativecall.cfunc unavailable for these kernels: {error}")
        return None
    return (nbmin, mapping) if nbmin is not None else None


def _cfunc_takes_source(cfunc):
    import inspect
    try:
        return "source" in inspect.signature(cfunc).parameters
    except (TypeError, ValueError):
        return False


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

    with tempfile.TemporaryDirectory() as folder:
        lib = compile_kernels(folder)
        nb_nbmin, nb_transform = numba_kernels()
        # The C kernels are pure functions of their arguments: safe to run on every core.
        nc_nbmin = nativecall.LowLevelCallable(lib.nbmin, thread_safe=True)
        nc_shift = nativecall.LowLevelCallable(lib.shift_mapping, shift_pointer, thread_safe=True)
        sp_nbmin = scipy.LowLevelCallable(nb_nbmin.ctypes, signature="int (double *, intptr_t, double *, void *)")
        sp_shift = scipy.LowLevelCallable(nb_transform.ctypes, shift_pointer,
                                          signature="int (intptr_t *, double *, int, int, void *)")
        jitted = jit_kernels()

        def compare(name, goal, target, baseline_label, scipy_call, native_calls, check):
            expected = scipy_call()
            for _, call in native_calls:
                check(call(), expected)
            times = median_times([scipy_call] + [call for _, call in native_calls], args.repeat)
            c = Comparison(name, goal=goal, baseline=baseline_label, target_ratio=target)
            for (label, _), t in zip([(baseline_label, None)] + native_calls, times):
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
                            (lambda w=w: nn.generic_filter(image, jitted[0], footprint=cross, workers=w)))
                           for w in (1, 2)]
        compare(f"generic_filter {n}x{n} nbmin, cross footprint", ">= 4x vs scipy + numba cfunc (2 cores)", 4.0,
                "scipy + numba cfunc", lambda: sn.generic_filter(image, sp_nbmin, footprint=cross), contenders,
                exact)

        n = 1024 // scale
        image = rng.random((n, n))
        contenders = [(f"nativecall + C (ctypes), {threads(w)}",
                       (lambda w=w: nn.geometric_transform(image, nc_shift, order=3, workers=w))) for w in (1, 2)]
        if jitted:
            jit_shift = nativecall.LowLevelCallable(jitted[1], shift_pointer)
            contenders += [(f"nativecall + nativecall.cfunc, {threads(w)}",
                            (lambda w=w: nn.geometric_transform(image, jit_shift, order=3, workers=w)))
                           for w in (1, 2)]
        compare(f"geometric_transform {n}x{n} shift 0.5, order 3", ">= 4x vs scipy + numba cfunc (2 cores)", 4.0,
                "scipy + numba cfunc", lambda: sn.geometric_transform(image, sp_shift, order=3), contenders, close)

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
