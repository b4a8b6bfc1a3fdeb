"""generic_filter and generic_filter1d against scipy.ndimage: modes, dtypes, shapes, footprints, callbacks, errors."""
import ctypes

import numpy as np
import pytest
import scipy.ndimage as sn

import nativecall
from seed_kernels import numba_seed_kernels
from nativecall import ndimage as nn
from test_ndimage_support import (MODES, kernels, py_alternating, py_nbmin, py_weighted,  # noqa: F401
                                  random_array)

SHAPES = [(6,), (1,), (2,), (5, 4), (1, 7), (2, 2), (3, 1, 4), (2, 3, 1, 2)]

# name -> footprint builder for a rank, and origins; asymmetric ones with a nonzero origin.
FOOTPRINTS = {
    "size3": (lambda rank: np.ones((3,) * rank, bool), 0),
    "cross": (lambda rank: _cross(rank), 0),
    "asymmetric_origin": (lambda rank: _asymmetric(rank), -1),
    "even_origin": (lambda rank: np.ones((4,) * rank, bool), 1),
}


def _cross(rank):
    fp = np.zeros((3,) * rank, bool)
    for axis in range(rank):
        index = [1] * rank
        for i in range(3):
            index[axis] = i
            fp[tuple(index)] = True
    return fp


def _asymmetric(rank):
    fp = (np.arange(4 ** rank).reshape((4,) * rank) % 3 != 1)
    fp.flat[0] = False
    return fp


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("footprint", sorted(FOOTPRINTS))
def test_generic_filter_python_callable_equals_scipy(mode, shape, footprint):
    build, origin = FOOTPRINTS[footprint]
    fp = build(len(shape))
    a = random_array(shape, np.float64, seed=len(shape))
    expected = sn.generic_filter(a, py_weighted, footprint=fp, mode=mode, cval=-1.5, origin=origin)
    actual = nn.generic_filter(a, py_weighted, footprint=fp, mode=mode, cval=-1.5, origin=origin)
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("footprint", sorted(FOOTPRINTS))
@pytest.mark.parametrize("workers", [1, 2])
def test_generic_filter_native_kernel_equals_scipy(kernels, mode, shape, footprint, workers):
    build, origin = FOOTPRINTS[footprint]
    fp = build(len(shape))
    a = random_array(shape, np.float64, seed=len(shape) + 1)
    expected = sn.generic_filter(a, py_weighted, footprint=fp, mode=mode, cval=0.25, origin=origin)
    actual = nn.generic_filter(a, kernels.weighted, footprint=fp, mode=mode, cval=0.25, origin=origin,
                               workers=workers)
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                                   np.uint32, np.int64, np.uint64, np.bool_])
@pytest.mark.parametrize("output", [None, np.float64, np.int32, np.uint8])
def test_generic_filter_dtypes_and_output_conversion(kernels, dtype, output):
    a = random_array((7, 6), dtype, seed=3)
    divide = lambda values: py_weighted(values) / 7.0  # noqa: E731 - fractional results test the cast
    expected = sn.generic_filter(a, divide, size=(2, 3), output=output, mode="nearest")
    actual = nn.generic_filter(a, divide, size=(2, 3), output=output, mode="nearest")
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def test_generic_filter_axes_size_and_extra_arguments():
    a = random_array((4, 5, 3), np.float64, seed=4)
    f = lambda v, scale, offset=0.0: float(np.sum(v)) * scale + offset  # noqa: E731
    for kwargs in [dict(size=3, axes=(0, 2)), dict(size=(2, 3), axes=(2, 1), origin=(1, 0)), dict(size=2, axes=1)]:
        expected = sn.generic_filter(a, f, extra_arguments=(2.0,), extra_keywords={"offset": 1.0}, **kwargs)
        actual = nn.generic_filter(a, f, extra_arguments=(2.0,), extra_keywords={"offset": 1.0}, **kwargs)
        np.testing.assert_array_equal(actual, expected)


