// Spline prefilter and interpolation core: exact reproduction at the samples, integer shifts, threads, mappings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/ndimage/interpolation.h"
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
