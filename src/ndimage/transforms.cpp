// The transforms on the interpolation core: where each output element's input coordinates come from.
#include <algorithm>
#include <cstdint>
#include <string>

#include "interpolation_core.h"
#include "line_buffer.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::ndimage {

using detail::AxisSample;
using detail::shape_string;

namespace {

/* Interpolates every output row (the last axis). `fill_row(index, length,
   coordinates)` writes the input coordinates of the row that starts at output
   index `index`, axis-major: coordinates[d * length + j]. */
template <class FillRow>
void interpolate_rows(const SplineCoefficients &c, const ArrayView &output, const InterpolationOptions &options,
                      FillRow &&fill_row) {
    const int in_rank = static_cast<int>(c.shape.size());
    const int out_rank = output.rank();
    const int last = out_rank - 1;
    const std::ptrdiff_t row_length = output.shape[last];
    if (output.size() == 0) return;
    const std::ptrdiff_t rows = output.size() / row_length;
    const int workers = std::max(options.workers, 1);
    const detail::Interpolator interpolator(c, options);
    bool direct = output.dtype == DType::Float64 && output.strides[last] == static_cast<std::ptrdiff_t>(sizeof(double));
    for (int d = 0; d < out_rank; ++d)
        direct = direct && output.strides[d] % static_cast<std::ptrdiff_t>(alignof(double)) == 0;
    direct = direct && reinterpret_cast<std::uintptr_t>(output.data) % alignof(double) == 0;
    // One cache-line-aligned scratch per worker: no two workers write the same line.
    struct alignas(64) Scratch {
        std::vector<double> coordinates, results;
    };
    std::vector<Scratch> scratch(static_cast<std::size_t>(workers));
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int worker) {
        Scratch &s = scratch[worker];
        s.coordinates.resize(static_cast<std::size_t>(in_rank * row_length));
        s.results.resize(static_cast<std::size_t>(row_length));
        std::ptrdiff_t index[detail::kMaxRank];
        for (std::size_t row = begin; row < end; ++row) {
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), out_offset = 0;
            index[last] = 0;
            for (int d = last - 1; d >= 0; --d) {
                index[d] = rest % output.shape[d];
                rest /= output.shape[d];
                out_offset += index[d] * output.strides[d];
            }
            fill_row(index, row_length, s.coordinates.data());
            char *first = output.data + out_offset;
            if (direct) {   // a float64 row stores the results as they are: evaluate straight into it
                interpolator.evaluate(s.coordinates.data(), row_length, reinterpret_cast<double *>(first));
                continue;
            }
            interpolator.evaluate(s.coordinates.data(), row_length, s.results.data());
            detail::write_line(s.results.data(), row_length, first, output.strides[last], output.dtype,
                               StoreRule::RoundClip);
        }
    }, detail::grain_for(rows, workers));
}

} // namespace

void geometric_transform(const ArrayView &input, const MappingKernel &mapping, const ArrayView &output,
                         const InterpolationOptions &options) {
    detail::check_interpolation(input, output, options, "geometric_transform");
    if (mapping.function == nullptr) throw InvalidArgument("geometric_transform: the mapping is a null function pointer");
    const SplineCoefficients c = spline_coefficients(input, options);
    const int in_rank = input.rank(), out_rank = output.rank();
    interpolate_rows(c, output, options, [&](const std::ptrdiff_t *index, std::ptrdiff_t length, double *coordinates) {
        std::intptr_t out_index[detail::kMaxRank];
        double in_coordinates[detail::kMaxRank];
        for (int d = 0; d < out_rank; ++d) out_index[d] = index[d];
        for (std::ptrdiff_t j = 0; j < length; ++j) {
            out_index[out_rank - 1] = j;
            if (!mapping.function(out_index, in_coordinates, out_rank, in_rank, mapping.user_data)) {
                std::vector<std::ptrdiff_t> where(out_index, out_index + out_rank);
                throw CallbackFailed("geometric_transform: " + mapping.name +
                                     " returned 0 (failure) at output index " + shape_string(where));
            }
            for (int d = 0; d < in_rank; ++d) coordinates[d * length + j] = in_coordinates[d];
        }
    });
}

void map_coordinates(const ArrayView &input, const ArrayView &coordinates, const ArrayView &output,
                     const InterpolationOptions &options) {
    detail::check_interpolation(input, output, options, "map_coordinates");
    const int in_rank = input.rank(), out_rank = output.rank();
    std::vector<std::ptrdiff_t> expected{in_rank};
    expected.insert(expected.end(), output.shape.begin(), output.shape.end());
    if (coordinates.shape != expected)
        throw InvalidArgument("map_coordinates: coordinates have shape " + shape_string(coordinates.shape) +
                              ", expected " + shape_string(expected) + " (input rank, *output shape)");
    const SplineCoefficients c = spline_coefficients(input, options);
    interpolate_rows(c, output, options, [&](const std::ptrdiff_t *index, std::ptrdiff_t length, double *row) {
        std::ptrdiff_t offset = 0;
        for (int d = 0; d < out_rank - 1; ++d) offset += index[d] * coordinates.strides[d + 1];
        for (int h = 0; h < in_rank; ++h)
            detail::read_line(coordinates.data + h * coordinates.strides[0] + offset, coordinates.strides[out_rank],
                              length, coordinates.dtype, row + h * length);
    });
}