def test_generic_filter_output_array_zero_d_and_empty_footprint():
    a = random_array((5, 5), np.float64, seed=5)
    out = np.empty((5, 5), np.float32)
    assert nn.generic_filter(a, py_nbmin, size=3, output=out) is out
    np.testing.assert_array_equal(out, sn.generic_filter(a, py_nbmin, size=3, output=np.float32))
    assert nn.generic_filter(np.float64(3.0), np.sum, size=1) == sn.generic_filter(np.float64(3.0), np.sum, size=1)
    empty = np.zeros((3, 3), bool)
    np.testing.assert_array_equal(nn.generic_filter(a, lambda v: float(len(v)), footprint=empty),
                                  sn.generic_filter(a, lambda v: float(len(v)), footprint=empty))


@pytest.mark.parametrize("shape, footprint, origin", [
    ((3, 1300), "cross", 0),               # rows longer than one block of gathered neighbourhoods
    ((2, 40), np.ones((1, 2100), bool), (0, 5)),   # more values per pixel than a block holds
], ids=["long_rows", "large_footprint"])
@pytest.mark.parametrize("workers", [1, 2])
def test_long_rows_and_a_kernel_that_overwrites_its_buffer_equal_scipy(kernels, shape, footprint, origin, workers):
    fp = _cross(2) if isinstance(footprint, str) else footprint
    a = random_array(shape, np.float64, seed=13)
    expected = sn.generic_filter(a, py_weighted, footprint=fp, origin=origin, mode="mirror")
    for kernel in (kernels.weighted, kernels.weighted_then_clobber):
        actual = nn.generic_filter(a, kernel, footprint=fp, origin=origin, mode="mirror", workers=workers)
        np.testing.assert_array_equal(actual, expected)


def test_generic_filter_cffi_kernel(kernels):
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef("int nbmin(double *values, intptr_t n, double *result, void *user_data);")
    lib = ffi.dlopen(str(kernels.path))
    a = random_array((9, 8), np.float64, seed=6)
    fp = _cross(2)
    np.testing.assert_array_equal(nn.generic_filter(a, lib.nbmin, footprint=fp),
                                  sn.generic_filter(a, py_nbmin, footprint=fp))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,axis", [((7,), 0), ((1,), -1), ((4, 5), 0), ((4, 5), 1), ((2, 1, 3), 1),
                                        ((3, 2, 2, 2), -1)], ids=str)
@pytest.mark.parametrize("size,origin", [(1, 0), (3, 0), (4, -2), (4, 1), (5, 2)])
def test_generic_filter1d_equals_scipy(kernels, mode, shape, axis, size, origin):
    a = random_array(shape, np.float64, seed=7)
    expected = sn.generic_filter1d(a, py_alternating, size, axis=axis, mode=mode, cval=2.0, origin=origin)
    for function in (py_alternating, kernels.alternating):
        actual = nn.generic_filter1d(a, function, size, axis=axis, mode=mode, cval=2.0, origin=origin)
        np.testing.assert_array_equal(actual, expected)


def test_generic_filter1d_integer_output_and_extra_arguments():
    a = random_array((6, 5), np.int16, seed=8)

    def scaled(line, out, factor, bias=0.0):
        out[:] = line[1:-1] * factor + bias

    kwargs = dict(axis=0, output=np.int32, extra_arguments=(0.7,), extra_keywords={"bias": -0.2})
    np.testing.assert_array_equal(nn.generic_filter1d(a, scaled, 3, **kwargs),
                                  sn.generic_filter1d(a, scaled, 3, **kwargs))


# ------------------------------------------------------------------ the seed example and threads

def test_seed_nbmin_numba_cfunc_with_cross_footprint():
    nbmin = numba_seed_kernels().nbmin

    image = np.random.default_rng(9).random((64, 48))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    expected = sn.generic_filter(image, function=py_nbmin, footprint=footprint)
    # Every route a numba user has: the cfunc, its ctypes, scipy's LowLevelCallable around it.
    import scipy
    for callback in (nbmin, nbmin.ctypes, scipy.LowLevelCallable(nbmin.ctypes),
                     nativecall.LowLevelCallable(nbmin.ctypes)):
        np.testing.assert_array_equal(nn.generic_filter(image, function=callback, footprint=footprint), expected)


