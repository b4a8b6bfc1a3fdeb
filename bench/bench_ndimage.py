"""nativecall.ndimage against scipy.ndimage, side by side in one run: medians, ratios, a table and bench/out/ndimage.json.

Usage: PYTHONPATH=python python3 bench/bench_ndimage.py [--repeat N] [--quick]

Native kernels for nativecall are C compiled here and loaded with ctypes;
scipy gets the same kernels as numba cfunc LowLevelCallables (issue 4's
baseline) and, for the interpolation family, runs its own C code.
"""
import os

# Idle BLAS threads spin and steal cores from the routines under test; neither side uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import ctypes
import json
import platform
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

OUT = Path(__file__).resolve().parent / "out"

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller images, for a smoke run")
    args = parser.parse_args()
    scale = 4 if args.quick else 1
    rng = np.random.default_rng(0)
    shift_value = ctypes.c_double(0.5)
    shift_pointer = ctypes.cast(ctypes.pointer(shift_value), ctypes.c_void_p)
    rows = []

    with tempfile.TemporaryDirectory() as folder:
        lib = compile_kernels(folder)
        nb_nbmin, nb_transform = numba_kernels()
        # The C kernels are pure functions of their arguments: safe to run on every core.
        nc_nbmin = nativecall.LowLevelCallable(lib.nbmin, thread_safe=True)
        nc_shift = nativecall.LowLevelCallable(lib.shift_mapping, shift_pointer, thread_safe=True)
        sp_nbmin = scipy.LowLevelCallable(nb_nbmin.ctypes, signature="int (double *, intptr_t, double *, void *)")
        sp_shift = scipy.LowLevelCallable(nb_transform.ctypes, shift_pointer,
                                          signature="int (intptr_t *, double *, int, int, void *)")

        def compare(name, scipy_call, native_calls, check):
            expected = scipy_call()
            for _, call in native_calls:
                check(call(), expected)
            baseline, *native_times = median_times([scipy_call] + [call for _, call in native_calls], args.repeat)
            for (label, _), t in zip(native_calls, native_times):
                rows.append({"case": name, "nativecall": label, "scipy_s": baseline, "nativecall_s": t,
                             "speedup": baseline / t})
                print(f"{name:<46} {label:<20} scipy {baseline * 1e3:8.1f} ms  nativecall {t * 1e3:8.1f} ms"
                      f"  x{baseline / t:6.2f}", flush=True)

        exact = np.testing.assert_array_equal

        def close(a, b):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)

        n = 2048 // scale
        image = rng.random((n, n))
        cross = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
        compare(f"generic_filter {n}x{n} nbmin cross",
                lambda: sn.generic_filter(image, sp_nbmin, footprint=cross),
                [(f"C kernel, {w} thread{'s' if w > 1 else ''}",
                  (lambda w=w: nn.generic_filter(image, nc_nbmin, footprint=cross, workers=w))) for w in (1, 2)],
                exact)

        n = 1024 // scale
        image = rng.random((n, n))
        compare(f"geometric_transform {n}x{n} shift 0.5 order 3",
                lambda: sn.geometric_transform(image, sp_shift, order=3),
                [(f"C mapping, {w} thread{'s' if w > 1 else ''}",
                  (lambda w=w: nn.geometric_transform(image, nc_shift, order=3, workers=w))) for w in (1, 2)],
                close)

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
            compare(name, scipy_call,
                    [(f"{w} thread{'s' if w > 1 else ''}", (lambda w=w, f=native_call: f(w))) for w in (1, 2)],
                    close)

    OUT.mkdir(exist_ok=True)
    result = {
        "benchmark": "ndimage", "repeat": args.repeat, "quick": args.quick,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
                    "numpy": np.__version__, "scipy": scipy.__version__},
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": rows,
    }
    path = OUT / "ndimage.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nspeedup = median scipy time / median nativecall time; written to {path}")


if __name__ == "__main__":
    main()
