// B-spline prefilter (spline_filter1d, spline_filter): interpolation coefficients with scipy's exact boundary handling.
#pragma once

#include <cstddef>
#include <vector>

#include "nativecall/ndimage/array_view.h"
#include "nativecall/ndimage/boundary.h"

namespace nativecall::ndimage {

/* Poles of the recursive B-spline prefilter of `order` (2 to 5); empty for 0 and 1. */
std::vector<double> spline_poles(int order);

/* InvalidArgument unless 0 <= order <= 5. */
void check_spline_order(int order);

/* Turns samples into B-spline coefficients in place. The first causal and
   anticausal values are the exact infinite sums for the signal extension the
   mode implies: whole-sample symmetric (mirror, and constant/wrap, which have
   no exact form of their own), half-sample symmetric (reflect, grid-mirror,
   nearest) or periodic (grid-wrap). Lines of one sample are left as they are. */
void spline_filter_line(double *line, std::ptrdiff_t length, int order, BoundaryMode mode);

/* spline_filter_line on `lanes` signals at once: sample i of signal l is
   data[i * stride + l]. `scratch` holds `lanes` doubles. */
void spline_filter_lanes(double *data, std::ptrdiff_t length, std::ptrdiff_t stride, std::ptrdiff_t lanes, int order,
                         BoundaryMode mode, double *scratch);

/* spline_filter_line along `axis` of every line of `input`, into `output`
   (same shape; integer outputs truncate, as scipy stores them). Orders 0 and 1
   copy. In-place (output == input) is fine. */
void spline_filter1d(const ArrayView &input, int order, int axis, const ArrayView &output, BoundaryMode mode,
                     int workers);

/* spline_filter1d along every axis in turn, as scipy.ndimage.spline_filter does. */
void spline_filter(const ArrayView &input, int order, const ArrayView &output, BoundaryMode mode, int workers);

} // namespace nativecall::ndimage