def test_results_do_not_depend_on_workers(kernels):
    a = random_array((61, 37), np.float64, seed=10)
    fp = _asymmetric(2)
    results = [nn.generic_filter(a, kernels.weighted, footprint=fp, origin=(1, -1), workers=w) for w in (1, 2, 3, 8)]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    lines = [nn.generic_filter1d(a, kernels.alternating, 5, axis=0, workers=w) for w in (1, 2, 5)]
    for r in lines[1:]:
        np.testing.assert_array_equal(r, lines[0])


# ------------------------------------------------------------------ errors

def test_python_exception_propagates_unchanged():
    class Boom(Exception):
        pass

    def explode(values):
        if values[0] > 5:
            raise Boom("from the kernel")
        return 0.0

    a = np.arange(10.0)
    with pytest.raises(Boom, match="from the kernel"):
        nn.generic_filter(a, explode, size=1)
    with pytest.raises(Boom):
        nn.generic_filter1d(a, lambda line, out: (_ for _ in ()).throw(Boom()), 3)


def test_native_failure_is_runtime_error_naming_the_callback(kernels):
    limit = ctypes.c_double(0.5)
    cb = nativecall.LowLevelCallable(kernels.fail_above, ctypes.cast(ctypes.pointer(limit), ctypes.c_void_p))
    with pytest.raises(RuntimeError, match="fail_above"):
        nn.generic_filter(np.arange(12.0).reshape(3, 4), cb, size=2)


def test_wrong_native_signature_is_a_clear_value_error(kernels):
    with pytest.raises(ValueError, match=r"int \(double \*, intptr_t, double \*, void \*\)"):
        nn.generic_filter(np.ones((3, 3)), kernels.wrong, size=2)
    with pytest.raises(ValueError, match="generic_filter1d"):
        nn.generic_filter1d(np.ones((3, 3)), kernels.nbmin, 2)


def test_numba_ctypes_spelling_that_scipy_rejects_is_accepted():
    numba = pytest.importorskip("numba")
    from numba import carray, cfunc
    from numba.types import CPointer, float64, intc, intp, voidptr

    @cfunc(intc(CPointer(float64), intp, CPointer(float64), voidptr))
    def first(values_ptr, n, result, data):
        result[0] = carray(values_ptr, (n,))[0]
        return 1

    a = np.arange(6.0)
    np.testing.assert_array_equal(nn.generic_filter(a, first.ctypes, size=1), a)


@pytest.mark.parametrize("call, error", [
    (lambda: nn.generic_filter(np.ones(4), py_nbmin, size=3, mode="mirrored"), RuntimeError),
    (lambda: nn.generic_filter(np.ones(4), py_nbmin, size=3, origin=2), ValueError),
    (lambda: nn.generic_filter(np.ones(4), py_nbmin, size=4, origin=-3), ValueError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin, footprint=np.ones((3,), bool)), RuntimeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin, footprint=np.ones((0, 3), bool)), RuntimeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin), RuntimeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin, size=2, output=np.ones((4, 3))), RuntimeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin, size=2, output=np.complex128), RuntimeError),
    (lambda: nn.generic_filter(np.ones((4, 4), complex), py_nbmin, size=2), TypeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), 42, size=2), TypeError),
    (lambda: nn.generic_filter(np.ones((4, 4)), py_nbmin, size=2, axes=(0, 0)), ValueError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 0), RuntimeError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 3, origin=2), ValueError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 3, axis=1), np.exceptions.AxisError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 3, mode=3), RuntimeError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 2 ** 62), ValueError),
    (lambda: nn.generic_filter1d(np.ones(4), py_alternating, 2 ** 64), ValueError),
], ids=lambda x: "" if callable(x) else x.__name__)
def test_bad_arguments_raise_scipy_errors(call, error):
    with pytest.raises(error):
        call()


