// generic_filter and generic_filter1d on strided views: boundary-extended copies, per-worker buffers, rows split over threads.
#include "nativecall/ndimage/filters.h"

#include <algorithm>
#include <string>

#include "line_buffer.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::ndimage {

using detail::LineWalker;
using detail::shape_string;

namespace {

/* Enough chunks per worker that uneven rows balance, few enough that handing
   them out costs nothing. */
std::size_t grain_for(std::ptrdiff_t items, int workers) {
    return static_cast<std::size_t>(std::max<std::ptrdiff_t>(1, items / (16 * std::max(workers, 1))));
}

[[noreturn]] void kernel_failed(const char *routine, const std::string &name,
                                const std::vector<std::ptrdiff_t> &index) {
    throw CallbackFailed(std::string(routine) + ": " + name + " returned 0 (failure) at output index " +
                         shape_string(index));
}

/* The input copied as doubles into a C-contiguous array that is larger by the
   footprint along every axis, its margins filled by the boundary mode. The
   filter then reads every neighbourhood at constant offsets, with no edge test
   in the inner loop. Extension is applied per axis, which is exactly scipy's
   per-axis mapping of out-of-range coordinates. */
struct PaddedInput {
    std::vector<double> data;
    std::vector<std::ptrdiff_t> shape;
    std::vector<std::ptrdiff_t> strides;   // elements
};

PaddedInput pad_input(const ArrayView &input, const std::vector<std::ptrdiff_t> &before,
                      const std::vector<std::ptrdiff_t> &after, BoundaryMode mode, double cval, int workers) {
    const int rank = input.rank();
    PaddedInput padded;
    padded.shape.resize(rank);
    padded.strides.resize(rank);
    std::ptrdiff_t total = 1;
    for (int d = rank - 1; d >= 0; --d) {
        padded.shape[d] = input.shape[d] + before[d] + after[d];
        padded.strides[d] = total;
        total *= padded.shape[d];
    }
    padded.data.resize(static_cast<std::size_t>(total));
    const int last = rank - 1;
    const std::ptrdiff_t row_length = padded.shape[last];
    const std::ptrdiff_t rows = total / row_length;
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int) {
        for (std::size_t row = begin; row < end; ++row) {
            double *line = padded.data.data() + row * row_length;
            // Locate the input row this padded row copies, axis by axis.
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), offset = 0;
            bool outside = false;
            for (int d = last - 1; d >= 0; --d) {
                std::ptrdiff_t p = rest % padded.shape[d];
                rest /= padded.shape[d];
                std::ptrdiff_t source = extend_index(p - before[d], input.shape[d], mode);
                if (source == kOutside) outside = true;
                else offset += source * input.strides[d];
            }
            if (outside) {
                std::fill(line, line + row_length, cval);
                continue;
            }
            detail::read_line(input.data + offset, input.strides[last], input.shape[last], input.dtype,
                              line + before[last]);
            extend_line(line, input.shape[last], before[last], after[last], mode, cval);
        }
    }, grain_for(rows, workers));
    return padded;
}

} // namespace

void check_origin(std::ptrdiff_t origin, std::ptrdiff_t size, int axis) {
    if (origin < -(size / 2) || origin > (size - 1) / 2)
        throw InvalidArgument("invalid origin " + std::to_string(origin) + " along axis " + std::to_string(axis) +
                              " for a filter of size " + std::to_string(size) + ": expected " +
                              std::to_string(-(size / 2)) + " <= origin <= " + std::to_string((size - 1) / 2));
}

