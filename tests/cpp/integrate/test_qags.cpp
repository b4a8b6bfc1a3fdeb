// Tests of QAGS, QAGI and QAGP against integrals with known values, and of QUADPACK's error codes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/integrate/quad.h"
#include "nativecall/integrate/quadpack.h"

namespace ni = nativecall::integrate;

namespace {

const double kPi = 3.14159265358979323846;
const double kInf = std::numeric_limits<double>::infinity();

struct KnownIntegral {
    const char *name;
    double (*f)(double);
    double a, b;
    double exact;
};

double sqrt_x(double x) { return std::sqrt(x); }
double log_over_sqrt(double x) { return std::log(x) / std::sqrt(x); }
double power_minus_point_nine(double x) { return std::pow(x, -0.9); }
double peaked(double x) { return 1.0 / ((x - 0.3) * (x - 0.3) + 1e-6); }
double oscillating(double x) { return std::cos(50.0 * x); }
double gaussian(double x) { return std::exp(-x * x); }
double exp_over_t2(double t) { return std::exp(-t) / (t * t); }
double exp_x(double x) { return std::exp(x); }
double one_over_1px2(double x) { return 1.0 / (1.0 + x * x); }

/* E1(1), the exponential integral, for ∫_1^inf e^{-t}/t^2 = e^{-1} - E1(1). */
const double kE1of1 = 0.219383934395520273677163775460;

const KnownIntegral kFinite[] = {
    {"sqrt", sqrt_x, 0.0, 1.0, 2.0 / 3.0},
    {"log_singularity", log_over_sqrt, 0.0, 1.0, -4.0},
    {"algebraic_singularity", power_minus_point_nine, 0.0, 1.0, 10.0},
    {"sharp_peak", peaked, 0.0, 1.0, 1e3 * (std::atan(0.7e3) + std::atan(0.3e3))},
    {"oscillating", oscillating, 0.0, kPi, std::sin(50.0 * kPi) / 50.0},
    {"reversed_range", exp_x, 1.0, 0.0, -(std::exp(1.0) - 1.0)},
};

const KnownIntegral kInfinite[] = {
    {"exp_over_t2", exp_over_t2, 1.0, kInf, std::exp(-1.0) - kE1of1},
    {"gaussian_whole_line", gaussian, -kInf, kInf, std::sqrt(kPi)},
    {"exp_left_half", exp_x, -kInf, 0.0, 1.0},
    {"lorentzian_right", one_over_1px2, 0.0, kInf, kPi / 2},
};

class FiniteRange : public ::testing::TestWithParam<KnownIntegral> {};
class InfiniteRange : public ::testing::TestWithParam<KnownIntegral> {};

void expect_converged(const ni::Result &r, double exact) {
    EXPECT_EQ(r.ier, ni::Converged);
    /* The error estimate is an upper bound in practice, and within the tolerance. */
    EXPECT_LE(std::fabs(r.value - exact), std::max(r.abserr, 1e-15 * std::fabs(exact)) * 1.0001);
    EXPECT_LE(r.abserr, std::max(1.49e-8, 1.49e-8 * std::fabs(exact)));
    EXPECT_GT(r.neval, 0);
}

TEST_P(FiniteRange, QagsMeetsTheTolerance) {
    const KnownIntegral &c = GetParam();
    ni::Options options;
    options.limit = 200;
    expect_converged(ni::qags(c.f, c.a, c.b, options), c.exact);
}

TEST_P(InfiniteRange, QuadRoutesToQagi) {
    const KnownIntegral &c = GetParam();
    ni::Workspace work;
    auto f = c.f;
    ni::QuadOutcome out = ni::quad(ni::Integrand(f), c.a, c.b, ni::QuadSpec{}, work);
    EXPECT_EQ(out.routine, ni::Routine::Qagi);
    expect_converged(out.result, c.exact);
}

auto name_of = [](const auto &info) { return std::string(info.param.name); };
INSTANTIATE_TEST_SUITE_P(Known, FiniteRange, ::testing::ValuesIn(kFinite), name_of);
INSTANTIATE_TEST_SUITE_P(Known, InfiniteRange, ::testing::ValuesIn(kInfinite), name_of);

TEST(Qags, TablesPartitionTheRangeAndSumToTheResult) {
    ni::Workspace work;
    auto f = [](double x) { return std::sqrt(x); };
    ni::Options options;
    options.epsabs = 0.0;
    options.epsrel = 1e-3;  // stop before extrapolation so the result is the plain sum
    ni::Result r = ni::qags(ni::Integrand(f), 0.0, 1.0, options, work);
    ASSERT_GE(r.last, 1);
    double length = 0.0, sum = 0.0, errors = 0.0;
    for (int k = 0; k < r.last; ++k) {
        length += work.blist[k] - work.alist[k];
        sum += work.rlist[k];
        errors += work.elist[k];
    }
    EXPECT_NEAR(length, 1.0, 1e-15);
    EXPECT_NEAR(sum, r.value, 1e-15);
    EXPECT_NEAR(errors, r.abserr, 1e-15);
    /* iord lists intervals by decreasing error. */
    for (int k = 1; k < r.last; ++k) EXPECT_GE(work.elist[work.iord[k - 1]], work.elist[work.iord[k]]);
}

TEST(Qags, DivergentIntegralReportsAFailure) {
    auto f = [](double x) { return 1.0 / x; };
    ni::Result r = ni::qags(f, 0.0, 1.0);
    EXPECT_NE(r.ier, ni::Converged);
    EXPECT_EQ(r.last, 50);  // the default limit is used up
}

TEST(Qags, SubdivisionLimitIsReported) {
    auto f = [](double x) { return std::sin(1.0 / (x + 1e-3)); };
    ni::Options options;
    options.limit = 5;
    ni::Result r = ni::qags(f, 0.0, 1.0, options);
    EXPECT_EQ(r.ier, ni::SubdivisionLimit);
    EXPECT_EQ(r.last, 5);
}

TEST(Qags, InvalidInputGivesIer6WithoutEvaluating) {
    int calls = 0;
    auto f = [&calls](double x) { ++calls; return x; };
    ni::Options no_tolerance{0.0, 0.0, 50};
    EXPECT_EQ(ni::qags(f, 0.0, 1.0, no_tolerance).ier, ni::InvalidInput);
    ni::Options no_intervals{1e-8, 1e-8, 0};
    EXPECT_EQ(ni::qags(f, 0.0, 1.0, no_intervals).ier, ni::InvalidInput);
    ni::Workspace work;
    EXPECT_EQ(ni::qagi(ni::Integrand(f), 0.0, 3, ni::Options{}, work).ier, ni::InvalidInput);
    EXPECT_EQ(calls, 0);
}

TEST(Qags, RulesSampleAllTheirNodesInOneCall) {
    /* The design that makes type erasure cheap: one call for the first rule, then one
       per bisection for both halves. */
    std::vector<std::size_t> batch_sizes;
    auto sampler = [&batch_sizes](const double *x, double *fx, std::size_t n) {
        batch_sizes.push_back(n);
        for (std::size_t i = 0; i < n; ++i) fx[i] = std::sqrt(x[i]);
    };
    ni::Workspace work;
    ni::Result r = ni::qags(ni::Integrand::from_sampler(sampler), 0.0, 1.0, ni::Options{}, work);
    ASSERT_GT(batch_sizes.size(), 1u);
    EXPECT_EQ(batch_sizes[0], 21u);
    for (std::size_t i = 1; i < batch_sizes.size(); ++i) EXPECT_EQ(batch_sizes[i], 42u);
    EXPECT_EQ(21 + 42 * (static_cast<int>(batch_sizes.size()) - 1), r.neval);
}

TEST(Qags, AcceptsPlainFunctionsAndFunctors) {
    ni::Result from_function = ni::qags(exp_x, 0.0, 1.0);
    struct Square {
        double operator()(double x) const { return x * x; }
    };
    ni::Result from_functor = ni::qags(Square{}, 0.0, 3.0);
    EXPECT_NEAR(from_function.value, std::exp(1.0) - 1.0, 1e-14);
    EXPECT_NEAR(from_functor.value, 9.0, 1e-13);
}

/* A lambda's mirrored sum (Integrand::with_mirrored_sum) changes nothing in QAGI's
   results on the whole line, however the integrand ends (converged, at the limit,
   with NaNs), and is not used on half-lines or finite ranges. */
TEST(Qagi, AMirroredSumGivesTheSameResultsAndIsUsedOnlyOnTheWholeLine) {
    std::vector<double (*)(double)> integrands = {
        [](double x) { return std::exp(-0.3 * x * x) * std::cos(x); },
        [](double x) { return 1.0 / (1.0 + std::fabs(x - 1.5)); },   // divergent: ier != 0
        [](double x) { return x > 40.0 ? std::numeric_limits<double>::quiet_NaN() : std::exp(-std::fabs(x)); },
    };
    for (double (*f)(double) : integrands) {
        int summed_points = 0;
        auto sum = [&](const double *x, double *fx, std::size_t n) {
            summed_points += static_cast<int>(n);
            for (std::size_t i = 0; i < n; ++i) fx[i] = f(x[i]) + f(-x[i]);
        };
        auto plain = [f](double x) { return f(x); };
        for (auto [a, b] : {std::pair{-kInf, kInf}, std::pair{0.5, kInf}, std::pair{-kInf, 2.0}, std::pair{-1.0, 3.0}}) {
            summed_points = 0;
            ni::QuadSpec spec;
            ni::Workspace with_sum_work, plain_work;
            ni::QuadOutcome with_sum = ni::quad(ni::Integrand(plain).with_mirrored_sum(sum), a, b, spec, with_sum_work);
            ni::QuadOutcome expected = ni::quad(ni::Integrand(plain), a, b, spec, plain_work);
            auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
            EXPECT_TRUE(same(with_sum.result.value, expected.result.value)) << a << ", " << b;
            EXPECT_TRUE(same(with_sum.result.abserr, expected.result.abserr)) << a << ", " << b;
            EXPECT_EQ(with_sum.result.ier, expected.result.ier);
            EXPECT_EQ(with_sum.result.neval, expected.result.neval);
            EXPECT_EQ(summed_points, std::isinf(a) && std::isinf(b) ? expected.result.neval / 2 : 0);
        }
    }
}

TEST(Qags, ExceptionsFromTheIntegrandPropagate) {
    auto f = [](double x) -> double {
        if (x > 0.7) throw std::runtime_error("integrand failed");
        return x;
    };
    EXPECT_THROW(ni::qags(f, 0.0, 1.0), std::runtime_error);
}

TEST(Qagp, BreakPointsAtAKinkConvergeInOnePass) {
    auto f = [](double x) { return std::fabs(x - 0.3); };
    ni::Result with_point = ni::qagp(f, 0.0, 1.0, {0.3});
    EXPECT_EQ(with_point.ier, ni::Converged);
    EXPECT_NEAR(with_point.value, 0.29, 1e-14);
    EXPECT_EQ(with_point.neval, 42);  // exact on both pieces: two rule applications
    ni::Result without = ni::qags(f, 0.0, 1.0);
    EXPECT_GT(without.neval, with_point.neval);
}

TEST(Qagp, InteriorSingularities) {
    /* ∫_0^3 x^3 log|(x^2-1)(x^2-2)|, QUADPACK's own QAGP example. */
    auto f = [](double x) { return x * x * x * std::log(std::fabs((x * x - 1.0) * (x * x - 2.0))); };
    ni::Workspace work;
    ni::Result r = ni::qagp(ni::Integrand(f), 0.0, 3.0, {1.0, std::sqrt(2.0)}, ni::Options{}, work);
    EXPECT_EQ(r.ier, ni::Converged);
    EXPECT_NEAR(r.value, 52.74074838347143, 1e-9);
    EXPECT_EQ(work.pts.size(), 4u);
}

TEST(Qagp, PointsOutsideTheRangeAreInvalid) {
    auto f = [](double x) { return x; };
    EXPECT_EQ(ni::qagp(f, 0.0, 1.0, {2.0}).ier, ni::InvalidInput);
    ni::Options few{1e-8, 1e-8, 2};
    EXPECT_EQ(ni::qagp(f, 0.0, 1.0, {0.2, 0.5}, few).ier, ni::InvalidInput);
}

TEST(Qagp, ANanBreakPointAnywhereIsInvalidAndNothingIsEvaluated) {
    /* Sorting would put a NaN anywhere; each position must be caught before it. */
    const double nan = std::numeric_limits<double>::quiet_NaN();
    int calls = 0;
    auto f = [&calls](double x) { return ++calls, x; };
    for (const std::vector<double> &points :
         {std::vector<double>{nan}, {0.5, nan}, {nan, 0.5}, {0.2, nan, 0.7}, {0.2, 0.7, nan}}) {
        ni::Result r = ni::qagp(f, 0.0, 1.0, points);
        EXPECT_EQ(r.ier, ni::InvalidInput) << points.size();
        EXPECT_EQ(r.neval, 0);
    }
    EXPECT_EQ(ni::qagp(f, nan, 1.0, {0.5}).ier, ni::InvalidInput);
    EXPECT_EQ(calls, 0);
}

TEST(QuadRouting, RejectsWhatNoRoutineCanTake) {
    auto f = [](double x) { return x; };
    ni::Workspace work;
    ni::QuadSpec spec;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(ni::quad(ni::Integrand(f), nan, 1.0, spec, work), nativecall::InvalidArgument);
    spec.points = {0.5};
    EXPECT_THROW(ni::quad(ni::Integrand(f), 0.0, kInf, spec, work), nativecall::InvalidArgument);
    spec.points = {1.5};
    EXPECT_THROW(ni::quad(ni::Integrand(f), 0.0, 1.0, spec, work), nativecall::InvalidArgument);
    spec.points = {};
    spec.weight = ni::Weight::Cauchy;
    EXPECT_THROW(ni::quad(ni::Integrand(f), 0.0, kInf, spec, work), nativecall::InvalidArgument);
    EXPECT_THROW(ni::parse_weight("cosine"), nativecall::InvalidArgument);
    EXPECT_EQ(ni::parse_weight("alg-logb"), ni::Weight::AlgLogB);
}

TEST(QuadRouting, BreakPointsAtTheEndsAndDuplicatesAreDropped) {
    std::vector<double> kept = ni::interior_break_points({1.0, 0.5, 0.0, 0.5, 0.25}, 0.0, 1.0);
    EXPECT_EQ(kept, (std::vector<double>{0.25, 0.5}));
}

TEST(QuadRouting, BreakPointsGivenWithoutInteriorOnesStillRunQagp) {
    /* scipy's quad runs QAGP whenever points is given; QAGP differs from QAGS (it
       extrapolates from its first pass), so the routine, not just the value, must match. */
    auto f = [](double x) { return 1.0 / std::sqrt(std::fabs(x - 0.3) + 1e-9); };
    ni::Workspace work;
    ni::QuadSpec plain, given;
    given.break_points_given = true;
    ni::QuadOutcome qags = ni::quad(ni::Integrand(f), 0.0, 1.0, plain, work);
    ni::QuadOutcome none = ni::quad(ni::Integrand(f), 0.0, 1.0, given, work);
    given.points = {0.0, 1.0};
    ni::QuadOutcome ends = ni::quad(ni::Integrand(f), 0.0, 1.0, given, work);
    ni::Result direct = ni::qagp(f, 0.0, 1.0, {});
    EXPECT_EQ(qags.routine, ni::Routine::Qags);
    EXPECT_EQ(none.routine, ni::Routine::Qagp);
    EXPECT_EQ(ends.routine, ni::Routine::Qagp);
    EXPECT_EQ(none.result.value, direct.value);
    EXPECT_EQ(none.result.neval, direct.neval);
    EXPECT_EQ(ends.result.value, direct.value);
}

} // namespace
