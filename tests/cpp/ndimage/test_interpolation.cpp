// Spline prefilter and interpolation core: exact reproduction at the samples, integer shifts, threads, mappings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/ndimage/interpolation.h"
#include "interpolation_core.h"
#include "nativecall/ndimage/splines.h"

using namespace nativecall::ndimage;

namespace {
std::vector<double> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-10, 10);
    std::vector<double> v(n);
    for (auto &x : v) x = u(rng);
    return v;
}
const BoundaryMode kAllModes[] = {BoundaryMode::Reflect,      BoundaryMode::Constant,   BoundaryMode::Nearest,
                                  BoundaryMode::Mirror,       BoundaryMode::Wrap,       BoundaryMode::GridConstant,
                                  BoundaryMode::GridMirror,   BoundaryMode::GridWrap};
} // namespace

class SplineOrders : public ::testing::TestWithParam<int> {};

/* An interpolating spline passes through its samples: mapping the identity
   must give the input back, whatever the mode, order and axis lengths. */
TEST_P(SplineOrders, IdentityMappingReproducesTheSamples) {
    const int order = GetParam();
    for (auto mode : kAllModes) {
        for (std::vector<std::ptrdiff_t> shape : {std::vector<std::ptrdiff_t>{7, 5}, {1, 6}, {2, 3}}) {
            auto in = random_values(shape[0] * shape[1], 4);
            std::vector<double> out(in.size());
            auto identity = [](std::intptr_t *o, double *i, int orank, int) {
                for (int d = 0; d < orank; ++d) i[d] = static_cast<double>(o[d]);
                return true;
            };
            InterpolationOptions opt;
            opt.order = order;
            opt.mode = mode;
            geometric_transform(view_of(in.data(), shape), mapping_kernel(identity), view_of(out.data(), shape), opt);
            for (std::size_t i = 0; i < in.size(); ++i)
                EXPECT_NEAR(out[i], in[i], 1e-11) << boundary_mode_name(mode) << " order " << order;
        }
    }
}

TEST_P(SplineOrders, IntegerShiftMovesSamples) {
    const int order = GetParam();
    auto in = random_values(40, 5);
    std::vector<double> out(40);
    InterpolationOptions opt;
    opt.order = order;
    opt.mode = BoundaryMode::GridWrap;
    shift(view_of(in.data(), {8, 5}), {2.0, -1.0}, view_of(out.data(), {8, 5}), opt);
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 5; ++j) EXPECT_NEAR(out[i * 5 + j], in[((i + 6) % 8) * 5 + (j + 1) % 5], 1e-11);
}

INSTANTIATE_TEST_SUITE_P(Orders0To5, SplineOrders, ::testing::Range(0, 6));

TEST(Interpolation, AllTransformsAgreeOnAShift) {
    const std::ptrdiff_t rows = 9, cols = 11;
    auto in = random_values(rows * cols, 6);
    InterpolationOptions opt;
    opt.mode = BoundaryMode::Mirror;
    std::vector<double> by_shift(in.size()), by_affine(in.size()), by_coordinates(in.size()), by_mapping(in.size());
    shift(view_of(in.data(), {rows, cols}), {0.3, -1.25}, view_of(by_shift.data(), {rows, cols}), opt);
    affine_transform(view_of(in.data(), {rows, cols}), {1, 0, 0, 1}, {-0.3, 1.25},
                     view_of(by_affine.data(), {rows, cols}), opt);
    std::vector<double> coordinates(2 * rows * cols);
    for (std::ptrdiff_t i = 0; i < rows; ++i)
        for (std::ptrdiff_t j = 0; j < cols; ++j) {
            coordinates[i * cols + j] = i - 0.3;
            coordinates[rows * cols + i * cols + j] = j + 1.25;
        }
    map_coordinates(view_of(in.data(), {rows, cols}), view_of(coordinates.data(), {2, rows, cols}),
                    view_of(by_coordinates.data(), {rows, cols}), opt);
    auto mapping = [](std::intptr_t *o, double *i, int, int) {
        i[0] = o[0] - 0.3;
        i[1] = o[1] + 1.25;
        return true;
    };
    opt.workers = 2;
    geometric_transform(view_of(in.data(), {rows, cols}), mapping_kernel(mapping),
                        view_of(by_mapping.data(), {rows, cols}), opt);
    for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_NEAR(by_affine[i], by_shift[i], 1e-12);
        EXPECT_NEAR(by_coordinates[i], by_shift[i], 1e-12);
        EXPECT_NEAR(by_mapping[i], by_shift[i], 1e-12);
    }
}

