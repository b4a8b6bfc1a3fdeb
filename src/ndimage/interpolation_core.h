// Internal interface of the interpolation core shared by every transform (not installed).
#pragma once

#include <cstddef>
#include <limits>

#include "nativecall/ndimage/interpolation.h"

namespace nativecall::ndimage::detail {

constexpr int kMaxRank = 32;       // numpy's limit on axes
constexpr int kMaxWindow = 6;      // order 5 + 1
/* Marks a window element beyond a grid-constant edge: it contributes cval. */
constexpr std::ptrdiff_t kOutsideOffset = std::numeric_limits<std::ptrdiff_t>::min() / 4;

/* Where one coordinate falls along one axis: the window's element offsets (in
   coefficient elements, boundary-extended) and their B-spline weights. */
struct AxisSample {
    bool outside = false;                 // constant mode beyond the edge: the point is cval
    bool beyond_grid = false;             // some window element lies past a grid-constant edge
    std::ptrdiff_t offset[kMaxWindow];
    double weight[kMaxWindow];
};

/* Fills `sample` for `coordinate` on an axis of `length` coefficients `stride` elements apart. */
void locate(double coordinate, std::ptrdiff_t length, std::ptrdiff_t stride, int order, BoundaryMode mode,
            AxisSample &sample);

/* Sum over the window (C order) of coefficient x product of the axes' weights. */
double combine(const double *data, const AxisSample *const *samples, int rank, int order, double cval);

void check_interpolation(const ArrayView &input, const ArrayView &output, const InterpolationOptions &options,
                         const char *routine);

} // namespace nativecall::ndimage::detail