def test_read_only_output_is_refused():
    out = np.zeros(4)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        nn.generic_filter(np.ones(4), py_nbmin, size=1, output=out)


def test_strided_reversed_and_byte_swapped_views(kernels):
    base = random_array((9, 12), np.float64, seed=11)
    views = {"reversed_transposed": base[::-1, ::2].T, "byte_swapped": base.astype(">f8")}
    for name, a in views.items():
        out = np.zeros((a.shape[1], a.shape[0] * 2))[:, ::2].T   # a strided output too
        nn.generic_filter(a, kernels.weighted, footprint=_asymmetric(2), origin=-1, output=out, mode="mirror")
        np.testing.assert_array_equal(out, sn.generic_filter(np.array(a), py_weighted, footprint=_asymmetric(2),
                                                             origin=-1, mode="mirror"), err_msg=name)
        np.testing.assert_array_equal(nn.generic_filter1d(a, kernels.alternating, 3, axis=0),
                                      sn.generic_filter1d(np.array(a), py_alternating, 3, axis=0), err_msg=name)


def test_output_may_be_the_input(kernels):
    a = random_array((12, 9), np.float64, seed=12)
    expected = sn.generic_filter(a, py_weighted, size=3)
    nn.generic_filter(a, kernels.weighted, size=3, output=a, workers=2)
    np.testing.assert_array_equal(a, expected)


# NaN, infinities and values out of the output type's range: scipy stores them with a plain C cast.
SPECIAL_VALUES = np.array([1e19, 2e19, 9.3e18, np.nan, np.inf, -np.inf, 300.7, -300.7, 3e9, -3e9, 70000.5,
                           -0.5, 0.5, 256.0, 255.9, 1.5e10, 5e18, -5e18, 2.0 ** 63, 2.0 ** 64])


@pytest.mark.parametrize("output", [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                                    np.uint64])
def test_out_of_range_results_are_stored_as_scipy_stores_them(output):
    # A uint8 output of 300.7 is 44 in scipy (the cast keeps the low bits), not 255.
    def copy_line(line, out):
        out[:] = line

    values = SPECIAL_VALUES
    if output is np.uint64:   # below -2^63 compilers differ (scipy's gives 0 for -inf); the cast is undefined
        values = values[~(values < -2.0 ** 63)]
    np.testing.assert_array_equal(nn.generic_filter(values, np.sum, size=1, output=output),
                                  sn.generic_filter(values, np.sum, size=1, output=output))
    np.testing.assert_array_equal(nn.generic_filter1d(values, copy_line, 1, output=output),
                                  sn.generic_filter1d(values, copy_line, 1, output=output))


@pytest.mark.parametrize("routine", ["generic_filter", "generic_filter1d", "geometric_transform"])
@pytest.mark.parametrize("extra, message", [
    (dict(extra_arguments="ab"), "extra_arguments must be a tuple, got str"),
    (dict(extra_arguments=[1.0]), "extra_arguments must be a tuple, got list"),
    (dict(extra_keywords=[("a", 1)]), "extra_keywords must be a dictionary, got list"),
])
def test_extra_arguments_are_checked_as_scipy_checks_them(routine, extra, message):
    # A string used to be unpacked into characters and reach the kernel as positional arguments.
    calls = {
        "generic_filter": lambda module, kw: module.generic_filter(np.ones(4), np.sum, size=3, **kw),
        "generic_filter1d": lambda module, kw: module.generic_filter1d(np.ones(4), lambda i, o: None, 3, **kw),
        "geometric_transform": lambda module, kw: module.geometric_transform(np.ones(4), lambda o: o, **kw),
    }
    with pytest.raises(RuntimeError, match=message.split(",")[0]):
        calls[routine](sn, extra)
    with pytest.raises(RuntimeError, match=message):
        calls[routine](nn, extra)
