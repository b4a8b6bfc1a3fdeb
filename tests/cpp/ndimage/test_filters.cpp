// generic_filter and generic_filter1d from C++: lambdas and C function pointers, brute-force oracle, threads, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/ndimage/filters.h"

using namespace nativecall::ndimage;

namespace {

std::vector<double> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-10, 10);
    std::vector<double> v(n);
    for (auto &x : v) x = u(rng);
    return v;
}

/* The nbmin kernel of the numba example, as a plain C function. */
int minimum(double *values, std::intptr_t n, double *result, void *) {
    *result = *std::min_element(values, values + n);
    return 1;
}

/* Direct 2-d reference: footprint placed at (i, j), out-of-range through
   extend_index, the taken values in C order handed to `reduce`. */
template <class Reduce>
std::vector<double> reference_filter(const std::vector<double> &in, std::ptrdiff_t rows, std::ptrdiff_t cols,
                                     const Footprint &fp, std::vector<std::ptrdiff_t> origin, BoundaryMode mode,
                                     double cval, Reduce reduce) {
    std::vector<double> out(in.size()), values;
    BoundaryMode m = filter_mode(mode);
    for (std::ptrdiff_t i = 0; i < rows; ++i)
        for (std::ptrdiff_t j = 0; j < cols; ++j) {
            values.clear();
            for (std::ptrdiff_t a = 0; a < fp.shape[0]; ++a)
                for (std::ptrdiff_t b = 0; b < fp.shape[1]; ++b) {
                    if (!fp.mask[a * fp.shape[1] + b]) continue;
                    auto r = extend_index(i + a - (fp.shape[0] / 2 + origin[0]), rows, m);
                    auto c = extend_index(j + b - (fp.shape[1] / 2 + origin[1]), cols, m);
                    values.push_back((r == kOutside || c == kOutside) ? cval : in[r * cols + c]);
                }
            out[i * cols + j] = reduce(values);
        }
    return out;
}

std::vector<double> reference_min(const std::vector<double> &in, std::ptrdiff_t rows, std::ptrdiff_t cols,
                                  const Footprint &fp, std::vector<std::ptrdiff_t> origin, BoundaryMode mode,
                                  double cval) {
    return reference_filter(in, rows, cols, fp, std::move(origin), mode, cval, [](const std::vector<double> &v) {
        return v.empty() ? INFINITY : *std::min_element(v.begin(), v.end());
    });
}

/* Position-weighted sum: a value out of place or out of order shows. */
double weighted_sum(const double *v, std::intptr_t n) {
    double s = 0;
    for (std::intptr_t i = 0; i < n; ++i) s += v[i] * static_cast<double>(i + 1);
    return s;
}

} // namespace

class GenericFilterModes : public ::testing::TestWithParam<BoundaryMode> {};

TEST_P(GenericFilterModes, MatchesDirectReferenceWithAsymmetricFootprintAndOrigin) {
    const std::ptrdiff_t rows = 5, cols = 2;   // an axis shorter than the footprint
    auto in = random_values(rows * cols, 1);
    Footprint fp{{3, 4}, {0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1}};
    std::vector<std::ptrdiff_t> origin{-1, 1};
    std::vector<double> out(in.size());
    FilterKernel k{&minimum, nullptr, "minimum", true};
    generic_filter(view_of(in.data(), {rows, cols}), k, fp, view_of(out.data(), {rows, cols}), GetParam(), 2.5, origin,
                   1);
    EXPECT_EQ(out, reference_min(in, rows, cols, fp, origin, GetParam(), 2.5));
}

INSTANTIATE_TEST_SUITE_P(AllModes, GenericFilterModes,
                         ::testing::Values(BoundaryMode::Reflect, BoundaryMode::Constant, BoundaryMode::Nearest,
                                           BoundaryMode::Mirror, BoundaryMode::Wrap, BoundaryMode::GridConstant,
                                           BoundaryMode::GridMirror, BoundaryMode::GridWrap));

