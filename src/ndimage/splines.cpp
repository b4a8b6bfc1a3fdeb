// B-spline prefilter: gain, causal and anticausal recursions with exact first values for each boundary mode.
#include "nativecall/ndimage/splines.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "line_buffer.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::ndimage {

namespace {

enum class Extension { WholeSample, HalfSample, Periodic };

Extension extension_for(BoundaryMode mode) {
    switch (mode) {
    case BoundaryMode::Reflect:
    case BoundaryMode::GridMirror:
    case BoundaryMode::Nearest:
        return Extension::HalfSample;
    case BoundaryMode::GridWrap:
        return Extension::Periodic;
    default:
        return Extension::WholeSample;
    }
}

/* The filter runs on `lanes` independent signals at once: sample i of lane l
   is c[i * stride + l]. One lane with stride 1 is a plain line; many lanes
   filter a whole block of rows along a leading axis with unit-stride inner
   loops, which keeps the cache and the vector units busy. */
struct Lanes {
    double *c;
    std::ptrdiff_t n, stride, count;
    double *at(std::ptrdiff_t i) const { return c + i * stride; }
};

/* c+[0] = sum_{k>=0} z^k c[-k] for the extended signal, summed over one period
   and divided by (1 - z^period). `sum` is scratch of lanes.count doubles. */
void causal_start(const Lanes &s, double z, Extension ext, double *sum) {
    const std::ptrdiff_t n = s.n, L = s.count;
    double *c0 = s.at(0);
    switch (ext) {
    case Extension::WholeSample: {
        // Period 2n-2: c[0], c[1..n-2] twice (z^k and z^(2n-2-k)), c[n-1] once.
        const double z_n1 = std::pow(z, static_cast<double>(n - 1));
        const double *cl = s.at(n - 1);
        for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] = c0[l] + z_n1 * cl[l];
        double zk = z;
        for (std::ptrdiff_t k = 1; k < n - 1; ++k, zk *= z) {
            const double *ck = s.at(k), *cm = s.at(n - 1 - k);
            for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] += zk * (ck[l] + z_n1 * cm[l]);
        }
        const double scale = 1.0 / (1.0 - z_n1 * z_n1);
        for (std::ptrdiff_t l = 0; l < L; ++l) c0[l] = sum[l] * scale;
        break;
    }
    case Extension::HalfSample: {
        // Period 2n: c[0], c[0], c[1], ..., c[n-1], c[n-1], ..., c[1]. The
        // sum reads c[0] before c[0] is overwritten (scipy <= 1.17 does not).
        const double z_n = std::pow(z, static_cast<double>(n));
        const double *cl = s.at(n - 1);
        for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] = c0[l] + z_n * cl[l];
        double zk = z;
        for (std::ptrdiff_t k = 1; k < n; ++k, zk *= z) {
            const double *ck = s.at(k), *cm = s.at(n - 1 - k);
            for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] += zk * (ck[l] + z_n * cm[l]);
        }
        const double scale = z / (1.0 - z_n * z_n);
        for (std::ptrdiff_t l = 0; l < L; ++l) c0[l] += sum[l] * scale;
        break;
    }
    case Extension::Periodic: {
        // Period n: c[0], c[n-1], c[n-2], ..., c[1].
        for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] = c0[l];
        double zk = z;
        for (std::ptrdiff_t k = 1; k < n; ++k, zk *= z) {
            const double *ck = s.at(n - k);
            for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] += zk * ck[l];
        }
        const double scale = 1.0 / (1.0 - zk);   // zk == z^n here
        for (std::ptrdiff_t l = 0; l < L; ++l) c0[l] = sum[l] * scale;
        break;
    }
    }
}

