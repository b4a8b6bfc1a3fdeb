// generic_filter and generic_filter1d on strided views: cached boundary-extended lines, gathered neighbourhood blocks, rows split over threads.
#include "nativecall/ndimage/filters.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "line_buffer.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::ndimage {

using detail::grain_for;
using detail::LineCache;
using detail::LineWalker;
using detail::shape_string;

namespace {

[[noreturn]] void kernel_failed(const char *routine, const std::string &name,
                                const std::vector<std::ptrdiff_t> &index) {
    throw CallbackFailed(std::string(routine) + ": " + name + " returned 0 (failure) at output index " +
                         shape_string(index));
}

/* The footprint as the filter walks it: its taken elements grouped by the
   input line (along the last axis) they read. Each output row needs one
   boundary-extended copy of each of those lines, so the filter keeps a few
   short line buffers per worker (a LineCache, which the next row mostly
   reuses) instead of a padded copy of the whole input. Per row it then
   gathers the neighbourhoods of a block of pixels and calls the kernel on
   each in a loop that holds nothing but the call: no boundary test, index
   arithmetic or conversion happens per pixel. */
struct FootprintLines {
    std::vector<std::vector<std::ptrdiff_t>> leading;   // per line: offset along each leading axis
    std::vector<std::size_t> element_line;              // per taken element (C order): its line
    std::vector<std::ptrdiff_t> element_shift;          // per taken element: its offset along the last axis
};

FootprintLines group_footprint(const Footprint &footprint) {
    const int rank = static_cast<int>(footprint.shape.size());
    const int last = rank - 1;
    const std::ptrdiff_t line_length = footprint.shape[last];
    const std::ptrdiff_t lines = static_cast<std::ptrdiff_t>(footprint.mask.size()) / line_length;
    FootprintLines grouped;
    std::vector<std::ptrdiff_t> k(rank, 0);
    for (std::ptrdiff_t line = 0; line < lines; ++line) {
        const std::uint8_t *mask = footprint.mask.data() + line * line_length;
        bool used = false;
        for (std::ptrdiff_t j = 0; j < line_length; ++j) {
            if (!mask[j]) continue;
            used = true;
            grouped.element_line.push_back(grouped.leading.size());
            grouped.element_shift.push_back(j);
        }
        if (used) grouped.leading.emplace_back(k.begin(), k.begin() + last);
        for (int d = last - 1; d >= 0 && ++k[d] == footprint.shape[d]; --d) k[d] = 0;
    }
    return grouped;
}

/* Doubles of gathered neighbourhoods per kernel-call run: 16 KiB, so the
   block stays in L1 between the gather that writes it and the calls that read it. */
constexpr std::ptrdiff_t kBlockDoubles = 2048;

/* block[p * taken + e] = starts[e][first + p] for p < count: the neighbourhoods
   of `count` consecutive pixels, each contiguous as the kernel reads it, and
   each its own copy because the kernel may write to its buffer. One element
   at a time, so each source is read in order and the loop holds no call. */
void gather(const double *const *starts, std::intptr_t taken, std::ptrdiff_t first, std::ptrdiff_t count,
            double *block) {
    for (std::intptr_t e = 0; e < taken; ++e) {
        const double *source = starts[e] + first;
        double *target = block + e;
        std::ptrdiff_t p = 0;
        /* Four at a time: the strided stores cannot be vectorised, but the loop
           overhead can be shared. Two targets, so that every store addresses
           base + taken * 8 or base alone and no stride leaves a register. */
        double *target2 = target + 2 * taken;
        for (; p + 4 <= count; p += 4, target += 4 * taken, target2 += 4 * taken) {
            target[0] = source[p];
            target[taken] = source[p + 1];
            target2[0] = source[p + 2];
            target2[taken] = source[p + 3];
        }
        for (; p < count; ++p, target += taken) *target = source[p];
    }
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
    const FootprintLines grouped = group_footprint(footprint);
    const auto taken = static_cast<std::intptr_t>(grouped.element_line.size());
    const std::size_t line_count = grouped.leading.size();

    const int last = rank - 1;
    const std::ptrdiff_t row_length = input.shape[last];
    const std::ptrdiff_t line_span = row_length + footprint.shape[last] - 1;   // one extended input line
    const std::ptrdiff_t rows = input.size() / row_length;
    const std::ptrdiff_t chunk = std::clamp<std::ptrdiff_t>(kBlockDoubles / std::max<std::intptr_t>(taken, 1), 1,
                                                            row_length);
    // float64 output with unit stride takes the kernel's results in place; any other gets a converted copy.
    constexpr auto kDouble = static_cast<std::ptrdiff_t>(sizeof(double));
    const bool in_place = output.dtype == DType::Float64 && output.strides[last] == kDouble &&
                          reinterpret_cast<std::uintptr_t>(output.data) % alignof(double) == 0 &&
                          std::all_of(output.strides.begin(), output.strides.end(),
                                      [](std::ptrdiff_t s) { return s % kDouble == 0; });
    struct Scratch {
        LineCache lines;
        std::vector<double> block, results;
        std::vector<const double *> element_start;
    };
    std::vector<Scratch> scratch(static_cast<std::size_t>(std::max(workers, 1)));
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int worker) {
        Scratch &s = scratch[worker];
        s.lines.reserve(line_count, line_span);
        s.block.resize(static_cast<std::size_t>(std::max<std::ptrdiff_t>(chunk * taken, 1)));
        if (!in_place) s.results.resize(static_cast<std::size_t>(row_length));
        s.element_start.resize(static_cast<std::size_t>(taken));
        std::vector<std::ptrdiff_t> index(rank, 0), sources(line_count);
        // Copies in locals, so the opaque calls below leave them in registers.
        FilterFunction *const function = kernel.function;
        void *const user_data = kernel.user_data;
        const std::intptr_t size = taken;
        for (std::size_t row = begin; row < end; ++row) {
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), out_offset = 0;
            for (int d = last - 1; d >= 0; --d) {
                index[d] = rest % input.shape[d];
                rest /= input.shape[d];
                out_offset += index[d] * output.strides[d];
            }
            // The input line each footprint line reads for this row: its byte offset, or kCvalLine.
            for (std::size_t g = 0; g < line_count; ++g) {
                std::ptrdiff_t offset = 0;
                for (int d = 0; d < last && offset != LineCache::kCvalLine; ++d) {
                    const std::ptrdiff_t source =
                        extend_index(index[d] + grouped.leading[g][d] - before[d], input.shape[d], fmode);
                    offset = source == kOutside ? LineCache::kCvalLine : offset + source * input.strides[d];
                }
                sources[g] = offset;
            }
            double *const *line = s.lines.fetch(sources, [&](std::ptrdiff_t source, double *buffer) {
                if (source == LineCache::kCvalLine) {
                    std::fill(buffer, buffer + line_span, cval);
                    return;
                }
                detail::read_line(input.data + source, input.strides[last], row_length, input.dtype,
                                  buffer + before[last]);
                extend_line(buffer, row_length, before[last], after[last], fmode, cval);
            });
            for (std::intptr_t e = 0; e < taken; ++e)
                s.element_start[e] = line[grouped.element_line[e]] + grouped.element_shift[e];
            double *const results =
                in_place ? reinterpret_cast<double *>(output.data + out_offset) : s.results.data();
            for (std::ptrdiff_t first = 0; first < row_length; first += chunk) {
                const std::ptrdiff_t count = std::min(chunk, row_length - first);
                gather(s.element_start.data(), size, first, count, s.block.data());
                double *values = s.block.data();
                // Pointers only, no counter: per pixel the call, its test and two pointer steps.
                for (double *result = results + first, *stop = result + count; result != stop;
                     ++result, values += size) {
                    if (!function(values, size, result, user_data)) {
                        index[last] = result - results;
                        kernel_failed("generic_filter", kernel.name, index);
                    }
                }
            }
            if (!in_place)
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
    // Each worker holds one extended line and one output line of doubles.
    const std::ptrdiff_t line_limit = std::numeric_limits<std::ptrdiff_t>::max() / 8 / 4;
    if (filter_size > line_limit - 2 * input.shape[axis])
        throw InvalidArgument("generic_filter1d: filter_size " + std::to_string(filter_size) +
                              " is too large: a line buffer of filter_size + 2 * " +
                              std::to_string(input.shape[axis]) + " doubles cannot exist");
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