TEST(GenericFilter, LambdaKernelAndWorkerCountsAgree) {
    const std::ptrdiff_t rows = 37, cols = 23;
    auto in = random_values(rows * cols, 2);
    Footprint fp{{3, 3}, {0, 1, 0, 1, 1, 0, 0, 1, 0}};
    auto sum = [](double *v, std::intptr_t n, double *r) {
        double s = 0;
        for (std::intptr_t i = 0; i < n; ++i) s += v[i] * (i + 1);
        *r = s;
        return true;
    };
    std::vector<double> one(in.size()), two(in.size());
    generic_filter(view_of(in.data(), {rows, cols}), filter_kernel(sum), fp, view_of(one.data(), {rows, cols}),
                   BoundaryMode::Reflect, 0, {0, 0}, 1);
    generic_filter(view_of(in.data(), {rows, cols}), filter_kernel(sum), fp, view_of(two.data(), {rows, cols}),
                   BoundaryMode::Reflect, 0, {0, 0}, 2);
    EXPECT_EQ(one, two);
}

/* Rows longer than one block of gathered neighbourhoods (2048 doubles), with
   lengths that leave partial blocks and partial groups of four; the kernel
   overwrites its buffer after reading it, which must not reach any other pixel. */
TEST(GenericFilter, LongRowsSpanSeveralBlocksAndEachPixelOwnsItsBuffer) {
    struct Case {
        std::ptrdiff_t rows, cols;
        Footprint fp;
        std::vector<std::ptrdiff_t> origin;
    };
    const std::vector<Case> cases = {
        {5, 1234, {{3, 3}, {0, 1, 0, 1, 1, 0, 0, 1, 0}}, {0, 0}},           // 409 pixels a block
        {3, 2051, {{1, 1}, {1}}, {0, 0}},                                  // one value each: 2048 a block
        {4, 37, {{2, 1100}, std::vector<std::uint8_t>(2200, 1)}, {0, 3}},   // more values than a block holds
    };
    auto scribble = [](double *v, std::intptr_t n, double *r) {
        *r = weighted_sum(v, n);
        std::fill(v, v + n, NAN);
        return true;
    };
    for (const Case &c : cases) {
        auto in = random_values(static_cast<std::size_t>(c.rows * c.cols), 7);
        const auto expected = reference_filter(in, c.rows, c.cols, c.fp, c.origin, BoundaryMode::Mirror, 0.0,
                                               [](const std::vector<double> &v) {
                                                   return weighted_sum(v.data(), static_cast<std::intptr_t>(v.size()));
                                               });
        for (int workers : {1, 2}) {
            std::vector<double> out(in.size());
            generic_filter(view_of(in.data(), {c.rows, c.cols}), filter_kernel(scribble), c.fp,
                           view_of(out.data(), {c.rows, c.cols}), BoundaryMode::Mirror, 0.0, c.origin, workers);
            EXPECT_EQ(out, expected) << c.rows << "x" << c.cols << ", " << workers << " workers";
        }
    }
}

/* float64 output with unit stride receives the results in place; float32,
   strided and reversed outputs through a converted row. All agree. */
TEST(GenericFilter, EveryOutputLayoutGetsTheSameResults) {
    const std::ptrdiff_t rows = 6, cols = 9;
    auto in = random_values(rows * cols, 8);
    Footprint fp{{3, 2}, {1, 0, 1, 1, 0, 1}};
    auto sum = [](double *v, std::intptr_t n, double *r) {
        *r = weighted_sum(v, n);
        return true;
    };
    const auto expected = reference_filter(in, rows, cols, fp, {0, 0}, BoundaryMode::Wrap, 0.0,
                                           [](const std::vector<double> &v) {
                                               return weighted_sum(v.data(), static_cast<std::intptr_t>(v.size()));
                                           });
    auto run = [&](ArrayView out) {
        generic_filter(view_of(in.data(), {rows, cols}), filter_kernel(sum), fp, out, BoundaryMode::Wrap, 0.0, {0, 0},
                       2);
    };
    std::vector<double> contiguous(in.size());
    run(view_of(contiguous.data(), {rows, cols}));
    EXPECT_EQ(contiguous, expected);

    std::vector<double> wide(in.size() * 2);   // every other column, last row first
    ArrayView strided = view_of(wide.data(), {rows, cols});
    strided.strides = {-2 * cols * static_cast<std::ptrdiff_t>(sizeof(double)), 2 * sizeof(double)};
    strided.data += (rows - 1) * 2 * cols * sizeof(double);
    run(strided);
    for (std::ptrdiff_t i = 0; i < rows; ++i)
        for (std::ptrdiff_t j = 0; j < cols; ++j)
            EXPECT_EQ(wide[((rows - 1 - i) * cols + j) * 2], expected[i * cols + j]);

    std::vector<float> narrow(in.size());
    run(view_of(narrow.data(), {rows, cols}));
    for (std::size_t k = 0; k < in.size(); ++k) EXPECT_EQ(narrow[k], static_cast<float>(expected[k]));
}