/* c-[n-1] from the causal output, for the same extension. */
void anticausal_start(const Lanes &s, double z, Extension ext, double *sum) {
    const std::ptrdiff_t n = s.n, L = s.count;
    double *cl = s.at(n - 1);
    switch (ext) {
    case Extension::WholeSample: {
        const double *cp = s.at(n - 2);
        const double scale = z / (z * z - 1.0);
        for (std::ptrdiff_t l = 0; l < L; ++l) cl[l] = scale * (z * cp[l] + cl[l]);
        break;
    }
    case Extension::HalfSample: {
        const double scale = z / (z - 1.0);
        for (std::ptrdiff_t l = 0; l < L; ++l) cl[l] *= scale;
        break;
    }
    case Extension::Periodic: {
        for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] = cl[l];
        double zk = z;
        for (std::ptrdiff_t k = 0; k < n - 1; ++k, zk *= z) {
            const double *ck = s.at(k);
            for (std::ptrdiff_t l = 0; l < L; ++l) sum[l] += zk * ck[l];
        }
        const double scale = z / (zk - 1.0);   // zk == z^n here
        for (std::ptrdiff_t l = 0; l < L; ++l) cl[l] = sum[l] * scale;
        break;
    }
    }
}

} // namespace

void check_spline_order(int order) {
    if (order < 0 || order > 5)
        throw InvalidArgument("spline order not supported: " + std::to_string(order) + "; expected 0 to 5");
}

std::vector<double> spline_poles(int order) {
    check_spline_order(order);
    switch (order) {
    case 2: return {std::sqrt(8.0) - 3.0};
    case 3: return {std::sqrt(3.0) - 2.0};
    case 4:
        return {std::sqrt(664.0 - std::sqrt(438976.0)) + std::sqrt(304.0) - 19.0,
                std::sqrt(664.0 + std::sqrt(438976.0)) - std::sqrt(304.0) - 19.0};
    case 5:
        return {std::sqrt(67.5 - std::sqrt(4436.25)) + std::sqrt(26.25) - 6.5,
                std::sqrt(67.5 + std::sqrt(4436.25)) - std::sqrt(26.25) - 6.5};
    default: return {};
    }
}

void spline_filter_lanes(double *data, std::ptrdiff_t length, std::ptrdiff_t stride, std::ptrdiff_t lanes, int order,
                         BoundaryMode mode, double *scratch) {
    const std::vector<double> poles = spline_poles(order);
    if (length < 2 || poles.empty() || lanes < 1) return;
    const Extension ext = extension_for(mode);
    const Lanes s{data, length, stride, lanes};
    double gain = 1.0;
    for (double z : poles) gain *= (1.0 - z) * (1.0 - 1.0 / z);
    for (std::ptrdiff_t i = 0; i < length; ++i) {
        double *ci = s.at(i);
        for (std::ptrdiff_t l = 0; l < lanes; ++l) ci[l] *= gain;
    }
    for (double z : poles) {
        causal_start(s, z, ext, scratch);
        for (std::ptrdiff_t i = 1; i < length; ++i) {
            double *ci = s.at(i);
            const double *cp = s.at(i - 1);
            for (std::ptrdiff_t l = 0; l < lanes; ++l) ci[l] += z * cp[l];
        }
        anticausal_start(s, z, ext, scratch);
        for (std::ptrdiff_t i = length - 2; i >= 0; --i) {
            double *ci = s.at(i);
            const double *cn = s.at(i + 1);
            for (std::ptrdiff_t l = 0; l < lanes; ++l) ci[l] = z * (cn[l] - ci[l]);
        }
    }
}

void spline_filter_line(double *line, std::ptrdiff_t length, int order, BoundaryMode mode) {
    double scratch;
    spline_filter_lanes(line, length, 1, 1, order, mode, &scratch);
}

