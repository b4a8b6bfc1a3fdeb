"""nativecall.ndimage: scipy.ndimage's callback routines and interpolation family, run natively and threaded.

Names, arguments, defaults, return values and errors follow scipy.ndimage, so
``from nativecall import ndimage`` can replace ``from scipy import ndimage`` for
these functions. Every function also takes a keyword-only ``workers=``: None
uses every core for native callbacks declared thread-safe (and for the
routines without a callback), one thread otherwise; an int overrides.

Callbacks are any native route nativecall accepts (its cfunc, ctypes, cffi,
PyCapsule, numba cfunc, scipy.LowLevelCallable) with the C signatures scipy
documents, matched by ABI, or plain Python callables (run on the calling thread
with the GIL held; their exceptions propagate unchanged):

- generic_filter:      int (double *buffer, intptr_t filter_size, double *return_value, void *user_data)
- generic_filter1d:    int (double *input_line, intptr_t input_length, double *output_line,
                            intptr_t output_length, void *user_data)
- geometric_transform: int (intptr_t *output_coordinates, double *input_coordinates,
                            int output_rank, int input_rank, void *user_data)

A native callback returns 0 to stop the routine with RuntimeError.
"""
import numbers
import operator
import warnings

import numpy as np

from . import _ndimage
from .lowlevel import LowLevelCallable, as_callback, workers_value

__all__ = ["generic_filter", "generic_filter1d", "geometric_transform", "map_coordinates",
           "affine_transform", "shift", "zoom", "spline_filter", "spline_filter1d"]

_MODES = ("reflect", "constant", "nearest", "mirror", "wrap",
          "grid-constant", "grid-mirror", "grid-wrap")


# ------------------------------------------------------------------ argument helpers

def _check_mode(mode):
    if not isinstance(mode, str) or mode not in _MODES:
        raise RuntimeError(f"boundary mode not supported: {mode!r}; expected one of "
                           + ", ".join(repr(m) for m in _MODES))
    return mode


def _check_order(order):
    if not isinstance(order, numbers.Integral) or not 0 <= order <= 5:
        raise RuntimeError(f"spline order not supported: {order!r}; expected an integer from 0 to 5")
    return int(order)


def _normalize_sequence(value, rank, name):
    if not isinstance(value, str) and np.iterable(value):
        values = list(value)
        if len(values) != rank:
            raise RuntimeError(f"sequence argument must have length equal to input rank: "
                               f"{name} has {len(values)} elements, input rank is {rank}")
        return values
    return [value] * rank


def _get_output(output, input, shape=None, complex_output=False):
    """The output array: allocated from None, a dtype or a dtype name, or checked when given."""
    if shape is None:
        shape = input.shape
    shape = tuple(int(s) for s in shape)
    if output is None:
        # By name, as scipy does: a byte-swapped input gets a native-order output.
        dtype = np.promote_types(input.dtype, np.complex64) if complex_output else input.dtype.name
        return np.zeros(shape, dtype=dtype)
    if isinstance(output, (type, np.dtype, str)):
        dtype = np.dtype(output)
        if complex_output and dtype.kind != "c":
            if isinstance(output, str):
                raise RuntimeError("output must have complex dtype")
            warnings.warn("promoting specified output dtype to complex", stacklevel=3)
            dtype = np.promote_types(dtype, np.complex64)
        if dtype.kind not in "biufc":
            raise RuntimeError(f"output must have numeric dtype, got {dtype}")
        return np.zeros(shape, dtype=dtype)
    output = np.asarray(output)
    if output.shape != shape:
        raise RuntimeError(f"output shape not correct: got {output.shape}, expected {shape}")
    if complex_output and output.dtype.kind != "c":
        raise RuntimeError("output must have complex dtype")
    return output


