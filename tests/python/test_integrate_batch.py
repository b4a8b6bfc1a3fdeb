"""quad_batch on infinite ranges: bit for bit a loop of scipy.integrate.quad, for rows of any length."""
import ctypes
import math

import numpy as np
import pytest
import scipy
import scipy.integrate as si

import nativecall.integrate as ni

INF = math.inf

C_SOURCE = r"""
#include <math.h>
/* xx = [x, p] as scipy packs them. */
double bumpy_gaussian(int n, double *xx) { return exp(-xx[1] * xx[0] * xx[0]) * (1.0 + 0.3 * sin(xx[0])); }
double lorentz(int n, double *xx) { return 1.0 / (1.0 + xx[1] * xx[0] * xx[0]); }
double decay(int n, double *xx) { return exp(-xx[1] * fabs(xx[0])) / (1.0 + xx[0] * xx[0]); }
/* xx = [x, p1, ..., p(n-1)]: the width is the last parameter, the others shift nothing. */
double last_width(int n, double *xx) { return exp(-xx[n - 1] * xx[0] * xx[0]); }
"""

NAMES = ("bumpy_gaussian", "lorentz", "decay", "last_width")
RANGES = [(-INF, INF), (0.5, INF), (-INF, -0.25)]


@pytest.fixture(scope="module")
def lib(native):
    packed = (ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double)])
    return native.ctypes_library(C_SOURCE, {name: packed for name in NAMES})


@pytest.mark.parametrize("name", ["bumpy_gaussian", "lorentz", "decay"])
@pytest.mark.parametrize("a, b", RANGES)
def test_infinite_ranges_equal_scipy_bit_for_bit(lib, name, a, b):
    # QAGI's 15-point rule (30 points on the whole line), its error scaling and
    # the extrapolation run QUADPACK's arithmetic: scipy gives the same bits.
    fn = getattr(lib, name)
    p = np.linspace(0.05, 20.0, 120)
    values, abserr, ier = ni.quad_batch(fn, a, b, args=p, workers=2)
    low = scipy.LowLevelCallable(fn)
    expected = [si.quad(low, a, b, args=(float(q),), full_output=1) for q in p]
    np.testing.assert_array_equal(values, [e[0] for e in expected])
    np.testing.assert_array_equal(abserr, [e[1] for e in expected])
    # scipy adds a message to full_output exactly when ier != 0.
    np.testing.assert_array_equal(ier != 0, [len(e) > 3 for e in expected])


@pytest.mark.parametrize("count", [1, 31, 32, 40])
def test_rows_of_any_length_reach_the_integrand(lib, count):
    # Up to 31 parameters travel on the stack, more on the heap: both give the
    # integrand its whole row.
    rng = np.random.default_rng(count)
    rows = rng.uniform(0.5, 3.0, size=(25, count))
    values, abserr, ier = ni.quad_batch(lib.last_width, -INF, INF, args=rows)
    loop = np.array([ni.quad(lib.last_width, -INF, INF, args=tuple(row))[:2] for row in rows])
    np.testing.assert_array_equal(values, loop[:, 0])
    np.testing.assert_array_equal(abserr, loop[:, 1])
    assert not ier.any()
    assert np.all(np.abs(values - np.sqrt(np.pi / rows[:, -1])) <= abserr)
