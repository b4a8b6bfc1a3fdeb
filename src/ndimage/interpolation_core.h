// Internal interface of the interpolation core shared by every transform (not installed).
#pragma once

#include <cstddef>
#include <limits>

#include "nativecall/ndimage/interpolation.h"

namespace nativecall::ndimage::detail {

constexpr int kMaxRank = 64;       // numpy's limit on axes (NPY_MAXDIMS)
constexpr int kMaxWindow = 6;      // order 5 + 1
/* Marks a window element beyond a grid-constant edge: it contributes cval. */
constexpr std::ptrdiff_t kOutsideOffset = std::numeric_limits<std::ptrdiff_t>::min() / 4;

/* Where one coordinate falls along one axis: the window's element offsets (in
   coefficient elements, boundary-extended) and their B-spline weights. A
   window whose elements all read the same coefficient (an axis of length 1)
   is merged into one element carrying the summed weight, so the cost of a
   point is the product of the axes' widths, not (order+1)^rank: high-rank
   arrays with many length-1 axes interpolate in time linear in the rank. */
struct AxisSample {
    bool outside = false;                 // constant mode beyond the edge: the point is cval
    bool beyond_grid = false;             // some window element lies past a grid-constant edge
    int width = 1;                        // window elements in use: order + 1, or 1 once merged
    std::ptrdiff_t offset[kMaxWindow];
    double weight[kMaxWindow];
};

/* Fills `sample` for `coordinate` on an axis of `length` coefficients `stride` elements apart. */
void locate(double coordinate, std::ptrdiff_t length, std::ptrdiff_t stride, int order, BoundaryMode mode,
            AxisSample &sample);

/* Sum over the window (C order) of coefficient x product of the axes' weights. */
double combine(const double *data, const AxisSample *const *samples, int rank, double cval);

void check_interpolation(const ArrayView &input, const ArrayView &output, const InterpolationOptions &options,
                         const char *routine);

} // namespace nativecall::ndimage::detail
