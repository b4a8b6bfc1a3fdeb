"""The interpolation family against scipy.ndimage: modes x orders x dtypes x shapes, transforms, callbacks, errors."""
import ctypes

import numpy as np
import pytest
import scipy
import scipy.ndimage as sn

import nativecall
from seed_kernels import numba_seed_kernels
from nativecall import ndimage as nn
from test_ndimage_support import (MODES, assert_interpolation_close, exact_spline_coefficients,  # noqa: F401
                                  kernels, random_array, scipy_interpolation)

ORDERS = range(6)
SHAPES = [(9,), (1,), (2,), (6, 5), (1, 4), (2, 2), (3, 1, 2), (2, 3, 1, 2)]
DTYPES = [np.float64, np.float32, np.int16, np.uint8]


def _coordinates(shape, count=17, seed=0):
    """Points inside, near and far beyond every edge, plus exact sample positions."""
    rng = np.random.default_rng(seed)
    points = [rng.uniform(-2.5 * n - 1, 3.5 * n + 1, count) for n in shape]
    exact = [np.array([-1.0, 0.0, n - 1.0, float(n), -0.5, n - 0.5]) for n in shape]
    return np.stack([np.concatenate([p, e]) for p, e in zip(points, exact)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_map_coordinates_equals_scipy(mode, order, shape):
    a = random_array(shape, np.float64, seed=len(shape))
    coordinates = _coordinates(shape, seed=order)
    expected = scipy_interpolation(sn.map_coordinates, a, coordinates, order=order, mode=mode, cval=-0.75)
    actual = nn.map_coordinates(a, coordinates, order=order, mode=mode, cval=-0.75)
    assert_interpolation_close(actual, expected)


@pytest.mark.parametrize("dtype", DTYPES + [np.int64, np.uint32, np.bool_])
@pytest.mark.parametrize("output", [None, np.float32, np.int32, np.uint8, np.int8])
@pytest.mark.parametrize("order", [0, 1, 3])
def test_dtypes_and_integer_rounding(dtype, output, order):
    a = random_array((7, 6), dtype, seed=2)
    coordinates = _coordinates((7, 6), count=18, seed=3).reshape(2, 3, -1)   # a 2-d output
    kwargs = dict(output=output, order=order, mode="mirror", cval=-2.5)
    assert_interpolation_close(nn.map_coordinates(a, coordinates, **kwargs),
                               scipy_interpolation(sn.map_coordinates, a, coordinates, **kwargs))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", [(9,), (6, 5), (1, 4), (2, 3, 1, 2)], ids=str)
def test_shift_equals_scipy(mode, order, shape):
    a = random_array(shape, np.float64, seed=4)
    shifts = [0.5, -1.25, 3.75, -0.3][:len(shape)]
    expected = scipy_interpolation(sn.shift, a, shifts, order=order, mode=mode, cval=1.5)
    assert_interpolation_close(nn.shift(a, shifts, order=order, mode=mode, cval=1.5), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("grid_mode", [False, True])
@pytest.mark.parametrize("shape,factor", [((9,), 1.7), ((6, 5), (0.6, 2.2)), ((1, 4), 2.0), ((3, 2, 2), 1.5)],
                         ids=str)
def test_zoom_equals_scipy(mode, order, grid_mode, shape, factor):
    a = random_array(shape, np.float64, seed=5)
    with pytest.warns() if grid_mode and mode in ("constant", "wrap") else _no_warning():
        actual = nn.zoom(a, factor, order=order, mode=mode, cval=0.5, grid_mode=grid_mode)
    with _ignore_warnings():
        expected = scipy_interpolation(sn.zoom, a, factor, order=order, mode=mode, cval=0.5, grid_mode=grid_mode)
    assert_interpolation_close(actual, expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("matrix_kind", ["full", "homogeneous", "diagonal", "rank_change"])
def test_affine_transform_equals_scipy(mode, order, matrix_kind):
    a = random_array((7, 6), np.float64, seed=6)
    rotation = np.array([[0.8, -0.6], [0.6, 0.8]]) * 1.1
    offset = [1.5, -2.0]
    kwargs = dict(order=order, mode=mode, cval=-1.0)
    if matrix_kind == "full":
        args, kwargs["offset"] = (rotation,), offset
    elif matrix_kind == "homogeneous":
        args = (np.vstack([np.hstack([rotation, np.array(offset)[:, None]]), [0, 0, 1]]),)
    elif matrix_kind == "diagonal":
        args, kwargs["offset"] = (np.array([0.7, 1.3]),), offset
    else:   # 4-d output from a 2-d input: a 2 x 4 matrix (2 x 3 would read as homogeneous)
        matrix = np.array([[0.5, 1.0, 0.2, -0.3], [0.3, -0.4, 1.0, 0.6]])
        args, kwargs["offset"], kwargs["output_shape"] = (matrix,), offset, (4, 3, 2, 5)
    expected = scipy_interpolation(sn.affine_transform, a, *args, **kwargs)
    assert_interpolation_close(nn.affine_transform(a, *args, **kwargs), expected)


def _mapping_shift(shifts):
    return lambda out: tuple(o - s for o, s in zip(out, shifts))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ORDERS)
def test_geometric_transform_python_and_native_mapping_equal_scipy(kernels, mode, order):
    a = random_array((6, 7), np.float64, seed=7)
    shifts = (0.5, -1.75)
    data = (ctypes.c_double * 2)(*shifts)
    native = nativecall.LowLevelCallable(kernels.shift_mapping, ctypes.cast(data, ctypes.c_void_p))
    expected = scipy_interpolation(sn.geometric_transform, a, _mapping_shift(shifts), order=order, mode=mode,
                                   cval=0.25)
    for mapping in (_mapping_shift(shifts), native):
        actual = nn.geometric_transform(a, mapping, order=order, mode=mode, cval=0.25)
        assert_interpolation_close(actual, expected)


def test_geometric_transform_output_shape_rank_change_and_extra_arguments():
    a = random_array((5, 6), np.float64, seed=8)

    def mapping(out, scale, bias=0.0):
        return (out[0] * scale + bias, out[1] + out[2] * 0.5)

    kwargs = dict(output_shape=(4, 3, 2), extra_arguments=(0.8,), extra_keywords={"bias": 0.3}, order=2,
                  mode="nearest")
    assert_interpolation_close(nn.geometric_transform(a, mapping, **kwargs),
                               sn.geometric_transform(a, mapping, **kwargs))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("shape,axis", [((40,), 0), ((33, 3), 0), ((3, 35), 1), ((2, 34, 2), 1)], ids=str)
def test_spline_filter1d_equals_scipy_on_long_axes(mode, order, shape, axis):
    # On axes this long scipy's reflect prefilter error (z**(2n)) is below 1e-15.
    a = random_array(shape, np.float64, seed=9)
    assert_interpolation_close(nn.spline_filter1d(a, order, axis=axis, mode=mode),
                               sn.spline_filter1d(a, order, axis=axis, mode=mode))


@pytest.mark.parametrize("shape", [(2,), (3,), (5, 2), (4, 3, 2)], ids=str)
@pytest.mark.parametrize("order", [2, 3, 4, 5])
def test_spline_filter_short_axes_are_exact(shape, order):
    a = random_array(shape, np.float64, seed=10)
    assert_interpolation_close(nn.spline_filter(a, order, mode="reflect"), exact_spline_coefficients(a, order))
    assert_interpolation_close(nn.spline_filter(a, order, mode="mirror"), sn.spline_filter(a, order, mode="mirror"))


@pytest.mark.parametrize("output", [np.float64, np.float32, np.int32])
def test_spline_filter_outputs_and_low_orders(output):
    a = random_array((36, 33), np.float64, seed=11)
    assert_interpolation_close(nn.spline_filter(a, 3, output=output), sn.spline_filter(a, 3, output=output))
    assert_interpolation_close(nn.spline_filter1d(a, 1, output=output), sn.spline_filter1d(a, 1, output=output))


def test_complex_input_is_interpolated_by_parts():
    rng = np.random.default_rng(12)
    a = rng.random((6, 5)) + 1j * rng.random((6, 5))
    cval = 0.5 - 2j
    kwargs = dict(order=3, mode="mirror", cval=cval)
    assert_interpolation_close(nn.shift(a, (0.5, -0.25), **kwargs), sn.shift(a, (0.5, -0.25), **kwargs))
    assert_interpolation_close(nn.zoom(a, 1.5, **kwargs), sn.zoom(a, 1.5, **kwargs))
    coordinates = _coordinates((6, 5))
    assert_interpolation_close(nn.map_coordinates(a, coordinates, **kwargs),
                               sn.map_coordinates(a, coordinates, **kwargs))
    assert_interpolation_close(nn.affine_transform(a, [[1, 0.2], [0, 1]], **kwargs),
                               sn.affine_transform(a, [[1, 0.2], [0, 1]], **kwargs))
    mapping = _mapping_shift((0.5, 0.5))
    assert_interpolation_close(nn.geometric_transform(a, mapping, **kwargs),
                               sn.geometric_transform(a, mapping, **kwargs))
    with pytest.warns(UserWarning, match="promoting"):
        actual = nn.spline_filter(a, 3)
    with pytest.warns(UserWarning, match="promoting"):
        expected = sn.spline_filter(a, 3)
    assert_interpolation_close(actual, expected)


def test_zoom_by_one_returns_the_input_and_output_arrays_are_filled():
    a = random_array((5, 4), np.float64, seed=13)
    np.testing.assert_array_equal(nn.zoom(a, 1), sn.zoom(a, 1))
    out = np.empty((5, 4), np.float32)
    assert nn.shift(a, 0.5, output=out) is out
    assert_interpolation_close(out, sn.shift(a, 0.5, output=np.float32))


# ------------------------------------------------------------------ inside windows and the border

def _around_the_border(n, order):
    """Coordinates on both sides of where a window starts to need boundary handling on an axis of n samples."""
    half = (order + 1) / 2
    edges = [0.0, half - 1, half - 0.5, half, n - 1 - half, n - 0.5 - half, n - half, n - 1.0]
    points = []
    for e in edges:
        for k in np.arange(-1.0, 1.5, 0.5):
            x = e + k
            points += [np.nextafter(x, -np.inf), x, np.nextafter(x, np.inf)]
    return np.array(points)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("shape", [(23,), (19, 17), (9, 8, 7)], ids=str)
def test_inside_windows_and_border_points_equal_scipy(mode, order, shape):
    # Points whose window lies inside the coefficients take a shorter route
    # than points near or beyond an edge; scipy is the oracle for both, and for
    # the last bit of float64 sums near every switch between them.
    a = random_array(shape, np.float64, seed=21)
    rng = np.random.default_rng(order)
    axes = [np.concatenate([_around_the_border(n, order), rng.uniform(-1.5, n + 0.5, 40)]) for n in shape]
    count = max(len(x) for x in axes)
    coordinates = np.stack([rng.permutation(np.resize(x, count)) for x in axes])
    expected = scipy_interpolation(sn.map_coordinates, a, coordinates, order=order, mode=mode, cval=0.25)
    assert_interpolation_close(nn.map_coordinates(a, coordinates, order=order, mode=mode, cval=0.25), expected)


@pytest.mark.parametrize("order", ORDERS)
def test_repeated_and_alternating_sample_offsets_equal_scipy(order):
    # Window weights are kept while a point's offset from its window start
    # repeats; runs of equal offsets at moving positions, alternations and
    # offsets one bit apart must each get their own weights.
    a = random_array((16, 15), np.float64, seed=24)
    base = np.array([3.25, 4.25, 5.25, 5.75, 6.25, 6.25, 7.0, 7.5, 8.5, 9.5])
    rows = np.concatenate([base, np.nextafter(base, np.inf), np.full(10, 6.375), base[::-1]])
    cols = np.concatenate([np.full(10, 5.125), base[::-1] - 0.5, base, np.nextafter(base, -np.inf)])
    coordinates = np.stack([rows, cols])
    for mode in ("mirror", "constant"):
        expected = scipy_interpolation(sn.map_coordinates, a, coordinates, order=order, mode=mode)
        assert_interpolation_close(nn.map_coordinates(a, coordinates, order=order, mode=mode), expected)


@pytest.mark.parametrize("order", [1, 3, 5])
@pytest.mark.parametrize("output", [np.uint8, np.int16])
def test_integer_outputs_of_an_image_round_as_scipy(order, output):
    # Integer outputs round each sum: inside-window weights must be scipy's to
    # the last bit, or values sitting on a rounding boundary flip.
    a = random_array((40, 36), np.uint8, seed=22)
    kwargs = dict(order=order, output=output, mode="mirror")
    for shifts in [(0.5, -0.5), (0.25, 1.75), (-3.125, 0.375)]:
        np.testing.assert_array_equal(nn.shift(a, shifts, **kwargs), sn.shift(a, shifts, **kwargs))
        matrix = [[0.8, 0.15], [-0.1, 1.1]]
        np.testing.assert_array_equal(nn.affine_transform(a, matrix, offset=shifts, **kwargs),
                                      sn.affine_transform(a, matrix, offset=shifts, **kwargs))


@pytest.mark.parametrize("mode", ["constant", "nearest", "grid-constant", "reflect"])
@pytest.mark.parametrize("view", ["transposed_float32", "strided_int16", "reversed_float64"])
def test_prefilter_reads_any_input_view(mode, view):
    # Unpadded modes prefilter straight from the input (converting its type on
    # the way), padded ones from a padded copy; both must see the same samples.
    base = random_array((30, 26), np.float64, seed=23) * 100
    a = {"transposed_float32": base.astype(np.float32).T,
         "strided_int16": base.astype(np.int16)[::2, 1::3],
         "reversed_float64": base[::-1, ::-1]}[view]
    coordinates = np.random.default_rng(5).uniform(-2, max(a.shape) + 2, (2, 300))
    expected = scipy_interpolation(sn.map_coordinates, a, coordinates, order=3, mode=mode, output=np.float64)
    assert_interpolation_close(nn.map_coordinates(a, coordinates, order=3, mode=mode, output=np.float64), expected)


# ------------------------------------------------------------------ the seed example and threads

def test_seed_shift_mapping_numba_cfunc():
    transform = numba_seed_kernels().transform

    user_data = ctypes.c_double(0.5)
    ptr = ctypes.cast(ctypes.pointer(user_data), ctypes.c_void_p)
    im = np.arange(12).reshape(4, 3).astype(np.float64)
    expected = sn.shift(im, 0.5)
    # scipy refuses this LowLevelCallable (seed 002); nativecall matches it by ABI.
    for callback in (scipy.LowLevelCallable(transform.ctypes, user_data=ptr),
                     nativecall.LowLevelCallable(transform.ctypes, user_data=ptr)):
        assert_interpolation_close(nn.geometric_transform(im, callback), expected)
    assert_interpolation_close(nn.shift(im, 0.5), expected)


def test_results_do_not_depend_on_workers(kernels):
    a = random_array((37, 29), np.float64, seed=14)
    data = (ctypes.c_double * 2)(0.3, -0.6)
    native = nativecall.LowLevelCallable(kernels.shift_mapping, ctypes.cast(data, ctypes.c_void_p))
    coordinates = _coordinates((37, 29), count=500)
    runs = {
        "geometric_transform": lambda w: nn.geometric_transform(a, native, workers=w),
        "map_coordinates": lambda w: nn.map_coordinates(a, coordinates, mode="nearest", workers=w),
        "zoom": lambda w: nn.zoom(a, 1.7, order=5, mode="grid-wrap", workers=w),
        "affine": lambda w: nn.affine_transform(a, [[0.9, 0.1], [-0.2, 1.0]], workers=w),
        "spline_filter": lambda w: nn.spline_filter(a, 4, workers=w),
    }
    for name, run in runs.items():
        first = run(1)
        for w in (2, 3, 7):
            np.testing.assert_array_equal(run(w), first, err_msg=name)


# ------------------------------------------------------------------ errors

def test_mapping_exceptions_and_failures():
    class Boom(Exception):
        pass

    def explode(out):
        raise Boom("mapping")

    with pytest.raises(Boom, match="mapping"):
        nn.geometric_transform(np.ones((3, 3)), explode)
    with pytest.raises(TypeError, match="2"):
        nn.geometric_transform(np.ones((3, 3)), lambda out: (1.0,))
    with pytest.raises(TypeError):
        nn.geometric_transform(np.ones((3, 3)), lambda out: 3)


def test_failing_native_mapping_and_wrong_signature(kernels):
    data = (ctypes.c_double * 2)(0.0, 0.0)
    with pytest.raises(ValueError, match=r"int \(intptr_t \*, double \*, int, int, void \*\)"):
        nn.geometric_transform(np.ones((3, 3)), kernels.nbmin)
    fail = ctypes.CFUNCTYPE(ctypes.c_int, *kernels.shift_mapping.argtypes)(lambda *args: 0)
    with pytest.raises(RuntimeError, match="returned 0"):
        nn.geometric_transform(np.ones((3, 3)), nativecall.LowLevelCallable(fail, ctypes.cast(data, ctypes.c_void_p)))


@pytest.mark.parametrize("call, error", [
    (lambda: nn.map_coordinates(np.ones(4), [[1.0]], order=6), RuntimeError),
    (lambda: nn.map_coordinates(np.ones(4), [[1.0]], order=-1), RuntimeError),
    (lambda: nn.map_coordinates(np.ones(4), [[1.0]], mode="mirrored"), RuntimeError),
    (lambda: nn.map_coordinates(np.ones((4, 4)), [[1.0]]), RuntimeError),
    (lambda: nn.map_coordinates(np.ones(4), [[1.0j]]), TypeError),
    (lambda: nn.map_coordinates(np.ones(4), [[1.0]], output=np.ones(2)), RuntimeError),
    (lambda: nn.shift(np.ones((4, 4)), [1.0, 2.0, 3.0]), RuntimeError),
    (lambda: nn.shift(np.float64(1.0), 1.0), RuntimeError),
    (lambda: nn.zoom(np.ones(4), 2, output="int8", order=9), RuntimeError),
    (lambda: nn.affine_transform(np.ones((4, 4)), np.ones((3, 3, 3))), RuntimeError),
    (lambda: nn.affine_transform(np.ones((4, 4)), np.ones((3, 2))), RuntimeError),
    (lambda: nn.affine_transform(np.ones((4, 4)), np.eye(3) * 2), ValueError),
    (lambda: nn.geometric_transform(np.ones((4, 4)), 7), TypeError),
    (lambda: nn.spline_filter(np.ones(4), 1), RuntimeError),
    (lambda: nn.spline_filter1d(np.ones(4), 3, axis=2), np.exceptions.AxisError),
    (lambda: nn.shift(np.ones(4), 1.0, output=np.float16), RuntimeError),
], ids=lambda x: "" if callable(x) else x.__name__)
def test_bad_arguments_raise_scipy_errors(call, error):
    with pytest.raises(error):
        call()


class _no_warning:
    def __enter__(self):
        import warnings
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


class _ignore_warnings:
    def __enter__(self):
        import warnings
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def test_strided_views_and_integer_coordinates():
    base = random_array((10, 14), np.float64, seed=15)
    a = base[::-2, 1::3].T
    coordinates = np.stack(np.meshgrid(np.arange(-2, 7), np.arange(-1, 6), indexing="ij"))[:, ::-1]
    out = np.zeros((coordinates.shape[2], coordinates.shape[1])).T
    nn.map_coordinates(a, coordinates, output=out, order=3, mode="wrap")
    assert_interpolation_close(out, sn.map_coordinates(np.array(a), coordinates, order=3, mode="wrap"))
    assert_interpolation_close(nn.shift(a.astype(">f4"), (0.25, -0.5), order=2, mode="mirror"),
                               sn.shift(np.array(a, dtype=np.float32), (0.25, -0.5), order=2, mode="mirror"))


def test_non_finite_and_huge_coordinates_never_crash():
    a = np.arange(5.0)
    coordinates = [[1e300, -1e300, np.nan, np.inf, -np.inf, 2.5]]
    for mode in MODES:
        for order in (0, 1, 3):
            result = nn.map_coordinates(a, coordinates, order=order, mode=mode, cval=-1.0)
            assert result.shape == (6,)
            expected = scipy_interpolation(sn.map_coordinates, a, [[2.5]], order=order, mode=mode, cval=-1.0)[0]
            assert result[-1] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(nn.map_coordinates(a, [[np.nan]], mode="nearest")[0])
    assert nn.map_coordinates(a, [[np.nan]], mode="mirror", cval=-1.0)[0] == -1.0   # as scipy
    np.testing.assert_array_equal(nn.shift(a, np.nan, mode="mirror"), np.zeros(5))   # scipy 1.17 crashes here


# ------------------------------------------------------------------ high rank and empty input

SINGLETON_MODES = ["reflect", "nearest", "mirror", "wrap", "grid-mirror", "grid-wrap"]


@pytest.mark.parametrize("mode", SINGLETON_MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("rank", [12, 33, 64])
def test_high_rank_with_length_one_axes_equals_scipy_on_the_line(mode, order, rank):
    # numpy allows 64 axes. Along an axis of length 1 these modes repeat the
    # one sample, so any shift there leaves it unchanged: the result is scipy's
    # on the squeezed line. scipy itself needs (order+1)**rank steps per point
    # here (36 s at rank 12, order 3); nativecall merges such windows.
    line = random_array((7,), np.float64, seed=rank)
    a = line.reshape((1,) * (rank - 1) + (7,))
    shifts = [0.75 * (-1) ** d for d in range(rank - 1)] + [1.3]
    expected = scipy_interpolation(sn.shift, line, 1.3, order=order, mode=mode)
    actual = nn.shift(a, shifts, order=order, mode=mode)
    assert actual.shape == a.shape
    assert_interpolation_close(actual.reshape(7), expected)
    coordinates = np.zeros((rank, 5))
    coordinates[-1] = np.linspace(-3.0, 9.0, 5)
    assert_interpolation_close(nn.map_coordinates(a, coordinates, order=order, mode=mode),
                               scipy_interpolation(sn.map_coordinates, line, coordinates[-1:], order=order, mode=mode))


@pytest.mark.parametrize("mode", ["constant", "grid-constant"])
def test_high_rank_constant_modes(mode):
    line = random_array((6,), np.float64, seed=1)
    a = line.reshape((1,) * 40 + (6,))
    actual = nn.shift(a, [0.0] * 40 + [0.4], order=1, mode=mode, cval=2.0)
    assert_interpolation_close(actual.reshape(6), sn.shift(line, 0.4, order=1, mode=mode, cval=2.0))


@pytest.mark.parametrize("mode", [m for m in MODES if m not in ("constant", "grid-constant")])
@pytest.mark.parametrize("call", ["map_coordinates", "geometric_transform", "shift", "affine_transform"])
def test_empty_input_needs_a_constant_mode(mode, call):
    empty = np.zeros((0, 3))
    runs = {
        "map_coordinates": lambda **kw: nn.map_coordinates(empty, [[0.5], [1.0]], **kw),
        "geometric_transform": lambda **kw: nn.geometric_transform(empty, lambda o: o, output_shape=(2, 3), **kw),
        "shift": lambda **kw: nn.shift(np.zeros(0), 0.5, output=np.zeros(0), **kw),
        "affine_transform": lambda **kw: nn.affine_transform(empty, np.eye(2), output_shape=(2, 2), **kw),
    }
    if call == "shift":   # an empty output has nothing to fill: fine in every mode, as scipy
        assert runs[call](mode=mode).shape == (0,)
        return
    with pytest.raises(ValueError, match=rf"empty axis 0 of input shape \(0, 3\) using mode '{mode}'"):
        runs[call](mode=mode)


@pytest.mark.parametrize("mode", ["constant", "grid-constant"])
def test_empty_input_with_a_constant_mode_gives_cval(mode):
    expected = sn.map_coordinates(np.zeros((0, 3)), [[0.5, 2.0], [1.0, 0.0]], mode=mode, cval=4.5)
    assert_interpolation_close(nn.map_coordinates(np.zeros((0, 3)), [[0.5, 2.0], [1.0, 0.0]], mode=mode, cval=4.5),
                               expected)


def test_padding_that_cannot_fit_is_a_clear_error_not_a_wrapped_size():
    # grid-constant pads every axis by 12 samples per side before the prefilter (as scipy): 25**40 elements here.
    with pytest.raises(ValueError, match=r"padded by 12 samples per side for mode 'grid-constant' would not fit"):
        nn.shift(np.ones((1,) * 40 + (5,)), 0.5, mode="grid-constant", order=3)


@pytest.mark.parametrize("output", [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                                    np.uint64])
def test_out_of_range_interpolated_values_are_stored_as_scipy_stores_them(output):
    values = np.concatenate([np.array([1e19, -1e19, 2e19, 9.3e18, np.nan, np.inf, -np.inf, 300.7, -300.7, 3e9,
                                       -3e9, 256.0, 255.9, 2.0 ** 63, 2.0 ** 64]),
                             np.random.default_rng(16).uniform(-3, 3, 40)])
    coordinates = [np.arange(values.size, dtype=np.float64)]
    with np.errstate(invalid="ignore"):
        expected = sn.map_coordinates(values, coordinates, order=0, output=output)
    np.testing.assert_array_equal(nn.map_coordinates(values, coordinates, order=0, output=output), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.bool_, np.float32])
@pytest.mark.parametrize("cval", [0.6, -2.7, 0.1])
@pytest.mark.parametrize("order", [2, 3, 5])
def test_grid_constant_pads_with_cval_converted_to_the_input_type(dtype, cval, order):
    # scipy pads with np.pad on the input itself: its cval becomes an element of the input's type first.
    a = random_array((6, 5), dtype, seed=17)
    kwargs = dict(order=order, mode="grid-constant", cval=cval, output=np.float64)
    assert_interpolation_close(nn.shift(a, (0.3, -1.6), **kwargs), sn.shift(a, (0.3, -1.6), **kwargs))
    assert_interpolation_close(nn.zoom(a, 1.4, grid_mode=True, **kwargs), sn.zoom(a, 1.4, grid_mode=True, **kwargs))


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("view", ["same", "reversed_rows", "reversed_columns", "shifted_columns"])
def test_spline_filter1d_output_overlapping_its_input(axis, view):
    # Lines are filtered in blocks: an output that overlaps the input any other
    # way than exactly used to overwrite lines before they were read.
    source, target = {
        "same": (lambda b: b, lambda b: b),
        "reversed_rows": (lambda b: b, lambda b: b[::-1]),
        "reversed_columns": (lambda b: b, lambda b: b[:, ::-1]),
        "shifted_columns": (lambda b: b[:, :6], lambda b: b[:, 2:]),
    }[view]
    b = random_array((150, 8), np.float64, seed=18)
    expected = sn.spline_filter1d(np.array(source(b)), 3, axis=axis)
    nn.spline_filter1d(source(b), 3, axis=axis, output=target(b), workers=2)
    assert_interpolation_close(np.array(target(b)), expected)
