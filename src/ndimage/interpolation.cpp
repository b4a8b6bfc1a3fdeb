// The one interpolation core: locate a coordinate on each axis (boundary mapping, window, B-spline weights) and sum.
#include "interpolation_core.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "line_buffer.h"
#include "nativecall/ndimage/splines.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::ndimage {
namespace detail {

namespace {

/* Maps a real coordinate that lies beyond [0, length-1] back inside, the way
   scipy does for the modes whose extension is a reflection or a period.
   Constant returns -1 (the whole point takes cval); nearest and grid-constant
   leave the coordinate alone: their window indices are extended instead. */
double map_coordinate(double x, std::ptrdiff_t length, BoundaryMode mode) {
    const auto n = static_cast<double>(length);
    // Beyond 2^52 a double has no fractional part left to interpolate; keeping
    // coordinates there makes the integer conversions below well defined.
    constexpr double kLargest = 4503599627370496.0;
    x = std::clamp(x, -kLargest, kLargest);
    if (x < 0) {
        switch (mode) {
        case BoundaryMode::Mirror: {
            if (length <= 1) return 0;
            const double period = 2 * n - 2;
            x += period * static_cast<double>(static_cast<std::ptrdiff_t>(-x / period));
            return x <= 1 - n ? x + period : -x;
        }
        case BoundaryMode::Reflect:
        case BoundaryMode::GridMirror: {
            if (length <= 1) return 0;
            const double period = 2 * n;
            if (x < -period) x += period * static_cast<double>(static_cast<std::ptrdiff_t>(-x / period));
            if (x < -n) return x + period;
            // Reflect about -1/2; keep a tiny negative x from landing on exactly -1.
            return (x > -1e-15 ? 1e-15 : -x) - 1;
        }
        case BoundaryMode::Wrap: {
            // scipy's legacy wrap: period length-1, the first and last samples coincide.
            if (length <= 1) return 0;
            const double period = n - 1;
            return x + period * (static_cast<double>(static_cast<std::ptrdiff_t>(-x / period)) + 1);
        }
        case BoundaryMode::GridWrap:
            if (length <= 1) return 0;
            return x + n * (static_cast<double>(static_cast<std::ptrdiff_t>((-1 - x) / n)) + 1);
        case BoundaryMode::Constant:
            return -1;
        default:
            return x;
        }
    }
    if (x > n - 1) {
        switch (mode) {
        case BoundaryMode::Mirror: {
            if (length <= 1) return 0;
            const double period = 2 * n - 2;
            x -= period * static_cast<double>(static_cast<std::ptrdiff_t>(x / period));
            return x >= n ? period - x : x;
        }
        case BoundaryMode::Reflect:
        case BoundaryMode::GridMirror: {
            if (length <= 1) return 0;
            const double period = 2 * n;
            x -= period * static_cast<double>(static_cast<std::ptrdiff_t>(x / period));
            return x >= n ? period - x - 1 : x;
        }
        case BoundaryMode::Wrap: {
            if (length <= 1) return 0;
            const double period = n - 1;
            return x - period * static_cast<double>(static_cast<std::ptrdiff_t>(x / period));
        }
        case BoundaryMode::GridWrap:
            if (length <= 1) return 0;
            return x - n * static_cast<double>(static_cast<std::ptrdiff_t>(x / n));
        case BoundaryMode::Constant:
            return -1;
        default:
            return x;
        }
    }
    return x;
}

/* How window indices beyond the edge are extended. constant and wrap have no
   exact spline extension of their own; scipy extends their windows (and
   prefilters them) as mirror. */
BoundaryMode window_mode(BoundaryMode mode) {
    if (mode == BoundaryMode::Constant || mode == BoundaryMode::Wrap) return BoundaryMode::Mirror;
    return mode;
}

/* The centred B-spline of `order` at distance y >= 0 from a knot. */
double bspline(int order, double y) {
    switch (order) {
    case 1:
        return y < 1 ? 1 - y : 0;
    case 2:
        if (y < 0.5) return 0.75 - y * y;
        if (y < 1.5) { const double t = 1.5 - y; return 0.5 * t * t; }
        return 0;
    case 3:
        if (y < 1) return (y * y * (y - 2) * 3 + 4) / 6;
        if (y < 2) { const double t = 2 - y; return t * t * t / 6; }
        return 0;
    case 4:
        if (y < 0.5) { const double y2 = y * y; return y2 * (y2 * 0.25 - 0.625) + 115.0 / 192.0; }
        if (y < 1.5) return y * (y * (y * (5.0 / 6.0 - y / 6.0) - 1.25) + 5.0 / 24.0) + 55.0 / 96.0;
        if (y < 2.5) { const double t = (y - 2.5) * (y - 2.5); return t * t / 24; }
        return 0;
    case 5:
        if (y < 1) { const double y2 = y * y; return y2 * (y2 * (0.25 - y / 12) - 0.5) + 0.55; }
        if (y < 2) return y * (y * (y * (y * (y / 24 - 0.375) + 1.25) - 1.75) + 0.625) + 0.425;
        if (y < 3) { const double t = 3 - y, t2 = t * t; return t * t2 * t2 / 120; }
        return 0;
    default:
        return 1;
    }
}

} // namespace

namespace {

/* B-spline weights of the window of Order + 1 samples that starts at `start`
   for coordinate x. Integer outputs round these sums, so the arithmetic stays
   exactly as written (divisions included): a last-bit change would flip a
   value sitting on a rounding boundary. Other orders than 0, 1 and 3 evaluate
   the centred B-spline at each distance, a loop unrolled for a fixed order. */
template <int Order> inline void window_weights(double x, std::ptrdiff_t start, double *weight) {
    if constexpr (Order == 0) {
        weight[0] = 1.0;
    } else if constexpr (Order == 1) {
        const double t = x - static_cast<double>(start);
        weight[0] = 1.0 - t;
        weight[1] = t;
    } else if constexpr (Order == 3) {
        // x lies in [start+1, start+2): distances 1+t, t, 1-t, 2-t. The four
        // quotients go two by two through vector divisions (same IEEE
        // results per lane), halving the cost of the slowest instruction here.
        using Pair = double __attribute__((vector_size(16)));
        const double t = x - static_cast<double>(start + 1), u = 1.0 - t;
        const Pair six = {6.0, 6.0};
        const Pair outer = Pair{u * u * u, t * t * t} / six;
        const Pair inner = Pair{t * t * (t - 2.0) * 3.0 + 4.0, u * u * (u - 2.0) * 3.0 + 4.0} / six;
        weight[0] = outer[0];
        weight[1] = inner[0];
        weight[2] = inner[1];
        weight[3] = outer[1];
    } else {
        for (int k = 0; k <= Order; ++k) weight[k] = bspline(Order, std::fabs(x - static_cast<double>(start + k)));
    }
}

/* Calls f(std::integral_constant<int, order>{}): one template body per spline order. */
template <class F> decltype(auto) visit_order(int order, F &&f) {
    switch (order) {
    case 0: return f(std::integral_constant<int, 0>{});
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    default: return f(std::integral_constant<int, 5>{});
    }
}

/* B-spline weights of the window that starts at `start` for coordinate x. */
void spline_weights(int order, double x, std::ptrdiff_t start, double *weight) {
    visit_order(order, [&](auto o) { window_weights<decltype(o)::value>(x, start, weight); });
}

/* Where a coordinate's whole window lies inside an axis of `length`
   coefficients, so that no boundary mode applies: [lo, hi). locate maps a
   coordinate in [0, length-1] to itself, and the window of x starts at
   floor(x) - Order/2 (odd orders) or floor(x + 1/2) - Order/2 (even), which
   must be >= 0 and end before `length`. Empty for short axes. */
template <int Order> struct InsideRange {
    double lo, hi;
    explicit InsideRange(std::ptrdiff_t length) {
        const auto n = static_cast<double>(length);
        if constexpr (Order % 2 == 1) {
            lo = Order / 2;
            hi = n - (Order + 1) / 2;
        } else {
            lo = std::max(0.0, Order / 2 - 0.5);
            hi = std::min(n - 1.0, n - Order / 2 - 0.5);
        }
    }
    bool contains(double x) const { return x >= lo && x < hi; }   // false for NaN
    /* The window start for a coordinate inside: x >= 0, so truncation is floor. */
    static std::ptrdiff_t start(double x) {
        if constexpr (Order % 2 == 1) return static_cast<std::ptrdiff_t>(x) - Order / 2;
        else return static_cast<std::ptrdiff_t>(x + 0.5) - Order / 2;
    }
};

/* Sum over the window, axis by axis: sum_k w_d[k] * (the same over the next axes). */
double combine_axes(const double *base, const AxisSample *const *samples, int axis, int rank) {
    const AxisSample &s = *samples[axis];
    double total = 0.0;
    if (axis == rank - 1) {
        for (int k = 0; k < s.width; ++k) total += s.weight[k] * base[s.offset[k]];
    } else {
        for (int k = 0; k < s.width; ++k)
            total += s.weight[k] * combine_axes(base + s.offset[k], samples, axis + 1, rank);
    }
    return total;
}

/* combine_axes for a window reaching past a grid-constant edge: an element
   outside on axis d reads cval on every later axis too, so its whole block
   sums to cval * rest[d + 1], where rest[d] is the product of the weight sums
   of axes d.. (rest[rank] = 1). The cost is then the product of the inside
   widths, never (order+1)^rank. */
double combine_axes_beyond(const double *base, const AxisSample *const *samples, int axis, int rank, double cval,
                           const double *rest) {
    const AxisSample &s = *samples[axis];
    double total = 0.0;
    for (int k = 0; k < s.width; ++k) {
        double value;
        if (s.offset[k] == kOutsideOffset) value = cval * rest[axis + 1];
        else if (axis == rank - 1) value = base[s.offset[k]];
        else value = combine_axes_beyond(base + s.offset[k], samples, axis + 1, rank, cval, rest);
        total += s.weight[k] * value;
    }
    return total;
}

/* Merges a window whose elements all read one coefficient into one element.
   B-spline weights sum to 1 (a partition of unity), so its weight is exactly
   1: a length-1 axis then leaves the value as it is, with no rounding per axis. */
void merge_repeated(AxisSample &sample) {
    for (int k = 1; k < sample.width; ++k)
        if (sample.offset[k] != sample.offset[0]) return;
    sample.weight[0] = 1.0;
    sample.width = 1;
}

} // namespace

void locate(double coordinate, std::ptrdiff_t length, std::ptrdiff_t stride, int order, BoundaryMode mode,
            AxisSample &sample) {
    double x = map_coordinate(coordinate, length, mode);
    if (mode == BoundaryMode::Nearest || mode == BoundaryMode::GridConstant) {
        // Farther out every window element is extended the same way.
        const auto reach = static_cast<double>(order + 2);
        x = std::clamp(x, -reach, static_cast<double>(length) + reach);
    }
    // Only constant mode maps a coordinate to -1 on purpose; nearest and
    // grid-constant coordinates stay where they are and extend their windows.
    sample.outside = !(x > -1.0) && mode != BoundaryMode::Nearest && mode != BoundaryMode::GridConstant;
    sample.beyond_grid = false;
    sample.width = order + 1;
    if (sample.outside) return;
    if (std::isnan(x)) {
        // Only nearest and grid-constant get here with NaN: scipy returns NaN.
        for (int k = 0; k <= order; ++k) {
            sample.offset[k] = 0;
            sample.weight[k] = x;
        }
        return;
    }
    const std::ptrdiff_t start = (order & 1) ? static_cast<std::ptrdiff_t>(std::floor(x)) - order / 2
                                             : static_cast<std::ptrdiff_t>(std::floor(x + 0.5)) - order / 2;
    if (start < 0 || start + order >= length) {
        const BoundaryMode extend = window_mode(mode);
        for (int k = 0; k <= order; ++k) {
            const std::ptrdiff_t index = extend_index(start + k, length, extend);
            if (index == kOutside) sample.beyond_grid = true;
            sample.offset[k] = index == kOutside ? kOutsideOffset : index * stride;
        }
    } else {
        for (int k = 0; k <= order; ++k) sample.offset[k] = (start + k) * stride;
    }
    spline_weights(order, x, start, sample.weight);
    if (length == 1 && !sample.beyond_grid) merge_repeated(sample);
}

double combine(const double *data, const AxisSample *const *samples, int rank, double cval) {
    bool beyond_grid = false;
    for (int d = 0; d < rank; ++d) {
        if (samples[d]->outside) return cval;
        beyond_grid = beyond_grid || samples[d]->beyond_grid;
    }
    // A grid-constant window reaching past the edge: those elements are cval.
    if (beyond_grid) {
        double rest[kMaxRank + 1];
        rest[rank] = 1.0;
        for (int d = rank - 1; d >= 0; --d) {
            double sum = 0.0;
            for (int k = 0; k < samples[d]->width; ++k) sum += samples[d]->weight[k];
            rest[d] = sum * rest[d + 1];
        }
        return combine_axes_beyond(data, samples, 0, rank, cval, rest);
    }
    if (rank == 2) {
        // Images are the common case: both loops inline, no recursion.
        const AxisSample &rows = *samples[0], &cols = *samples[1];
        double total = 0.0;
        for (int i = 0; i < rows.width; ++i) {
            const double *row = data + rows.offset[i];
            double partial = 0.0;
            for (int j = 0; j < cols.width; ++j) partial += cols.weight[j] * row[cols.offset[j]];
            total += rows.weight[i] * partial;
        }
        return total;
    }
    return combine_axes(data, samples, 0, rank);
}

Interpolator::Interpolator(const SplineCoefficients &coefficients, const InterpolationOptions &options)
    : c_(coefficients), options_(options), rank_(static_cast<int>(coefficients.shape.size())) {
    inside_lo_.resize(rank_);
    inside_hi_.resize(rank_);
    visit_order(options.order, [&](auto o) {
        for (int d = 0; d < rank_; ++d) {
            const InsideRange<decltype(o)::value> range(c_.shape[d]);
            inside_lo_[d] = range.lo;
            inside_hi_[d] = range.hi;
        }
    });
}

double Interpolator::evaluate_at_edge(const double *coordinates, std::ptrdiff_t count, std::ptrdiff_t j,
                                      AxisSample *samples) const {
    const AxisSample *axes[kMaxRank];
    for (int d = 0; d < rank_; ++d) {
        locate(coordinates[d * count + j] + static_cast<double>(c_.pad[d]), c_.shape[d], c_.strides[d],
               options_.order, options_.mode, samples[d]);
        axes[d] = &samples[d];
    }
    return combine(c_.data.data(), axes, rank_, options_.cval);
}

template <int Order>
void Interpolator::evaluate_2d(const double *coordinates, std::ptrdiff_t count, double *results) const {
    constexpr int width = Order + 1;
    const double lo0 = inside_lo_[0], hi0 = inside_hi_[0], lo1 = inside_lo_[1], hi1 = inside_hi_[1];
    const auto pad0 = static_cast<double>(c_.pad[0]), pad1 = static_cast<double>(c_.pad[1]);
    const std::ptrdiff_t stride = c_.strides[0];   // the coefficients are C-contiguous: the last stride is 1
    const double *data = c_.data.data();
    const double *rows = coordinates, *cols = coordinates + count;
    AxisSample samples[2];
    // The weights depend only on x - start (exactly representable: a
    // difference of at most Order + 1 between a double and an integer below
    // 2^52), so they are kept while that offset repeats, as it does along a
    // row of a shift, of an axis-aligned affine transform or of a regular grid.
    double w0[width] = {}, w1[width] = {};
    double key0 = std::numeric_limits<double>::quiet_NaN(), key1 = key0;   // NaN: nothing computed yet
    for (std::ptrdiff_t j = 0; j < count; ++j) {
        const double x0 = rows[j] + pad0, x1 = cols[j] + pad1;
        // Non-short-circuit &: both compares are cheap, one branch predicts better than two.
        if (!((x0 >= lo0) & (x0 < hi0) & (x1 >= lo1) & (x1 < hi1))) {
            results[j] = evaluate_at_edge(coordinates, count, j, samples);
            continue;
        }
        const std::ptrdiff_t start0 = InsideRange<Order>::start(x0), start1 = InsideRange<Order>::start(x1);
        const double t0 = x0 - static_cast<double>(start0), t1 = x1 - static_cast<double>(start1);
        if (t0 != key0) {
            window_weights<Order>(x0, start0, w0);
            key0 = t0;
        }
        if (t1 != key1) {
            window_weights<Order>(x1, start1, w1);
            key1 = t1;
        }
        // As combine sums a 2-D window: each row's weighted sum, then the rows.
        const double *row = data + start0 * stride + start1;
        double total = 0.0;
        for (int i = 0; i < width; ++i, row += stride) {
            double partial = 0.0;
            for (int k = 0; k < width; ++k) partial += w1[k] * row[k];
            total += w0[i] * partial;
        }
        results[j] = total;
    }
}

template <int Order>
void Interpolator::evaluate_nd(const double *coordinates, std::ptrdiff_t count, double *results) const {
    AxisSample samples[kMaxRank];
    const AxisSample *axes[kMaxRank];
    for (int d = 0; d < rank_; ++d) axes[d] = &samples[d];
    for (std::ptrdiff_t j = 0; j < count; ++j) {
        bool inside = true;
        for (int d = 0; d < rank_; ++d) {
            const double x = coordinates[d * count + j] + static_cast<double>(c_.pad[d]);
            inside = x >= inside_lo_[d] && x < inside_hi_[d];
            if (!inside) break;
            // The window locate would build, without its boundary mapping.
            AxisSample &s = samples[d];
            const std::ptrdiff_t start = InsideRange<Order>::start(x);
            s.outside = s.beyond_grid = false;
            s.width = Order + 1;
            for (int k = 0; k <= Order; ++k) s.offset[k] = (start + k) * c_.strides[d];
            window_weights<Order>(x, start, s.weight);
        }
        results[j] = inside ? combine(c_.data.data(), axes, rank_, options_.cval)
                            : evaluate_at_edge(coordinates, count, j, samples);
    }
}

void Interpolator::evaluate(const double *coordinates, std::ptrdiff_t count, double *results) const {
    visit_order(options_.order, [&](auto o) {
        constexpr int order = decltype(o)::value;
        if (rank_ == 2) evaluate_2d<order>(coordinates, count, results);
        else evaluate_nd<order>(coordinates, count, results);
    });
}

void check_interpolation(const ArrayView &input, const ArrayView &output, const InterpolationOptions &options,
                         const char *routine) {
    check_spline_order(options.order);
    if (input.rank() < 1 || output.rank() < 1)
        throw InvalidArgument(std::string(routine) + ": input and output rank must be > 0");
    if (input.rank() > kMaxRank || output.rank() > kMaxRank)
        throw InvalidArgument(std::string(routine) + ": input has " + std::to_string(input.rank()) +
                              " axes and output " + std::to_string(output.rank()) + "; at most " +
                              std::to_string(kMaxRank) + " are supported");
}

} // namespace detail

