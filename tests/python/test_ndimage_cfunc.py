"""nativecall.cfunc kernels in ndimage: the seed-002 kernels compiled by nativecall's JIT, against scipy."""
import numpy as np
import pytest
import scipy.ndimage as sn

import nativecall
from nativecall import ndimage as nn
from test_ndimage_support import assert_interpolation_close, py_nbmin

jit = pytest.importorskip("nativecall.jit", reason="the cfunc JIT is not built (NATIVECALL_JIT=OFF)")

SOURCE = """
import numpy as np
from nativecall import carray

def nbmin(values_ptr, len_values, result, data):
    values = carray(values_ptr, (len_values,), dtype=np.float64)
    result[0] = np.inf
    for v in values:
        if v < result[0]:
            result[0] = v
    return 1

def nbmin_local(values_ptr, len_values, result, data):
    values = carray(values_ptr, (len_values,), dtype=np.float64)
    m = np.inf
    for v in values:
        if v < m:
            m = v
    result[0] = m
    return 1

def shift_mapping(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = carray(input_ptr, (input_rank,))
    output_ = carray(output_ptr, (output_rank,))
    shift = carray(user_data, (1,), dtype=np.float64)[0]
    for i in range(input_rank):
        input_[i] = output_[i] - shift
    return 1

def divide_by_zero(values_ptr, n, result, data):
    result[0] = 1.0
    return n // (n - n)

def divide_by_zero_1d(in_ptr, in_length, out_ptr, out_length, data):
    return in_length // (out_length - out_length)

def divide_by_zero_mapping(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = carray(input_ptr, (input_rank,))
    for i in range(input_rank):
        input_[i] = 0.0
    return output_rank // (input_rank - input_rank)
"""


@pytest.fixture(scope="module")
def kernels():
    sig_filter = "intc(CPointer(float64), intp, CPointer(float64), voidptr)"
    sig_mapping = "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)"
    return {
        "nbmin": nativecall.cfunc(sig_filter, source=SOURCE, name="nbmin"),
        "nbmin_local": nativecall.cfunc(sig_filter, source=SOURCE, name="nbmin_local"),
        "shift_mapping": nativecall.cfunc(sig_mapping, source=SOURCE, name="shift_mapping"),
        "divide_by_zero": nativecall.cfunc(sig_filter, source=SOURCE, name="divide_by_zero"),
        "divide_by_zero_1d": nativecall.cfunc("intc(CPointer(float64), intp, CPointer(float64), intp, voidptr)",
                                              source=SOURCE, name="divide_by_zero_1d"),
        "divide_by_zero_mapping": nativecall.cfunc(sig_mapping, source=SOURCE, name="divide_by_zero_mapping"),
    }


@pytest.mark.parametrize("name", ["nbmin", "nbmin_local"])   # the seed spelling, and docs/ndimage.md's faster one
@pytest.mark.parametrize("workers", [None, 1, 2])
def test_cfunc_nbmin_equals_scipy(kernels, name, workers):
    image = np.random.default_rng(0).random((40, 33))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(nn.generic_filter(image, kernels[name], footprint=footprint, workers=workers),
                                  sn.generic_filter(image, py_nbmin, footprint=footprint))


@pytest.mark.parametrize("order", range(6))
def test_cfunc_shift_mapping_equals_scipy_shift(kernels, order):
    shift = np.array([0.5])
    image = np.arange(12).reshape(4, 3).astype(np.float64)
    mapping = kernels["shift_mapping"].to_lowlevel(user_data=shift)
    assert_interpolation_close(nn.geometric_transform(image, mapping, order=order),
                               sn.shift(image, 0.5, order=order))


ROUTINES_WITH_CALLBACKS = {
    "generic_filter": lambda k, w: nn.generic_filter(np.ones((6, 5)), k["divide_by_zero"], size=2, workers=w),
    "generic_filter1d": lambda k, w: nn.generic_filter1d(np.ones((6, 5)), k["divide_by_zero_1d"], 3, workers=w),
    "geometric_transform": lambda k, w: nn.geometric_transform(np.ones((6, 5)), k["divide_by_zero_mapping"],
                                                               workers=w),
}


@pytest.mark.parametrize("routine", sorted(ROUTINES_WITH_CALLBACKS))
@pytest.mark.parametrize("workers", [1, 2])
def test_cfunc_runtime_error_surfaces_as_its_python_exception(kernels, routine, workers):
    # The core is one shared library, so the error the compiled kernel records
    # (on whichever pool thread ran it) is the one the routine reports.
    with pytest.raises(ZeroDivisionError, match="division or modulo by zero"):
        ROUTINES_WITH_CALLBACKS[routine](kernels, workers)


def test_runtime_error_does_not_leak_into_the_next_call(kernels):
    with pytest.raises(ZeroDivisionError):
        nn.generic_filter(np.ones((4, 4)), kernels["divide_by_zero"], size=2)
    image = np.random.default_rng(1).random((8, 7))
    np.testing.assert_array_equal(nn.generic_filter(image, kernels["nbmin"], size=3),
                                  sn.generic_filter(image, py_nbmin, size=3))