def _native_array(array, name):
    """`array` in a form the native layer reads: a supported dtype in native byte order."""
    if array.dtype.kind not in "biuf" or array.dtype.itemsize > 8 or array.dtype == np.float16:
        raise RuntimeError(f"{name} array type not supported: {array.dtype}; expected bool, "
                           f"(u)int8..64, float32 or float64")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _writable_output(output):
    """The array the native layer writes, and a function that copies it back if it had to be a temporary."""
    if output.dtype.kind not in "biuf" or output.dtype.itemsize > 8 or output.dtype == np.float16:
        raise RuntimeError(f"output array type not supported: {output.dtype}; expected bool, "
                           f"(u)int8..64, float32 or float64")
    if not output.flags.writeable:
        raise ValueError("output array is read-only")
    if output.dtype.isnative:
        return output, lambda: None
    temporary = np.zeros(output.shape, dtype=output.dtype.newbyteorder("="))
    return temporary, lambda: output.__setitem__(Ellipsis, temporary)


def _unaliased(array, output):
    """`array`, or a copy when it may overlap `output`: rows of the output are
    written while other rows (on other threads) still read the input."""
    return array.copy() if np.may_share_memory(array, output) else array


def _check_extra(extra_arguments, extra_keywords):
    """extra_arguments and extra_keywords checked as scipy checks them (for native callbacks too)."""
    if extra_keywords is None:
        extra_keywords = {}
    if not isinstance(extra_arguments, tuple):
        raise RuntimeError(f"extra_arguments must be a tuple, got {type(extra_arguments).__name__}")
    if not isinstance(extra_keywords, dict):
        raise RuntimeError(f"extra_keywords must be a dictionary, got {type(extra_keywords).__name__}")
    return extra_arguments, extra_keywords


def _check_workers(workers, routine):
    """workers= checked by nativecall's one rule (lowlevel.workers_value), capped to the native int."""
    if workers is None:
        return None   # still None when one routine passes it on to another
    return min(workers_value(workers, routine), 2 ** 31 - 1)   # the native layer caps it at its own maximum


def _same_view(a, b):
    """True when `a` and `b` are the same elements in the same layout (an in-place call)."""
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.shape == b.shape
            and a.strides == b.strides and a.dtype == b.dtype)


def _callback(function, what):
    cb = as_callback(function, what)
    return cb, isinstance(cb, LowLevelCallable)


