"""Shared pieces of the ndimage tests: native kernels compiled in the test run, and scipy as the oracle.

Imported by the other test_ndimage_* modules; it holds no tests itself.
"""
import ctypes

import numpy as np
import pytest
import scipy.ndimage as sn

import nativecall
from nativecall import ndimage as nn

MODES = ["reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror", "grid-wrap"]

# The kernels the tests run natively, and their exact Python twins below.
C_KERNELS = r"""
#include <stdint.h>
#include <math.h>

int nbmin(double *values, intptr_t n, double *result, void *user_data) {
    double m = INFINITY;
    for (intptr_t i = 0; i < n; ++i) if (values[i] < m) m = values[i];
    *result = m;
    return 1;
}

/* Position-weighted sum: any change in the order of the values shows. */
int weighted(double *values, intptr_t n, double *result, void *user_data) {
    double s = 0.0;
    for (intptr_t i = 0; i < n; ++i) s += values[i] * (double)(i + 1);
    *result = s;
    return 1;
}

/* weighted, then overwrites the values it was given (scipy lets a kernel write its buffer). */
int weighted_then_clobber(double *values, intptr_t n, double *result, void *user_data) {
    weighted(values, n, result, user_data);
    for (intptr_t i = 0; i < n; ++i) values[i] = NAN;
    return 1;
}

/* Fails when it sees a value above *user_data. */
int fail_above(double *values, intptr_t n, double *result, void *user_data) {
    double limit = *(double *)user_data;
    for (intptr_t i = 0; i < n; ++i) if (values[i] > limit) return 0;
    *result = 0.0;
    return 1;
}

/* generic_filter1d: output[i] = line[i] - 2 line[i+1] + 3 line[i+2] ... over the window. */
int alternating(double *line, intptr_t in_length, double *out, intptr_t out_length, void *user_data) {
    intptr_t width = in_length - out_length + 1;
    for (intptr_t i = 0; i < out_length; ++i) {
        double s = 0.0;
        for (intptr_t k = 0; k < width; ++k) s += line[i + k] * (double)((k % 2) ? -(k + 1) : (k + 1));
        out[i] = s;
    }
    return 1;
}

/* geometric_transform: input = output - shift, shift per axis from user_data. */
int shift_mapping(intptr_t *out, double *in, int out_rank, int in_rank, void *user_data) {
    const double *shift = (const double *)user_data;
    for (int i = 0; i < in_rank; ++i) in[i] = (double)out[i] - shift[i];
    return 1;
}

/* A signature nothing in ndimage accepts. */
double wrong(double x) { return x; }
"""

FILTER_ARGS = [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p]
FILTER1D_ARGS = [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_double),
                 ctypes.c_ssize_t, ctypes.c_void_p]
MAPPING_ARGS = [ctypes.POINTER(ctypes.c_ssize_t), ctypes.POINTER(ctypes.c_double), ctypes.c_int, ctypes.c_int,
                ctypes.c_void_p]


def py_nbmin(values):
    return min(values, default=np.inf)


def py_weighted(values):
    s = 0.0
    for i, v in enumerate(values):
        s += float(v) * float(i + 1)
    return s


def py_alternating(line, out):
    width = len(line) - len(out) + 1
    for i in range(len(out)):
        s = 0.0
        for k in range(width):
            s += float(line[i + k]) * float(-(k + 1) if k % 2 else (k + 1))
        out[i] = s


@pytest.fixture(scope="session")
def kernels(native):
    """The C kernels through ctypes, typed so nativecall reads their signatures."""
    lib = native.ctypes_library(C_KERNELS)
    for name in ("nbmin", "weighted", "weighted_then_clobber", "fail_above"):
        getattr(lib, name).restype = ctypes.c_int
        getattr(lib, name).argtypes = FILTER_ARGS
    lib.alternating.restype = ctypes.c_int
    lib.alternating.argtypes = FILTER1D_ARGS
    lib.shift_mapping.restype = ctypes.c_int
    lib.shift_mapping.argtypes = MAPPING_ARGS
    lib.wrong.restype = ctypes.c_double
    lib.wrong.argtypes = [ctypes.c_double]
    lib.path = native.c_library(C_KERNELS)
    return lib


def exact_spline_coefficients(a, order):
    """B-spline coefficients for the half-sample symmetric extension, free of boundary error.

    scipy <= 1.17 reads an already-updated c[0] in its reflect prefilter
    (scipy gh-24550), off by about z**(2n) on short axes. nativecall computes
    the exact sums; this oracle gets them from scipy itself by prefiltering a
    symmetrically padded copy far from its own edges.
    """
    pad = 48   # the largest pole of order 5 is about 0.43; 0.43**96 is far below rounding
    coefficients = np.asarray(a, dtype=np.float64)
    # The prefilter is separable: pad, filter and crop one axis at a time.
    for axis, n in enumerate(coefficients.shape):
        widths = [(0, 0)] * coefficients.ndim
        widths[axis] = (pad, pad)
        big = np.pad(coefficients, widths, mode="symmetric")
        filtered = sn.spline_filter1d(big, order, axis=axis, mode="mirror")
        coefficients = np.take(filtered, np.arange(pad, pad + n), axis=axis)
    return coefficients


def scipy_interpolation(function, input, *args, order=3, mode="constant", prefilter=True, **kwargs):
    """scipy's result for an interpolation routine, with exact coefficients where scipy's reflect prefilter errs."""
    if prefilter and order > 1 and mode in ("reflect", "grid-mirror") and not np.iscomplexobj(input):
        input = exact_spline_coefficients(input, order)
        prefilter = False
    return function(input, *args, order=order, mode=mode, prefilter=prefilter, **kwargs)


def assert_interpolation_close(actual, expected):
    """Within 1e-12 relative to the data's scale (integer outputs: equal)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if actual.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected)
    else:
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


def random_array(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), size=shape, endpoint=True).astype(dtype)
    return (rng.random(shape) * 10 - 3).astype(dtype)
