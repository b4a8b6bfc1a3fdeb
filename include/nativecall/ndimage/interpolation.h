// The interpolation core and the transforms on it: geometric_transform, map_coordinates, affine_transform, shift, zoom.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "nativecall/ndimage/array_view.h"
#include "nativecall/ndimage/boundary.h"
#include "nativecall/ndimage/kernel.h"

namespace nativecall::ndimage {

/* What every transform shares: spline order, boundary mode, fill value,
   whether the input still needs the B-spline prefilter, and threads. */
struct InterpolationOptions {
    int order = 3;
    BoundaryMode mode = BoundaryMode::Constant;
    double cval = 0.0;
    bool prefilter = true;
    int workers = 1;
};

/* std::allocator, except that a plain resize leaves doubles uninitialised:
   the coefficients are written in full right after allocation, by several
   workers, so zero-filling them first would be a serial pass for nothing
   (and would fault every page in on one thread). */
template <class T> struct UninitializedAllocator : std::allocator<T> {
    template <class U> struct rebind { using other = UninitializedAllocator<U>; };
    UninitializedAllocator() = default;
    template <class U> UninitializedAllocator(const UninitializedAllocator<U> &) noexcept {}
    template <class U> void construct(U *p) noexcept { ::new (static_cast<void *>(p)) U; }
    template <class U, class... Args> void construct(U *p, Args &&...args) {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }
};

/* Interpolation-ready data: C-contiguous doubles, pad[d] samples larger on
   each side of axis d. scipy pads nearest and grid-constant inputs by 12
   samples (edge values or cval) before prefiltering, so the coefficients near
   the edge see the right extension; the other modes have exact prefilter
   boundaries. A nearest axis of length 1 is not padded: its extension is
   that one sample everywhere, so padding would only multiply the memory (by
   25 per such axis) for the same interpolant. */
struct SplineCoefficients {
    std::vector<double, UninitializedAllocator<double>> data;
    std::vector<std::ptrdiff_t> shape;
    std::vector<std::ptrdiff_t> strides;   // elements
    std::vector<std::ptrdiff_t> pad;       // per axis
};

/* The coefficients the interpolation core reads for `input`: the samples
   themselves for order < 2 or prefilter=false, otherwise (padded and)
   spline-filtered along every axis. */
SplineCoefficients spline_coefficients(const ArrayView &input, const InterpolationOptions &options);

/* output[o] = input interpolated at mapping(o). The mapping kernel is called
   once per output element from up to options.workers threads. */
void geometric_transform(const ArrayView &input, const MappingKernel &mapping, const ArrayView &output,
                         const InterpolationOptions &options);

/* output[o] = input at coordinates[:, o...]; coordinates has shape
   (input rank, *output shape) and any real dtype. */
void map_coordinates(const ArrayView &input, const ArrayView &coordinates, const ArrayView &output,
                     const InterpolationOptions &options);

/* output[o] = input at matrix·o + offset; `matrix` is input-rank × output-rank, row-major. */
void affine_transform(const ArrayView &input, const std::vector<double> &matrix, const std::vector<double> &offset,
                      const ArrayView &output, const InterpolationOptions &options);

/* Separable transforms: along each axis, coordinate = (o + shift) * zoom, or
   with grid_mode ((o + 0.5) * zoom - 0.5). Either vector may be empty (no
   shift / unit zoom). Per-axis tables make this faster than the general core. */
void zoom_shift(const ArrayView &input, const std::vector<double> &zoom, const std::vector<double> &shift,
                bool grid_mode, const ArrayView &output, const InterpolationOptions &options);

/* scipy.ndimage.shift: output[o] = input[o - shift]. */
void shift(const ArrayView &input, const std::vector<double> &shifts, const ArrayView &output,
           const InterpolationOptions &options);

/* scipy.ndimage.zoom onto `output`'s shape (the zoom factors follow from the shapes). */
void zoom(const ArrayView &input, const ArrayView &output, bool grid_mode, const InterpolationOptions &options);

} // namespace nativecall::ndimage