TEST(GenericFilter, FailureNamesThePixelInALaterBlock) {
    const std::ptrdiff_t rows = 3, cols = 2500;
    std::vector<double> in(rows * cols, 1.0), out(in.size());
    in[2 * cols + 2345] = -1.0;
    FilterKernel k{[](double *v, std::intptr_t, double *r, void *) { return *r = v[0], v[0] >= 0 ? 1 : 0; },
                   nullptr, "callback 'positive'", true};
    try {
        generic_filter(view_of(in.data(), {rows, cols}), k, Footprint{{1, 1}, {1}}, view_of(out.data(), {rows, cols}),
                       BoundaryMode::Reflect, 0, {0, 0}, 2);
        FAIL();
    } catch (const nativecall::CallbackFailed &e) {
        EXPECT_NE(std::string(e.what()).find("at output index (2, 2345)"), std::string::npos) << e.what();
    }
}

TEST(GenericFilter, IntegerOutputTruncatesLikeACast) {
    std::vector<double> in{1.7, -1.7, 2.5};
    std::vector<std::int16_t> out(3);
    auto identity = [](double *v, std::intptr_t, double *r) { *r = v[0]; return true; };
    generic_filter(view_of(in.data(), {3}), filter_kernel(identity), Footprint{{1}, {1}}, view_of(out.data(), {3}),
                   BoundaryMode::Reflect, 0, {0}, 1);
    EXPECT_EQ(out, (std::vector<std::int16_t>{1, -1, 2}));
}

TEST(GenericFilter, FailingKernelThrowsCallbackFailedNamingIt) {
    std::vector<double> in(12, 1.0), out(12);
    FilterKernel k{[](double *, std::intptr_t, double *, void *) { return 0; }, nullptr, "callback 'nope'", true};
    try {
        generic_filter(view_of(in.data(), {3, 4}), k, Footprint{{1, 1}, {1}}, view_of(out.data(), {3, 4}),
                       BoundaryMode::Reflect, 0, {0, 0}, 2);
        FAIL();
    } catch (const nativecall::CallbackFailed &e) {
        EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos);
    }
}

TEST(GenericFilter, RejectsInvalidOriginAndFootprint) {
    std::vector<double> in(12, 1.0), out(12);
    FilterKernel k{&minimum, nullptr, "minimum", true};
    EXPECT_THROW(generic_filter(view_of(in.data(), {3, 4}), k, Footprint{{3, 3}, std::vector<std::uint8_t>(9, 1)},
                                view_of(out.data(), {3, 4}), BoundaryMode::Reflect, 0, {2, 0}, 1),
                 nativecall::InvalidArgument);
    EXPECT_THROW(generic_filter(view_of(in.data(), {3, 4}), k, Footprint{{3}, std::vector<std::uint8_t>(3, 1)},
                                view_of(out.data(), {3, 4}), BoundaryMode::Reflect, 0, {0}, 1),
                 nativecall::InvalidArgument);
}