SplineCoefficients spline_coefficients(const ArrayView &input, const InterpolationOptions &options) {
    check_spline_order(options.order);
    const int rank = input.rank();
    const bool filter = options.prefilter && options.order > 1;
    SplineCoefficients c;
    const bool padded = filter && (options.mode == BoundaryMode::Nearest || options.mode == BoundaryMode::GridConstant);
    c.shape.resize(rank);
    c.strides.resize(rank);
    c.pad.assign(rank, 0);
    std::ptrdiff_t total = 1;
    for (int d = rank - 1; d >= 0; --d) {
        if (padded && !(options.mode == BoundaryMode::Nearest && input.shape[d] == 1)) c.pad[d] = 12;
        c.shape[d] = input.shape[d] + 2 * c.pad[d];
        c.strides[d] = total;
        // Padding multiplies the size by up to 25 per axis: refuse what no vector can hold, before it wraps.
        if (c.shape[d] != 0 && total > std::numeric_limits<std::ptrdiff_t>::max() / 8 / c.shape[d])
            throw InvalidArgument("the spline coefficients of input shape " + detail::shape_string(input.shape) +
                                  (c.pad[d] ? " padded by 12 samples per side for mode '" +
                                                  std::string(boundary_mode_name(options.mode)) + "'"
                                            : std::string()) +
                                  " would not fit in memory");
        total *= c.shape[d];
    }
    c.data.resize(static_cast<std::size_t>(total));   // every element is written below
    if (total == 0) return c;
    const int workers = std::max(options.workers, 1);
    std::vector<std::ptrdiff_t> byte_strides(rank);
    for (int d = 0; d < rank; ++d) byte_strides[d] = c.strides[d] * static_cast<std::ptrdiff_t>(sizeof(double));
    const ArrayView view{reinterpret_cast<char *>(c.data.data()), c.shape, byte_strides, DType::Float64};
    if (filter && std::all_of(c.pad.begin(), c.pad.end(), [](std::ptrdiff_t p) { return p == 0; })) {
        // Unpadded: the first filter pass reads (and converts) the input
        // itself, saving a pass over the whole array.
        for (int axis = 0; axis < rank; ++axis)
            spline_filter1d(axis == 0 ? input : view, options.order, axis, view, options.mode, workers);
        return c;
    }
    // Copy (and pad, through the one boundary routine) row by row.
    const int last = rank - 1;
    const std::ptrdiff_t row_length = c.shape[last];
    const std::ptrdiff_t rows = total / row_length;
    const BoundaryMode pad_mode = options.mode == BoundaryMode::Nearest ? BoundaryMode::Nearest : BoundaryMode::Constant;
    // scipy pads with numpy (np.pad on the input), so the padded cval is
    // first converted as numpy assigns it to the input's type: 0.7 pads a
    // uint8 input with 0, a bool input with True, a float32 one with float32(0.7).
    const double pad_cval = visit_dtype(input.dtype, [&](auto tag) -> double {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) return options.cval != 0.0 ? 1.0 : 0.0;
        else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(options.cval);
        else return static_cast<double>(store_value<T>(options.cval, StoreRule::Truncate));
    });
    parallel_for(static_cast<std::size_t>(rows), workers, [&](std::size_t begin, std::size_t end, int) {
        for (std::size_t row = begin; row < end; ++row) {
            double *line = c.data.data() + row * row_length;
            std::ptrdiff_t rest = static_cast<std::ptrdiff_t>(row), offset = 0;
            bool outside = false;
            for (int d = last - 1; d >= 0; --d) {
                const std::ptrdiff_t p = rest % c.shape[d];
                rest /= c.shape[d];
                const std::ptrdiff_t source = extend_index(p - c.pad[d], input.shape[d], pad_mode);
                if (source == kOutside) outside = true;
                else offset += source * input.strides[d];
            }
            if (outside) {
                std::fill(line, line + row_length, pad_cval);
                continue;
            }
            detail::read_line(input.data + offset, input.strides[last], input.shape[last], input.dtype,
                              line + c.pad[last]);
            extend_line(line, input.shape[last], c.pad[last], c.pad[last], pad_mode, pad_cval);
        }
    }, detail::grain_for(rows, workers));
    if (filter)
        for (int axis = 0; axis < rank; ++axis) spline_filter1d(view, options.order, axis, view, options.mode, workers);
    return c;
}

} // namespace nativecall::ndimage
