// Tests of the weighted routines QAWO, QAWF, QAWS and QAWC against closed-form integrals.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nativecall/integrate/quad.h"
#include "nativecall/integrate/quadpack.h"

namespace ni = nativecall::integrate;

namespace {

const double kPi = 3.14159265358979323846;
const double kInf = std::numeric_limits<double>::infinity();

void expect_within_error(const ni::Result &r, double exact, double tolerance = 1.49e-8) {
    EXPECT_EQ(r.ier, ni::Converged);
    EXPECT_LE(std::fabs(r.value - exact), std::max(r.abserr * 1.0001, 1e-14 * std::fabs(exact)));
    EXPECT_LE(r.abserr, std::max(tolerance, tolerance * std::fabs(exact)));
}

/* ∫_0^L e^{-x} cos(ωx) and sin(ωx) in closed form. */
double exp_cos(double omega, double L) {
    double d = 1 + omega * omega;
    return (1 - std::exp(-L) * (std::cos(omega * L) - omega * std::sin(omega * L))) / d;
}
double exp_sin(double omega, double L) {
    double d = 1 + omega * omega;
    return (omega - std::exp(-L) * (std::sin(omega * L) + omega * std::cos(omega * L))) / d;
}

class Qawo : public ::testing::TestWithParam<double> {};

TEST_P(Qawo, CosineAndSineWeights) {
    const double omega = GetParam();
    auto f = [](double x) { return std::exp(-x); };
    ni::Workspace work;
    expect_within_error(ni::qawo(ni::Integrand(f), 0.0, 5.0, omega, 1, ni::Options{}, 50, false, work),
                        exp_cos(omega, 5.0));
    expect_within_error(ni::qawo(ni::Integrand(f), 0.0, 5.0, omega, 2, ni::Options{}, 50, false, work),
                        exp_sin(omega, 5.0));
}

/* Small ω (15-point rule only), moderate (moments by linear system), large (recurrence). */
INSTANTIATE_TEST_SUITE_P(Frequencies, Qawo, ::testing::Values(0.3, 10.0, 200.0, -35.0));

TEST(Qawo, ReusedMomentsGiveTheSameResult) {
    auto f = [](double x) { return 1.0 / (1.0 + x * x); };
    ni::Workspace work;
    ni::Result fresh = ni::qawo(ni::Integrand(f), 0.0, 20.0, 30.0, 1, ni::Options{}, 50, false, work);
    ASSERT_GT(work.momcom, 0);
    auto g = [](double x) { return 2.0 / (1.0 + x * x); };
    ni::Result reused = ni::qawo(ni::Integrand(g), 0.0, 20.0, 30.0, 1, ni::Options{}, 50, true, work);
    EXPECT_NEAR(reused.value, 2.0 * fresh.value, 1e-12);
}

TEST(Qawf, FourierIntegralsOnTheHalfLine) {
    ni::Workspace work;
    /* ∫_0^inf cos(ωx)/(1+x^2) = π/2 e^{-ω}; ∫_0^inf sin(ωx)/x^(1/2) = sqrt(π/(2ω)). */
    auto lorentz = [](double x) { return 1.0 / (1.0 + x * x); };
    ni::Result r = ni::qawf(ni::Integrand(lorentz), 0.0, 2.0, 1, 1e-9, 50, 50, 50, work);
    EXPECT_EQ(r.ier, ni::Converged);
    EXPECT_NEAR(r.value, kPi / 2 * std::exp(-2.0), 1e-8);
    /* 0 at x = 0, as QUADPACK's own example has it: an infinite value there makes
       the first cycle NaN, and QAWF then ends as SciPy's does, with no usable value. */
    auto inv_sqrt = [](double x) { return x > 0.0 ? 1.0 / std::sqrt(x) : 0.0; };
    ni::Result s = ni::qawf(ni::Integrand(inv_sqrt), 0.0, 3.0, 2, 1e-8, 50, 50, 50, work);
    EXPECT_NEAR(s.value, std::sqrt(kPi / 6.0), 1e-6);
    EXPECT_GE(s.last, 3);
}

TEST(Qawf, LeftInfiniteRangeIsReflected) {
    auto f = [](double x) { return std::exp(x); };
    ni::Workspace work;
    ni::QuadSpec spec;
    spec.weight = ni::Weight::Sin;
    spec.wvar[0] = 2.0;
    /* ∫_{-inf}^0 e^x sin(2x) = -2/5. */
    ni::QuadOutcome out = ni::quad(ni::Integrand(f), -kInf, 0.0, spec, work);
    EXPECT_EQ(out.routine, ni::Routine::Qawf);
    EXPECT_NEAR(out.result.value, -0.4, 1e-8);
}

TEST(Qawf, InvalidInputs) {
    auto f = [](double x) { return x; };
    ni::Workspace work;
    EXPECT_EQ(ni::qawf(ni::Integrand(f), 0.0, 1.0, 1, 0.0, 50, 50, 50, work).ier, ni::InvalidInput);
    EXPECT_EQ(ni::qawf(ni::Integrand(f), 0.0, 1.0, 1, 1e-8, 2, 50, 50, work).ier, ni::InvalidInput);
}

struct AlgLogCase {
    int kind;
    double alpha, beta;
    double exact;
};

class Qaws : public ::testing::TestWithParam<AlgLogCase> {};

TEST_P(Qaws, AlgebraicLogarithmicWeights) {
    const AlgLogCase &c = GetParam();
    auto one = [](double) { return 1.0; };
    ni::Workspace work;
    expect_within_error(ni::qaws(ni::Integrand(one), 0.0, 1.0, c.alpha, c.beta, c.kind, ni::Options{}, work),
                        c.exact);
}

/* Beta functions and their derivatives: ∫_0^1 x^a (1-x)^b = B(a+1, b+1),
   ∫ x^a log x = -1/(a+1)^2, ∫ (1-x)^b log(1-x) = -1/(b+1)^2,
   ∫_0^1 log x log(1-x) = 2 - π^2/6. */
INSTANTIATE_TEST_SUITE_P(
    Weights, Qaws,
    ::testing::Values(AlgLogCase{1, -0.5, -0.5, kPi}, AlgLogCase{1, 0.5, 0.0, 2.0 / 3.0},
                      AlgLogCase{2, -0.5, 0.0, -4.0}, AlgLogCase{3, 0.0, 0.3, -1.0 / (1.3 * 1.3)},
                      AlgLogCase{4, 0.0, 0.0, 2.0 - kPi * kPi / 6.0}));

TEST(Qaws, InvalidInputs) {
    auto f = [](double x) { return x; };
    ni::Workspace work;
    EXPECT_EQ(ni::qaws(ni::Integrand(f), 0.0, 1.0, -1.0, 0.0, 1, ni::Options{}, work).ier, ni::InvalidInput);
    EXPECT_EQ(ni::qaws(ni::Integrand(f), 1.0, 0.0, 0.0, 0.0, 1, ni::Options{}, work).ier, ni::InvalidInput);
    EXPECT_EQ(ni::qaws(ni::Integrand(f), 0.0, 1.0, 0.0, 0.0, 5, ni::Options{}, work).ier, ni::InvalidInput);
}

TEST(Qawc, CauchyPrincipalValues) {
    ni::Workspace work;
    /* PV ∫_{-1}^{2} 1/(x - c) = log((2 - c)/(c + 1)); PV ∫_0^1 x/(x - c) = 1 + c log((1-c)/c). */
    auto one = [](double) { return 1.0; };
    expect_within_error(ni::qawc(ni::Integrand(one), -1.0, 2.0, 0.3, ni::Options{}, work), std::log(1.7 / 1.3));
    auto x = [](double t) { return t; };
    expect_within_error(ni::qawc(ni::Integrand(x), 0.0, 1.0, 0.25, ni::Options{}, work),
                        1.0 + 0.25 * std::log(0.75 / 0.25));
    /* c outside the range: an ordinary integral. */
    expect_within_error(ni::qawc(ni::Integrand(one), 0.0, 1.0, 3.0, ni::Options{}, work), std::log(2.0 / 3.0));
    /* Reversed limits negate. */
    ni::Result reversed = ni::qawc(ni::Integrand(one), 2.0, -1.0, 0.3, ni::Options{}, work);
    EXPECT_NEAR(reversed.value, -std::log(1.7 / 1.3), 1e-10);
}

TEST(WeightedConvenience, LambdasWithoutAWorkspace) {
    EXPECT_NEAR(ni::qawc([](double) { return 1.0; }, -1.0, 2.0, 0.3).value, std::log(1.7 / 1.3), 1e-10);
    EXPECT_NEAR(ni::qaws([](double) { return 1.0; }, 0.0, 1.0, -0.5, -0.5, 1).value, kPi, 1e-10);
    EXPECT_NEAR(ni::qawo([](double x) { return std::exp(-x); }, 0.0, 5.0, 10.0, 1).value, exp_cos(10.0, 5.0),
                1e-10);
}

TEST(Qawc, PoleAtAnEndIsInvalid) {
    auto one = [](double) { return 1.0; };
    ni::Workspace work;
    EXPECT_EQ(ni::qawc(ni::Integrand(one), 0.0, 1.0, 1.0, ni::Options{}, work).ier, ni::InvalidInput);
}

} // namespace