TEST(GenericFilter1D, MovingSumOverStridedAxis) {
    const std::ptrdiff_t rows = 6, cols = 4;
    auto in = random_values(rows * cols, 3);
    std::vector<double> out(in.size());
    auto moving_sum = [](double *line, std::intptr_t in_length, double *result, std::intptr_t out_length) {
        const std::intptr_t width = in_length - out_length + 1;
        for (std::intptr_t i = 0; i < out_length; ++i) {
            result[i] = 0;
            for (std::intptr_t k = 0; k < width; ++k) result[i] += line[i + k];
        }
        return true;
    };
    generic_filter1d(view_of(in.data(), {rows, cols}), filter1d_kernel(moving_sum), 3, 0,
                     view_of(out.data(), {rows, cols}), BoundaryMode::Nearest, 0, 1, 2);
    for (std::ptrdiff_t i = 0; i < rows; ++i)
        for (std::ptrdiff_t j = 0; j < cols; ++j) {
            double expected = 0;
            for (std::ptrdiff_t k = 0; k < 3; ++k) {
                auto r = extend_index(i + k - (3 / 2 + 1), rows, BoundaryMode::Nearest);
                expected += in[r * cols + j];
            }
            EXPECT_DOUBLE_EQ(out[i * cols + j], expected);
        }
}

/* scipy stores filter results with a plain C cast; where C leaves it undefined
   the x86-64 instruction decides, and so do we: low bits for narrow types,
   the type's minimum ("integer indefinite") for NaN and overflow of 32/64 bits. */
TEST(StoreValue, TruncateIsTheCompiledCast) {
    EXPECT_EQ(store_value<std::uint8_t>(300.7, StoreRule::Truncate), 44);
    EXPECT_EQ(store_value<std::uint8_t>(-300.7, StoreRule::Truncate), 212);
    EXPECT_EQ(store_value<std::int8_t>(200.0, StoreRule::Truncate), -56);
    EXPECT_EQ(store_value<std::int32_t>(3e9, StoreRule::Truncate), INT32_MIN);
    EXPECT_EQ(store_value<std::int32_t>(NAN, StoreRule::Truncate), INT32_MIN);
    EXPECT_EQ(store_value<std::uint8_t>(1e19, StoreRule::Truncate), 0);
    EXPECT_EQ(store_value<std::int64_t>(1e19, StoreRule::Truncate), INT64_MIN);
    EXPECT_EQ(store_value<std::uint64_t>(1e19, StoreRule::Truncate), 10000000000000000000ULL);
    EXPECT_EQ(store_value<std::uint64_t>(INFINITY, StoreRule::Truncate), 0u);
    EXPECT_FALSE(store_value<bool>(0.5, StoreRule::Truncate));
    EXPECT_FALSE(store_value<bool>(256.0, StoreRule::RoundClip));
    EXPECT_TRUE(store_value<bool>(-300.0, StoreRule::Truncate));
}

TEST(StoreValue, RoundClipRoundsHalfAwayAndClipsAsScipyCompares) {
    EXPECT_EQ(store_value<std::uint8_t>(300.7, StoreRule::RoundClip), 255);
    EXPECT_EQ(store_value<std::uint8_t>(-3.0, StoreRule::RoundClip), 0);
    EXPECT_EQ(store_value<std::int16_t>(-2.5, StoreRule::RoundClip), -3);
    EXPECT_EQ(store_value<std::int64_t>(1e19, StoreRule::RoundClip), INT64_MAX);
    EXPECT_EQ(store_value<std::int64_t>(9223372036854775808.0, StoreRule::RoundClip), INT64_MIN);   // not > 2^63
    EXPECT_EQ(store_value<std::uint64_t>(2e19, StoreRule::RoundClip), 0u);   // clipped to 2^64 as a double
    EXPECT_EQ(store_value<std::int32_t>(NAN, StoreRule::RoundClip), INT32_MIN);
}

TEST(GenericFilter1D, FilterSizeTooLargeForAnyBufferIsAnError) {
    std::vector<double> in(4, 1.0), out(4);
    auto copy = [](double *, std::intptr_t, double *, std::intptr_t) { return true; };
    EXPECT_THROW(generic_filter1d(view_of(in.data(), {4}), filter1d_kernel(copy), PTRDIFF_MAX / 2, 0,
                                  view_of(out.data(), {4}), BoundaryMode::Reflect, 0.0, 0, 1),
                 nativecall::InvalidArgument);
}
