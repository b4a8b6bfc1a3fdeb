// generic_filter and generic_filter1d: run a user kernel over every neighbourhood (or line) of an n-d array, threaded.
#pragma once

#include <cstdint>
#include <vector>

#include "nativecall/ndimage/array_view.h"
#include "nativecall/ndimage/boundary.h"
#include "nativecall/ndimage/kernel.h"

namespace nativecall::ndimage {

/* A footprint: a boolean mask with one axis per input axis, C-contiguous. */
struct Footprint {
    std::vector<std::ptrdiff_t> shape;
    std::vector<std::uint8_t> mask;   // nonzero = element taken
};

/* Output[x] = kernel(input values under the footprint placed at x). The
   footprint's centre along axis d is shape[d]/2 + origin[d]; positions beyond
   the edges come from `mode` (filters treat grid-* modes as scipy does).
   `workers` threads (resolved by the caller; 1 for kernels that are not
   thread-safe) split the output; the result never depends on it. Integer
   outputs get C's truncating conversion, as scipy's filters store them.
   `output` must not overlap `input` (rows are written while other rows still
   read it; nativecall.ndimage passes a copy when they would). Each call gets
   its own copy of the values, which the kernel may overwrite. */
void generic_filter(const ArrayView &input, const FilterKernel &kernel, const Footprint &footprint,
                    const ArrayView &output, BoundaryMode mode, double cval,
                    const std::vector<std::ptrdiff_t> &origins, int workers);

/* Runs `kernel` on every line along `axis`: the input line is extended by
   filter_size/2 + origin samples before and the rest after. */
void generic_filter1d(const ArrayView &input, const Filter1DKernel &kernel, std::ptrdiff_t filter_size,
                      int axis, const ArrayView &output, BoundaryMode mode, double cval,
                      std::ptrdiff_t origin, int workers);

/* InvalidArgument unless -(size/2) <= origin <= (size-1)/2, as scipy requires. */
void check_origin(std::ptrdiff_t origin, std::ptrdiff_t size, int axis);

} // namespace nativecall::ndimage