TEST(Interpolation, ConstantModeGivesCvalOutsideAndRoundsIntegers) {
    std::vector<double> in{10, 20, 30};
    std::vector<std::uint8_t> out(3);
    InterpolationOptions opt;
    opt.order = 1;
    opt.cval = 7.6;
    shift(view_of(in.data(), {3}), {0.25}, view_of(out.data(), {3}), opt);
    // cval rounds to 8; 10*0.25 + 20*0.75 = 17.5 rounds half away from zero to 18.
    EXPECT_EQ(out, (std::vector<std::uint8_t>{8, 18, 28}));
}

TEST(Interpolation, FailingMappingThrowsCallbackFailed) {
    std::vector<double> in(6, 1.0), out(6);
    auto fail = [](std::intptr_t *, double *, int, int) { return false; };
    EXPECT_THROW(geometric_transform(view_of(in.data(), {2, 3}), mapping_kernel(fail), view_of(out.data(), {2, 3}), {}),
                 nativecall::CallbackFailed);
}

TEST(Interpolation, RejectsBadOrder) {
    std::vector<double> in(6, 1.0), out(6);
    InterpolationOptions opt;
    opt.order = 6;
    EXPECT_THROW(shift(view_of(in.data(), {6}), {1.0}, view_of(out.data(), {6}), opt), nativecall::InvalidArgument);
}

TEST(SplineFilter, LanesEqualLineByLineForEveryExtension) {
    const std::ptrdiff_t n = 7, lanes = 5;
    for (auto mode : kAllModes) {
        for (int order = 2; order <= 5; ++order) {
            auto block = random_values(n * lanes, 7);
            std::vector<double> lines(block);
            std::vector<double> scratch(lanes);
            spline_filter_lanes(block.data(), n, lanes, lanes, order, mode, scratch.data());
            for (std::ptrdiff_t l = 0; l < lanes; ++l) {
                std::vector<double> line(n);
                for (std::ptrdiff_t i = 0; i < n; ++i) line[i] = lines[i * lanes + l];
                spline_filter_line(line.data(), n, order, mode);
                for (std::ptrdiff_t i = 0; i < n; ++i) EXPECT_EQ(block[i * lanes + l], line[i]);
            }
        }
    }
}

/* The half-sample symmetric prefilter is exact: filtering a line equals
   filtering a long symmetric extension of it and keeping the middle. */
TEST(SplineFilter, ReflectStartValuesAreTheExactInfiniteSums) {
    auto line = random_values(3, 8);
    const std::ptrdiff_t copies = 40;
    std::vector<double> extended;
    for (std::ptrdiff_t c = 0; c < copies; ++c)
        for (int i = 0; i < 3; ++i) extended.push_back(c % 2 ? line[2 - i] : line[i]);
    const std::ptrdiff_t middle = 3 * (copies / 2);
    for (int order = 2; order <= 5; ++order) {
        std::vector<double> exact(extended), short_line(line);
        spline_filter_line(exact.data(), static_cast<std::ptrdiff_t>(exact.size()), order, BoundaryMode::Reflect);
        spline_filter_line(short_line.data(), 3, order, BoundaryMode::Reflect);
        for (int i = 0; i < 3; ++i) EXPECT_NEAR(short_line[i], exact[middle + i], 1e-13) << "order " << order;
    }
}

/* 64 axes (numpy's limit), 63 of length 1: a length-1 window is merged into
   one element, so this runs at once instead of 6^64 steps per point, and
   equals the same shift of the one line. */