def _axis_index(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


# ------------------------------------------------------------------ filters

def generic_filter(input, function, size=None, footprint=None, output=None, mode="reflect",
                   cval=0.0, origin=0, extra_arguments=(), extra_keywords=None, axes=None, *,
                   workers=None):
    """Calculate a multidimensional filter using the given function (scipy.ndimage.generic_filter).

    At each element `function` receives the input values under the footprint
    (C order, as float64) and returns one value. A native callback has the
    signature ``int (double *, intptr_t, double *, void *)``.
    """
    workers = _check_workers(workers, "generic_filter")
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=2)
    extra_arguments, extra_keywords = _check_extra(extra_arguments, extra_keywords)
    input = np.asarray(input)
    if np.iscomplexobj(input):
        raise TypeError("Complex type not supported")
    axes = _check_axes(axes, input.ndim)
    if footprint is None:
        if size is None:
            raise RuntimeError("no footprint or filter size provided")
        sizes = _normalize_sequence(size, len(axes), "size")
        footprint = np.ones(sizes, dtype=bool)
    else:
        footprint = np.asarray(footprint, dtype=bool)
    if len(axes) < input.ndim:
        if footprint.ndim != len(axes):
            raise RuntimeError(f"footprint.ndim ({footprint.ndim}) must match len(axes) ({len(axes)})")
        footprint = np.expand_dims(footprint, tuple(ax for ax in range(input.ndim) if ax not in axes))
    origins = _normalize_sequence(origin, len(axes), "origin")
    if len(axes) < input.ndim:
        full = [0] * input.ndim
        for o, ax in zip(origins, axes):
            full[ax] = o
        origins = full
    origins = [operator.index(o) for o in origins]
    if footprint.ndim != input.ndim or 0 in footprint.shape:
        raise RuntimeError(f"footprint.ndim ({footprint.ndim}) must match len(axes) ({len(axes)}) "
                           f"and have no empty axis (footprint shape {footprint.shape})")
    for axis, (o, length) in enumerate(zip(origins, footprint.shape)):
        if not -(length // 2) <= o <= (length - 1) // 2:
            raise ValueError(f"invalid origin {o} along axis {axis} for a footprint of length {length}: "
                             f"expected {-(length // 2)} <= origin <= {(length - 1) // 2}")
    output = _get_output(output, input)
    _check_mode(mode)
    target, copy_back = _writable_output(output)
    source = _unaliased(_native_array(input, "input"), target)
    # scipy accepts 0-d input; the core wants at least one axis.
    if source.ndim == 0:
        source, target, footprint, origins = source.reshape(1), target.reshape(1), footprint.reshape(1), [0]
    cb, native = _callback(function, "function")
    args = kwargs = None
    if not native:
        # The values reach Python in one float64 array, reused for every call (as scipy's).
        args = (np.zeros(int(footprint.sum()), dtype=np.float64), *extra_arguments)
        kwargs = dict(extra_keywords)
    _ndimage.generic_filter(source, cb, args, kwargs, list(footprint.shape),
                            np.ascontiguousarray(footprint, dtype=np.uint8).tobytes(), target, mode,
                            float(cval), origins, workers)
    copy_back()
    return output


def _check_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (operator.index(axes),)
    elif np.iterable(axes):
        axes = tuple(operator.index(ax) for ax in axes)
    else:
        raise ValueError("axes must be an integer, iterable of integers, or None")
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"specified axis: {ax} is out of range")
    axes = tuple(ax % ndim for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("axes must be unique")
    return axes


def generic_filter1d(input, function, filter_size, axis=-1, output=None, mode="reflect", cval=0.0,
                     origin=0, extra_arguments=(), extra_keywords=None, *, workers=None):
    """Calculate a 1-D filter along the given axis (scipy.ndimage.generic_filter1d).

    `function` receives each line extended by filter_size - 1 boundary samples
    and writes the output line. A native callback has the signature
    ``int (double *, intptr_t, double *, intptr_t, void *)``.
    """
    workers = _check_workers(workers, "generic_filter1d")
    extra_arguments, extra_keywords = _check_extra(extra_arguments, extra_keywords)
    input = np.asarray(input)
    if np.iscomplexobj(input):
        raise TypeError("Complex type not supported")
    output = _get_output(output, input)
    filter_size = operator.index(filter_size)
    if filter_size < 1:
        raise RuntimeError(f"invalid filter size {filter_size}: expected at least 1")
    if filter_size > np.iinfo(np.intp).max // 64:
        raise ValueError(f"invalid filter size {filter_size}: a line buffer that long cannot be allocated")
    if input.ndim == 0:
        raise np.exceptions.AxisError(axis, 0)
    axis = _axis_index(axis, input.ndim)
    origin = operator.index(origin)
    if not -(filter_size // 2) <= origin <= (filter_size - 1) // 2:
        raise ValueError(f"invalid origin {origin} for a filter of size {filter_size}: expected "
                         f"{-(filter_size // 2)} <= origin <= {(filter_size - 1) // 2}")
    _check_mode(mode)
    target, copy_back = _writable_output(output)
    source = _unaliased(_native_array(input, "input"), target)
    cb, native = _callback(function, "function")
    args = kwargs = None
    if not native:
        length = input.shape[axis]
        args = (np.zeros(length + filter_size - 1, dtype=np.float64), np.zeros(length, dtype=np.float64),
                *extra_arguments)
        kwargs = dict(extra_keywords)
    _ndimage.generic_filter1d(source, cb, args, kwargs, filter_size, axis, target, mode,
                              float(cval), origin, workers)
    copy_back()
    return output


# ------------------------------------------------------------------ spline prefilter

def spline_filter1d(input, order=3, axis=-1, output=np.float64, mode="mirror", *, workers=None):
    """Calculate a 1-D spline filter along the given axis (scipy.ndimage.spline_filter1d)."""
    workers = _check_workers(workers, "spline_filter1d")
    if not isinstance(order, numbers.Integral) or order < 0 or order > 5:
        raise RuntimeError(f"spline order not supported: {order!r}; expected an integer from 0 to 5")
    input = np.asarray(input)
    complex_output = np.iscomplexobj(input)
    output = _get_output(output, input, complex_output=complex_output)
    if complex_output:
        spline_filter1d(input.real, order, axis, output.real, mode, workers=workers)
        spline_filter1d(input.imag, order, axis, output.imag, mode, workers=workers)
        return output
    if order in (0, 1):
        output[...] = np.array(input)
        return output
    _check_mode(mode)
    axis = _axis_index(axis, input.ndim)
    target, copy_back = _writable_output(output)
    source = _native_array(input, "input")
    if not _same_view(source, target):
        # In place is fine (each line is read before it is written); any other
        # overlap would let one line's output overwrite lines not yet read.
        source = _unaliased(source, target)
    _ndimage.spline_filter1d(source, int(order), axis, target, mode, workers)
    copy_back()
    return output


def spline_filter(input, order=3, output=np.float64, mode="mirror", *, workers=None):
    """Multidimensional spline filter (scipy.ndimage.spline_filter): spline_filter1d along every axis."""
    workers = _check_workers(workers, "spline_filter")
    if not isinstance(order, numbers.Integral) or order < 2 or order > 5:
        raise RuntimeError(f"spline order not supported: {order!r}; expected an integer from 2 to 5")
    input = np.asarray(input)
    complex_output = np.iscomplexobj(input)
    output = _get_output(output, input, complex_output=complex_output)
    if complex_output:
        spline_filter(input.real, order, output.real, mode, workers=workers)
        spline_filter(input.imag, order, output.imag, mode, workers=workers)
        return output
    if input.ndim > 0:
        for axis in range(input.ndim):
            spline_filter1d(input, order, axis, output=output, mode=mode, workers=workers)
            input = output
    else:
        output[...] = input[...]
    return output


# ------------------------------------------------------------------ interpolation

def _interpolation_setup(input, output, output_shape, order, mode):
    order = _check_order(order)
    _check_mode(mode)
    input = np.asarray(input)
    if input.ndim < 1 or len(output_shape) < 1:
        raise RuntimeError("input and output rank must be > 0")
    complex_output = np.iscomplexobj(input)
    output = _get_output(output, input, shape=output_shape, complex_output=complex_output)
    if input.size == 0 and output.size > 0 and mode not in ("constant", "grid-constant"):
        # Every output element would come from samples the input does not have.
        axis = input.shape.index(0)
        raise ValueError(f"can't extend empty axis {axis} of input shape {input.shape} using mode {mode!r}: "
                         f"only 'constant' and 'grid-constant' fill an empty input (with cval)")
    return input, output, order, complex_output


def _split_complex(function, input, output, cval, **kwargs):
    """scipy interpolates complex input as its real and imaginary parts, with cval split the same way."""
    function(input.real, output=output.real, cval=np.real(cval), **kwargs)
    function(input.imag, output=output.imag, cval=np.imag(cval), **kwargs)
    return output


def _run_interpolation(native_call, input, output):
    target, copy_back = _writable_output(output)
    native_call(_native_array(input, "input"), target)
    copy_back()
    return output


def geometric_transform(input, mapping, output_shape=None, output=None, order=3, mode="constant",
                        cval=0.0, prefilter=True, extra_arguments=(), extra_keywords=None, *,
                        workers=None):
    """Apply an arbitrary geometric transform (scipy.ndimage.geometric_transform).

    `mapping` takes a tuple of output coordinates and returns the input
    coordinates, or is a native callback with the signature
    ``int (intptr_t *, double *, int, int, void *)``.
    """
    workers = _check_workers(workers, "geometric_transform")
    extra_arguments, extra_keywords = _check_extra(extra_arguments, extra_keywords)
    input = np.asarray(input)
    if output_shape is None:
        output_shape = input.shape
    output_shape = tuple(output_shape)
    input, output, order, complex_output = _interpolation_setup(input, output, output_shape, order, mode)
    if complex_output:
        return _split_complex(geometric_transform, input, output, cval, mapping=mapping,
                              output_shape=output_shape, order=order, mode=mode, prefilter=prefilter,
                              extra_arguments=extra_arguments, extra_keywords=extra_keywords,
                              workers=workers)
    cb, native = _callback(mapping, "mapping")
    args, kwargs = tuple(extra_arguments), dict(extra_keywords)
    return _run_interpolation(
        lambda source, target: _ndimage.geometric_transform(
            source, cb, args, kwargs, target, order, mode, float(cval), bool(prefilter), workers),
        input, output)


def map_coordinates(input, coordinates, output=None, order=3, mode="constant", cval=0.0,
                    prefilter=True, *, workers=None):
    """Map the input array to new coordinates by interpolation (scipy.ndimage.map_coordinates)."""
    workers = _check_workers(workers, "map_coordinates")
    coordinates = np.asarray(coordinates)
    if np.iscomplexobj(coordinates):
        raise TypeError("Complex type not supported")
    input = np.asarray(input)
    output_shape = coordinates.shape[1:]
    input, output, order, complex_output = _interpolation_setup(input, output, output_shape, order, mode)
    if coordinates.shape[0] != input.ndim:
        raise RuntimeError(f"invalid shape for coordinate array: {coordinates.shape}; its first axis "
                           f"must have one entry per input axis ({input.ndim})")
    if complex_output:
        return _split_complex(map_coordinates, input, output, cval, coordinates=coordinates,
                              order=order, mode=mode, prefilter=prefilter, workers=workers)
    coordinates = _unaliased(_native_array(coordinates, "coordinates"), output)
    return _run_interpolation(
        lambda source, target: _ndimage.map_coordinates(
            source, coordinates, target, order, mode, float(cval), bool(prefilter), workers),
        input, output)


def affine_transform(input, matrix, offset=0.0, output_shape=None, output=None, order=3,
                     mode="constant", cval=0.0, prefilter=True, *, workers=None):
    """Apply an affine transformation (scipy.ndimage.affine_transform): input at matrix @ o + offset."""
    workers = _check_workers(workers, "affine_transform")
    input = np.asarray(input)
    if output_shape is None:
        output_shape = output.shape if isinstance(output, np.ndarray) else input.shape
    output_shape = tuple(output_shape)
    input, output, order, complex_output = _interpolation_setup(input, output, output_shape, order, mode)
    if complex_output:
        return _split_complex(affine_transform, input, output, cval, matrix=matrix, offset=offset,
                              output_shape=output_shape, order=order, mode=mode,
                              prefilter=prefilter, workers=workers)
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim not in (1, 2) or matrix.shape[0] < 1:
        raise RuntimeError(f"no proper affine matrix provided: shape {matrix.shape}")
    if (matrix.ndim == 2 and matrix.shape[1] == input.ndim + 1
            and matrix.shape[0] in (input.ndim, input.ndim + 1)):
        if matrix.shape[0] == input.ndim + 1:
            expected = [0] * input.ndim + [1]
            if not np.all(matrix[input.ndim] == expected):
                raise ValueError(f"Expected homogeneous transformation matrix with shape {matrix.shape} "
                                 f"for image shape {input.shape}, but bottom row was not equal to "
                                 f"{expected}")
        offset = matrix[:input.ndim, input.ndim]
        matrix = matrix[:input.ndim, :input.ndim]
    if matrix.shape[0] != input.ndim:
        raise RuntimeError(f"affine matrix has wrong number of rows: {matrix.shape[0]}, input rank "
                           f"is {input.ndim}")
    if matrix.ndim == 2 and matrix.shape[1] != output.ndim:
        raise RuntimeError(f"affine matrix has wrong number of columns: {matrix.shape[1]}, output "
                           f"rank is {output.ndim}")
    offset = np.asarray(_normalize_sequence(offset, input.ndim, "offset"), dtype=np.float64)
    if offset.ndim != 1 or offset.shape[0] < 1:
        raise RuntimeError("no proper offset provided")
    if matrix.ndim == 1:
        # A diagonal matrix is separable: scipy runs it as a zoom and shift.
        if output.ndim != input.ndim:
            raise RuntimeError("affine matrix has wrong number of columns")
        zooms = [float(z) for z in matrix]
        shifts = [float(o / z) for o, z in zip(offset, matrix)]
        return _run_interpolation(
            lambda source, target: _ndimage.zoom_shift(
                source, zooms, shifts, False, target, order, mode, float(cval), bool(prefilter),
                workers), input, output)
    flat = [float(x) for x in matrix.ravel()]
    offsets = [float(x) for x in offset]
    return _run_interpolation(
        lambda source, target: _ndimage.affine_transform(
            source, flat, offsets, target, order, mode, float(cval), bool(prefilter), workers),
        input, output)


def shift(input, shift, output=None, order=3, mode="constant", cval=0.0, prefilter=True, *,
          workers=None):
    """Shift an array (scipy.ndimage.shift): output[o] = input[o - shift], interpolated."""
    workers = _check_workers(workers, "shift")
    input = np.asarray(input)
    if input.ndim < 1:
        raise RuntimeError("input and output rank must be > 0")
    input, output, order, complex_output = _interpolation_setup(input, output, input.shape, order, mode)
    if complex_output:
        return _split_complex(globals()["shift"], input, output, cval, shift=shift, order=order,
                              mode=mode, prefilter=prefilter, workers=workers)
    shifts = [-float(s) for s in _normalize_sequence(shift, input.ndim, "shift")]
    return _run_interpolation(
        lambda source, target: _ndimage.zoom_shift(
            source, [], shifts, False, target, order, mode, float(cval), bool(prefilter), workers),
        input, output)


def zoom(input, zoom, output=None, order=3, mode="constant", cval=0.0, prefilter=True, *,
         grid_mode=False, workers=None):
    """Zoom an array (scipy.ndimage.zoom) by spline interpolation."""
    workers = _check_workers(workers, "zoom")
    input = np.asarray(input)
    if input.ndim < 1:
        raise RuntimeError("input and output rank must be > 0")
    zoom = _normalize_sequence(zoom, input.ndim, "zoom")
    output_shape = tuple(int(round(ii * jj)) for ii, jj in zip(input.shape, zoom))
    input, output, order, complex_output = _interpolation_setup(input, output, output_shape, order, mode)
    if all(z == 1 for z in zoom) and prefilter:
        # Zoom 1 returns the input unchanged (scipy gh-20999).
        output[...] = input
        return output
    if complex_output:
        return _split_complex(globals()["zoom"], input, output, cval, zoom=zoom, order=order,
                              mode=mode, prefilter=prefilter, grid_mode=grid_mode, workers=workers)
    if grid_mode and mode in ("constant", "wrap"):
        suggest = "grid-constant" if mode == "constant" else "grid-wrap"
        warnings.warn(f"It is recommended to use mode = {suggest} instead of {mode} when grid_mode "
                      f"is True.", stacklevel=2)
    factors = []
    for n_in, n_out in zip(input.shape, output_shape):
        numerator, divisor = (n_in, n_out) if grid_mode else (n_in - 1, n_out - 1)
        # No finite factor maps onto (or from) a single sample; scipy uses 1.
        factors.append(numerator / divisor if divisor != 0 else 1.0)
    return _run_interpolation(
        lambda source, target: _ndimage.zoom_shift(
            source, factors, [], bool(grid_mode), target, order, mode, float(cval), bool(prefilter),
            workers), input, output)
