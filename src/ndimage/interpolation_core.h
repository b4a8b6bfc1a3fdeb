// Internal interface of the interpolation core shared by every transform (not installed).
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

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

/* The interpolation core bound to one set of coefficients: evaluates the
   interpolant at many points. A point whose window lies inside the
   coefficients on every axis (all but a border a few samples wide) skips the
   boundary modes: its window start is a truncation and its weights come from
   a loop fixed at compile time for the order; 2-D inputs, the common case,
   get their own loop over the window. Every other point goes through locate
   and combine. Both routes sum in the same order, so a point's value does not
   depend on which one it took. */
class Interpolator {
public:
    Interpolator(const SplineCoefficients &coefficients, const InterpolationOptions &options);

    /* results[j] = the interpolant at point j, whose coordinate on input axis
       d (in input samples, before any padding) is coordinates[d * count + j].
       Safe to call from several threads at once. */
    void evaluate(const double *coordinates, std::ptrdiff_t count, double *results) const;

private:
    template <int Order> void evaluate_2d(const double *coordinates, std::ptrdiff_t count, double *results) const;
    template <int Order> void evaluate_nd(const double *coordinates, std::ptrdiff_t count, double *results) const;
    /* locate + combine for point j, any position. */
    double evaluate_at_edge(const double *coordinates, std::ptrdiff_t count, std::ptrdiff_t j,
                            AxisSample *samples) const;

    const SplineCoefficients &c_;
    InterpolationOptions options_;
    int rank_;
    std::vector<double> inside_lo_, inside_hi_;   // per axis, padded coordinates: [lo, hi) needs no boundary mode
};

void check_interpolation(const ArrayView &input, const ArrayView &output, const InterpolationOptions &options,
                         const char *routine);

} // namespace nativecall::ndimage::detail