TEST(Interpolation, SixtyFourAxesWithLengthOneAxesEqualTheLine) {
    for (auto mode : {BoundaryMode::Mirror, BoundaryMode::Nearest, BoundaryMode::GridWrap, BoundaryMode::GridConstant}) {
        auto line = random_values(6, 9);
        std::vector<std::ptrdiff_t> shape(64, 1);
        shape.back() = 6;
        std::vector<double> expected(6), actual(6);
        InterpolationOptions opt;
        opt.order = mode == BoundaryMode::GridConstant ? 1 : 5;   // grid-constant prefilters a 25^63-sample padding
        opt.mode = mode;
        opt.cval = 0.5;
        shift(view_of(line.data(), {6}), {1.25}, view_of(expected.data(), {6}), opt);
        std::vector<double> shifts(64, 0.0);
        shifts.back() = 1.25;
        if (mode != BoundaryMode::GridConstant) shifts[3] = 0.75;   // repeats the one sample along that axis
        shift(view_of(line.data(), shape), shifts, view_of(actual.data(), shape), opt);
        for (int i = 0; i < 6; ++i) EXPECT_NEAR(actual[i], expected[i], 1e-12 * 10) << boundary_mode_name(mode) << " " << i;
    }
}

TEST(Interpolation, PaddingThatCannotFitThrowsInsteadOfWrapping) {
    std::vector<double> in(5, 1.0), out(5);
    std::vector<std::ptrdiff_t> shape(40, 1);
    shape.back() = 5;
    InterpolationOptions opt;
    opt.mode = BoundaryMode::GridConstant;
    EXPECT_THROW(shift(view_of(in.data(), shape), std::vector<double>(40, 0.5), view_of(out.data(), shape), opt),
                 nativecall::InvalidArgument);
}

/* The interpolation core's two routes: points whose window lies inside the
   coefficients skip locate, border points take it. Every point evaluated
   through the core must equal locate + combine bit for bit, whichever route
   it took, for every order and rank (2-D has its own loop) and for runs of
   points that repeat their offset from the window start. */
TEST(Interpolation, InsideRouteEqualsLocateAndCombineBitForBit) {
    using namespace nativecall::ndimage::detail;
    std::mt19937 rng(11);
    for (std::vector<std::ptrdiff_t> shape :
         {std::vector<std::ptrdiff_t>{23}, {17, 13}, {9, 8, 7}}) {
        const int rank = static_cast<int>(shape.size());
        std::ptrdiff_t size = 1;
        for (auto n : shape) size *= n;
        auto values = random_values(static_cast<std::size_t>(size), 12);
        for (int order = 0; order <= 5; ++order) {
            for (auto mode : {BoundaryMode::Mirror, BoundaryMode::Nearest, BoundaryMode::Constant}) {
                InterpolationOptions opt;
                opt.order = order;
                opt.mode = mode;
                opt.cval = 0.5;
                const SplineCoefficients c = spline_coefficients(view_of(values.data(), shape), opt);
                const Interpolator core(c, opt);
                const std::ptrdiff_t count = 300;
                std::vector<double> coordinates(static_cast<std::size_t>(rank * count)), results(count);
                for (int d = 0; d < rank; ++d) {
                    std::uniform_real_distribution<double> u(-1.5, static_cast<double>(shape[d]) + 0.5);
                    for (std::ptrdiff_t j = 0; j < count; ++j)
                        // Every third point repeats its predecessor's offset one sample on.
                        coordinates[d * count + j] = j % 3 == 2 ? coordinates[d * count + j - 1] + 1.0 : u(rng);
                }
                core.evaluate(coordinates.data(), count, results.data());
                std::vector<AxisSample> samples(static_cast<std::size_t>(rank));
                std::vector<const AxisSample *> axes(static_cast<std::size_t>(rank));
                for (std::ptrdiff_t j = 0; j < count; ++j) {
                    for (int d = 0; d < rank; ++d) {
                        locate(coordinates[d * count + j] + static_cast<double>(c.pad[d]), c.shape[d], c.strides[d],
                               order, mode, samples[d]);
                        axes[d] = &samples[d];
                    }
                    const double expected = combine(c.data.data(), axes.data(), rank, opt.cval);
                    ASSERT_EQ(results[j], expected) << "rank " << rank << " order " << order << " mode "
                                                    << boundary_mode_name(mode) << " point " << j;
                }
            }
        }
    }
}