void affine_transform(const ArrayView &input, const std::vector<double> &matrix, const std::vector<double> &offset,
                      const ArrayView &output, const InterpolationOptions &options) {
    detail::check_interpolation(input, output, options, "affine_transform");
    const int in_rank = input.rank(), out_rank = output.rank();
    if (matrix.size() != static_cast<std::size_t>(in_rank * out_rank))
        throw InvalidArgument("affine_transform: matrix has " + std::to_string(matrix.size()) + " elements, expected " +
                              std::to_string(in_rank) + " x " + std::to_string(out_rank));
    if (offset.size() != static_cast<std::size_t>(in_rank))
        throw InvalidArgument("affine_transform: offset has " + std::to_string(offset.size()) +
                              " elements, expected " + std::to_string(in_rank));
    const SplineCoefficients c = spline_coefficients(input, options);
    interpolate_rows(c, output, options, [&](const std::ptrdiff_t *index, std::ptrdiff_t length, double *row) {
        for (int h = 0; h < in_rank; ++h) {
            const double *m = matrix.data() + h * out_rank;
            // Sum in scipy's order (offset first, then each axis), so order-0
            // results on exact half-way coordinates round the same way.
            for (std::ptrdiff_t j = 0; j < length; ++j) {
                double x = offset[h];
                for (int l = 0; l < out_rank - 1; ++l) x += static_cast<double>(index[l]) * m[l];
                row[h * length + j] = x + static_cast<double>(j) * m[out_rank - 1];
            }
        }
    });
}

void zoom_shift(const ArrayView &input, const std::vector<double> &zoom, const std::vector<double> &shift,
                bool grid_mode, const ArrayView &output, const InterpolationOptions &options) {
    detail::check_interpolation(input, output, options, "zoom_shift");
    const int rank = input.rank();
    if (output.rank() != rank)
        throw InvalidArgument("output rank " + std::to_string(output.rank()) + " does not match input rank " +
                              std::to_string(rank));
    if (!zoom.empty() && zoom.size() != static_cast<std::size_t>(rank))
        throw InvalidArgument("expected " + std::to_string(rank) + " zoom factors, got " + std::to_string(zoom.size()));
    if (!shift.empty() && shift.size() != static_cast<std::size_t>(rank))
        throw InvalidArgument("expected " + std::to_string(rank) + " shifts, got " + std::to_string(shift.size()));
    const SplineCoefficients c = spline_coefficients(input, options);
    if (output.size() == 0) return;
    // Separable: each axis' samples depend only on that axis' output index.
    std::vector<std::vector<AxisSample>> tables(static_cast<std::size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        tables[d].resize(static_cast<std::size_t>(output.shape[d]));
        for (std::ptrdiff_t k = 0; k < output.shape[d]; ++k) {
            double x = static_cast<double>(k);
            if (!shift.empty()) x += shift[d];
            if (!zoom.empty()) x = grid_mode ? (x + 0.5) * zoom[d] - 0.5 : x * zoom[d];
            detail::locate(x + static_cast<double>(c.pad[d]), c.shape[d], c.strides[d], options.order, options.mode,
                           tables[d][k]);
        }
    }
    const int last = rank - 1;
    const std::ptrdiff_t row_length = output.shape[last];
    const std::ptrdiff_t rows = output.size() / row_length;
    const int workers = std::max(options.workers, 1);
    std::vector<std::vector<double>> results(static_cast<std::size_t>(workers));
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int worker) {
        auto &line = results[worker];
        line.resize(static_cast<std::size_t>(row_length));
        const AxisSample *axes[detail::kMaxRank];
        for (std::size_t row = begin; row < end; ++row) {
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), out_offset = 0;
            for (int d = last - 1; d >= 0; --d) {
                const std::ptrdiff_t i = rest % output.shape[d];
                rest /= output.shape[d];
                axes[d] = &tables[d][i];
                out_offset += i * output.strides[d];
            }
            for (std::ptrdiff_t j = 0; j < row_length; ++j) {
                axes[last] = &tables[last][j];
                line[j] = detail::combine(c.data.data(), axes, rank, options.cval);
            }
            detail::write_line(line.data(), row_length, output.data + out_offset, output.strides[last], output.dtype,
                               StoreRule::RoundClip);
        }
    }, detail::grain_for(rows, workers));
}

void shift(const ArrayView &input, const std::vector<double> &shifts, const ArrayView &output,
           const InterpolationOptions &options) {
    std::vector<double> negated(shifts.size());
    std::transform(shifts.begin(), shifts.end(), negated.begin(), [](double s) { return -s; });
    zoom_shift(input, {}, negated, false, output, options);
}

void zoom(const ArrayView &input, const ArrayView &output, bool grid_mode, const InterpolationOptions &options) {
    detail::check_interpolation(input, output, options, "zoom");
    if (output.rank() != input.rank())
        throw InvalidArgument("zoom: output rank " + std::to_string(output.rank()) + " does not match input rank " +
                              std::to_string(input.rank()));
    std::vector<double> factors(input.shape.size());
    for (std::size_t d = 0; d < factors.size(); ++d) {
        const double numerator = static_cast<double>(input.shape[d] - (grid_mode ? 0 : 1));
        const double divisor = static_cast<double>(output.shape[d] - (grid_mode ? 0 : 1));
        // Zooming an axis onto one sample (or from none) has no finite factor; scipy uses 1.
        factors[d] = divisor != 0 ? numerator / divisor : 1.0;
    }
    zoom_shift(input, factors, {}, grid_mode, output, options);
}

} // namespace nativecall::ndimage