void generic_filter(const ArrayView &input, const FilterKernel &kernel, const Footprint &footprint,
                    const ArrayView &output, BoundaryMode mode, double cval,
                    const std::vector<std::ptrdiff_t> &origins, int workers) {
    const int rank = input.rank();
    detail::check_same_shape(output, "output", input, "input");
    if (rank < 1) throw InvalidArgument("generic_filter: input must have at least one axis");
    if (static_cast<int>(footprint.shape.size()) != rank)
        throw InvalidArgument("generic_filter: footprint has " + std::to_string(footprint.shape.size()) +
                              " axes, expected one per input axis (" + std::to_string(rank) + ")");
    if (static_cast<int>(origins.size()) != rank)
        throw InvalidArgument("generic_filter: expected " + std::to_string(rank) + " origins, got " +
                              std::to_string(origins.size()));
    std::ptrdiff_t footprint_size = 1;
    for (int d = 0; d < rank; ++d) {
        if (footprint.shape[d] < 1)
            throw InvalidArgument("generic_filter: footprint shape " + shape_string(footprint.shape) +
                                  " has an empty axis");
        footprint_size *= footprint.shape[d];
        check_origin(origins[d], footprint.shape[d], d);
    }
    if (static_cast<std::ptrdiff_t>(footprint.mask.size()) != footprint_size)
        throw InvalidArgument("generic_filter: footprint mask has " + std::to_string(footprint.mask.size()) +
                              " elements, its shape " + shape_string(footprint.shape) + " says " +
                              std::to_string(footprint_size));
    if (kernel.function == nullptr) throw InvalidArgument("generic_filter: the kernel is a null function pointer");
    if (input.size() == 0) return;

    const BoundaryMode fmode = filter_mode(mode);
    std::vector<std::ptrdiff_t> before(rank), after(rank);
    for (int d = 0; d < rank; ++d) {
        before[d] = footprint.shape[d] / 2 + origins[d];
        after[d] = footprint.shape[d] - 1 - before[d];
    }
    const PaddedInput padded = pad_input(input, before, after, fmode, cval, workers);

    // Offsets (in padded elements) of the footprint's taken elements, C order.
    std::vector<std::ptrdiff_t> offsets;
    std::vector<std::ptrdiff_t> k(rank, 0);
    for (std::ptrdiff_t flat = 0; flat < footprint_size; ++flat) {
        if (footprint.mask[flat]) {
            std::ptrdiff_t off = 0;
            for (int d = 0; d < rank; ++d) off += k[d] * padded.strides[d];
            offsets.push_back(off);
        }
        for (int d = rank - 1; d >= 0 && ++k[d] == footprint.shape[d]; --d) k[d] = 0;
    }
    const auto taken = static_cast<std::intptr_t>(offsets.size());

    const int last = rank - 1;
    const std::ptrdiff_t row_length = input.shape[last];
    const std::ptrdiff_t rows = input.size() / row_length;
    std::vector<std::vector<double>> scratch(static_cast<std::size_t>(std::max(workers, 1)));
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int worker) {
        auto &buffer = scratch[worker];
        buffer.resize(static_cast<std::size_t>(taken + 1 + row_length));
        double *values = buffer.data();
        double *results = values + taken + 1;
        for (std::size_t row = begin; row < end; ++row) {
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), padded_base = 0, out_offset = 0;
            for (int d = last - 1; d >= 0; --d) {
                std::ptrdiff_t i = rest % input.shape[d];
                rest /= input.shape[d];
                padded_base += i * padded.strides[d];
                out_offset += i * output.strides[d];
            }
            const double *window = padded.data.data() + padded_base;
            for (std::ptrdiff_t j = 0; j < row_length; ++j, ++window) {
                for (std::intptr_t e = 0; e < taken; ++e) values[e] = window[offsets[e]];
                if (!kernel.function(values, taken, results + j, kernel.user_data)) {
                    std::vector<std::ptrdiff_t> index(rank);
                    std::ptrdiff_t r = static_cast<std::ptrdiff_t>(row);
                    for (int d = last - 1; d >= 0; --d) {
                        index[d] = r % input.shape[d];
                        r /= input.shape[d];
                    }
                    index[last] = j;
                    kernel_failed("generic_filter", kernel.name, index);
                }
            }
            detail::write_line(results, row_length, output.data + out_offset, output.strides[last], output.dtype,
                               StoreRule::Truncate);
        }
    }, grain_for(rows, workers));
}

void generic_filter1d(const ArrayView &input, const Filter1DKernel &kernel, std::ptrdiff_t filter_size,
                      int axis, const ArrayView &output, BoundaryMode mode, double cval,
                      std::ptrdiff_t origin, int workers) {
    const int rank = input.rank();
    detail::check_same_shape(output, "output", input, "input");
    if (rank < 1) throw InvalidArgument("generic_filter1d: input must have at least one axis");
    if (axis < 0 || axis >= rank)
        throw InvalidArgument("generic_filter1d: axis " + std::to_string(axis) + " is out of range for an array with " +
                              std::to_string(rank) + " axes");
    if (filter_size < 1)
        throw InvalidArgument("generic_filter1d: filter_size must be at least 1, got " + std::to_string(filter_size));
    check_origin(origin, filter_size, axis);
    if (kernel.function == nullptr) throw InvalidArgument("generic_filter1d: the kernel is a null function pointer");
    if (input.size() == 0) return;

    const BoundaryMode fmode = filter_mode(mode);
    const std::ptrdiff_t before = filter_size / 2 + origin;
    const std::ptrdiff_t after = filter_size - 1 - before;
    const LineWalker lines(input.shape, axis);
    const std::ptrdiff_t length = lines.length();
    std::vector<std::vector<double>> scratch(static_cast<std::size_t>(std::max(workers, 1)));
    parallel_for(static_cast<std::size_t>(lines.count()), workers, [&](std::size_t begin, std::size_t end, int worker) {
        auto &buffer = scratch[worker];
        buffer.resize(static_cast<std::size_t>(2 * length + filter_size - 1));
        double *in_line = buffer.data();
        double *out_line = in_line + length + filter_size - 1;
        for (std::size_t line = begin; line < end; ++line) {
            const auto l = static_cast<std::ptrdiff_t>(line);
            detail::read_line(input.data + lines.offset(l, input.strides), input.strides[axis], length, input.dtype,
                              in_line + before);
            extend_line(in_line, length, before, after, fmode, cval);
            if (!kernel.function(in_line, length + filter_size - 1, out_line, length, kernel.user_data)) {
                // Name the line by its first element's index.
                std::vector<std::ptrdiff_t> index(rank, 0);
                std::ptrdiff_t r = l;
                for (int d = rank - 1; d >= 0; --d) {
                    if (d == axis) continue;
                    index[d] = r % input.shape[d];
                    r /= input.shape[d];
                }
                kernel_failed("generic_filter1d", kernel.name, index);
            }
            detail::write_line(out_line, length, output.data + lines.offset(l, output.strides), output.strides[axis],
                               output.dtype, StoreRule::Truncate);
        }
    }, grain_for(lines.count(), workers));
}

} // namespace nativecall::ndimage