void spline_filter1d(const ArrayView &input, int order, int axis, const ArrayView &output, BoundaryMode mode,
                     int workers) {
    check_spline_order(order);
    detail::check_same_shape(output, "output", input, "input");
    const int rank = input.rank();
    if (rank == 0 || input.size() == 0) {
        if (rank == 0) {
            double v;
            detail::read_line(input.data, 0, 1, input.dtype, &v);
            detail::write_line(&v, 1, output.data, 0, output.dtype, StoreRule::Truncate);
        }
        return;
    }
    if (axis < 0 || axis >= rank)
        throw InvalidArgument("spline_filter1d: axis " + std::to_string(axis) + " is out of range for an array with " +
                              std::to_string(rank) + " axes");
    const detail::LineWalker lines(input.shape, axis);
    const std::ptrdiff_t length = lines.length();
    // Lines are filtered in blocks, as lanes: the recursions of different
    // lines are independent, so a block keeps the floating-point units busy
    // where one line would wait on each step. Along a leading axis the lines
    // of a block sit side by side in memory; along the last axis a few rows
    // are read as parallel streams.
    const std::ptrdiff_t block = axis == rank - 1 ? 8 : 64;
    const std::ptrdiff_t blocks = (lines.count() + block - 1) / block;
    struct Scratch {
        std::vector<double> values, sums;
        std::vector<std::ptrdiff_t> in_offsets, out_offsets;
    };
    std::vector<Scratch> scratch(static_cast<std::size_t>(std::max(workers, 1)));
    // Filtering float64 data in place along a leading axis of a C-ordered
    // array: a block's lines already sit side by side as lanes, so they are
    // filtered where they lie, with no copy in or out.
    const bool same_doubles = input.data == output.data && input.strides == output.strides &&
                              input.dtype == DType::Float64 && output.dtype == DType::Float64 &&
                              input.strides[axis] % static_cast<std::ptrdiff_t>(sizeof(double)) == 0;
    const auto lanes_in_place = [&](const std::ptrdiff_t *offsets, std::ptrdiff_t lanes) {
        if (!same_doubles || reinterpret_cast<std::uintptr_t>(input.data + offsets[0]) % alignof(double) != 0)
            return false;
        for (std::ptrdiff_t l = 1; l < lanes; ++l)
            if (offsets[l] != offsets[0] + l * static_cast<std::ptrdiff_t>(sizeof(double))) return false;
        return true;
    };
    parallel_for(static_cast<std::size_t>(blocks), std::max(workers, 1),
                 [&](std::size_t begin, std::size_t end, int worker) {
        Scratch &s = scratch[worker];
        s.values.resize(static_cast<std::size_t>(length * block));
        s.sums.resize(static_cast<std::size_t>(block));
        s.in_offsets.resize(static_cast<std::size_t>(block));
        s.out_offsets.resize(static_cast<std::size_t>(block));
        for (std::size_t b = begin; b < end; ++b) {
            const std::ptrdiff_t first = static_cast<std::ptrdiff_t>(b) * block;
            const std::ptrdiff_t lanes = std::min(block, lines.count() - first);
            for (std::ptrdiff_t l = 0; l < lanes; ++l) {
                s.in_offsets[l] = lines.offset(first + l, input.strides);
                s.out_offsets[l] = lines.offset(first + l, output.strides);
            }
            if (lanes_in_place(s.in_offsets.data(), lanes)) {
                spline_filter_lanes(reinterpret_cast<double *>(input.data + s.in_offsets[0]), length,
                                    input.strides[axis] / static_cast<std::ptrdiff_t>(sizeof(double)), lanes, order,
                                    mode, s.sums.data());
                continue;
            }
            detail::read_lines(input.data, s.in_offsets.data(), lanes, input.strides[axis], length, input.dtype,
                               s.values.data());
            spline_filter_lanes(s.values.data(), length, lanes, lanes, order, mode, s.sums.data());
            detail::write_lines(s.values.data(), output.data, s.out_offsets.data(), lanes, output.strides[axis],
                                length, output.dtype, StoreRule::Truncate);
        }
    }, detail::grain_for(blocks, workers));
}

void spline_filter(const ArrayView &input, int order, const ArrayView &output, BoundaryMode mode, int workers) {
    check_spline_order(order);
    if (order < 2 || input.rank() == 0) {
        spline_filter1d(input, 0, 0, output, mode, workers);   // a converting copy
        return;
    }
    const ArrayView *source = &input;
    for (int axis = 0; axis < input.rank(); ++axis) {
        spline_filter1d(*source, order, axis, output, mode, workers);
        source = &output;
    }
}

} // namespace nativecall::ndimage
