"""Randomised agreement with scipy.ndimage (hypothesis): shapes, footprints, origins, modes, orders, coordinates."""
import numpy as np
import scipy.ndimage as sn
from hypothesis import given, settings
from hypothesis import strategies as st

from nativecall import ndimage as nn
from test_ndimage_support import MODES, assert_interpolation_close, py_weighted, scipy_interpolation

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@st.composite
def filter_cases(draw):
    shape = draw(shapes)
    fp_shape = tuple(draw(st.integers(1, 4)) for _ in shape)
    footprint = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(fp_shape)),
                                       max_size=int(np.prod(fp_shape))))).reshape(fp_shape)
    origins = [draw(st.integers(-(n // 2), (n - 1) // 2)) for n in fp_shape]
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return shape, footprint, origins, seed


@settings(max_examples=150, deadline=None)
@given(case=filter_cases(), mode=st.sampled_from(MODES), cval=st.floats(-5, 5))
def test_generic_filter_matches_scipy(case, mode, cval):
    shape, footprint, origins, seed = case
    a = np.random.default_rng(seed).random(shape) * 10 - 5
    expected = sn.generic_filter(a, py_weighted, footprint=footprint, mode=mode, cval=cval, origin=origins)
    actual = nn.generic_filter(a, py_weighted, footprint=footprint, mode=mode, cval=cval, origin=origins)
    np.testing.assert_array_equal(actual, expected)


@settings(max_examples=150, deadline=None)
@given(shape=shapes, mode=st.sampled_from(MODES), order=st.integers(0, 5), seed=st.integers(0, 2 ** 32 - 1),
       spread=st.floats(0.5, 4.0))
def test_map_coordinates_matches_scipy(shape, mode, order, seed, spread):
    rng = np.random.default_rng(seed)
    a = rng.random(shape) * 10 - 5
    coordinates = np.stack([rng.uniform(-spread * n - 1, (spread + 1) * n, 12) for n in shape])
    expected = scipy_interpolation(sn.map_coordinates, a, coordinates, order=order, mode=mode, cval=0.5)
    assert_interpolation_close(nn.map_coordinates(a, coordinates, order=order, mode=mode, cval=0.5), expected)


@settings(max_examples=100, deadline=None)
@given(shape=shapes, mode=st.sampled_from(MODES), order=st.integers(0, 5), seed=st.integers(0, 2 ** 32 - 1),
       factor=st.floats(0.3, 3.0), grid_mode=st.booleans())
def test_zoom_matches_scipy(shape, mode, order, seed, factor, grid_mode):
    import warnings
    a = np.random.default_rng(seed).random(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = scipy_interpolation(sn.zoom, a, factor, order=order, mode=mode, grid_mode=grid_mode)
        actual = nn.zoom(a, factor, order=order, mode=mode, grid_mode=grid_mode)
    assert_interpolation_close(actual, expected)


@settings(max_examples=120, deadline=None)
@given(shape=shapes, out_shape=shapes, mode=st.sampled_from(MODES), order=st.integers(0, 5),
       seed=st.integers(0, 2 ** 32 - 1), homogeneous=st.booleans())
def test_affine_transform_matches_scipy(shape, out_shape, mode, order, seed, homogeneous):
    rng = np.random.default_rng(seed)
    a = rng.random(shape) * 10 - 5
    rank = len(shape)
    out_shape = (tuple(out_shape) * rank)[:rank]
    matrix = rng.normal(size=(rank, rank))
    offset = rng.normal(size=rank) * 2
    if homogeneous:
        args, kwargs = (np.vstack([np.hstack([matrix, offset[:, None]]), np.eye(1, rank + 1, rank)]),), {}
    else:
        args, kwargs = (matrix,), dict(offset=offset)
    expected = scipy_interpolation(sn.affine_transform, a, *args, output_shape=out_shape, order=order, mode=mode,
                                   cval=-0.5, **kwargs)
    actual = nn.affine_transform(a, *args, output_shape=out_shape, order=order, mode=mode, cval=-0.5, **kwargs)
    assert_interpolation_close(actual, expected)


INTEGER_AND_FLOAT = ["float64", "float32", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                     "bool"]


@settings(max_examples=120, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(INTEGER_AND_FLOAT), output=st.sampled_from(INTEGER_AND_FLOAT),
       size=st.integers(1, 3), mode=st.sampled_from(MODES), seed=st.integers(0, 2 ** 32 - 1),
       scale=st.sampled_from([1 / 3, 7.5, 1e3]))
def test_generic_filter_dtypes_match_scipy(shape, dtype, output, size, mode, seed, scale):
    # Results beyond the output type (scale 1e3 into uint8) are stored as scipy's cast stores them.
    a = np.random.default_rng(seed).integers(-60, 60, shape).astype(dtype)
    output = np.dtype(output).type   # scipy refuses the name 'bool' (not the type) as an output

    def kernel(values):
        return py_weighted(values) * scale

    expected = sn.generic_filter(a, kernel, size=size, mode=mode, cval=2.5, output=output)
    actual = nn.generic_filter(a, kernel, size=size, mode=mode, cval=2.5, output=output)
    np.testing.assert_array_equal(actual, expected)
