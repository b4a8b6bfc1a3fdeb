// Tests of QNG (non-adaptive Gauss-Kronrod-Patterson) against closed-form integrals and its rule degrees.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nativecall/integrate/quadpack.h"

namespace ni = nativecall::integrate;

namespace {

struct QngCase {
    const char *name;
    double (*f)(double);
    double a, b, exact;
    int neval;  // the rule QNG should stop at
};

class QngKnownValues : public ::testing::TestWithParam<QngCase> {};

TEST_P(QngKnownValues, MeetsTheToleranceWithinItsErrorEstimate) {
    const QngCase &c = GetParam();
    ni::Result r = ni::qng(c.f, c.a, c.b);
    EXPECT_EQ(r.ier, ni::Converged);
    EXPECT_EQ(r.neval, c.neval);
    EXPECT_LE(std::fabs(r.value - c.exact), std::max(r.abserr, 4e-16 * std::fabs(c.exact)));
    EXPECT_LE(r.abserr, 1.49e-8 * std::fabs(c.exact));
}

INSTANTIATE_TEST_SUITE_P(
    Smooth, QngKnownValues,
    ::testing::Values(
        /* Low-degree polynomials: the 21-point rule is exact and its estimate tiny. */
        QngCase{"cubic", [](double x) { return x * x * x - 2.0 * x + 1.0; }, -1.0, 2.0, 3.75, 21},
        QngCase{"exp", [](double x) { return std::exp(x); }, 0.0, 1.0, std::exp(1.0) - 1.0, 21},
        QngCase{"reversed_exp", [](double x) { return std::exp(x); }, 1.0, 0.0, 1.0 - std::exp(1.0), 21},
        /* Needs more nodes: cos(20x) over [0, pi/2] and a narrow-ish bump. */
        QngCase{"cos20", [](double x) { return std::cos(20.0 * x); }, 0.0, 1.0, std::sin(20.0) / 20.0, 43},
        QngCase{"lorentz", [](double x) { return 1.0 / (1.0 + 9.0 * x * x); }, -1.0, 1.0,
                2.0 * std::atan(3.0) / 3.0, 87}),
    [](const ::testing::TestParamInfo<QngCase> &info) { return std::string(info.param.name); });

TEST(Qng, AnIntegrandTooRoughForEightySevenPointsReportsIer1) {
    ni::Result r = ni::qng([](double x) { return std::sqrt(x); }, 0.0, 1.0, ni::Options{0.0, 1e-12, 50});
    EXPECT_EQ(r.ier, ni::SubdivisionLimit);
    EXPECT_EQ(r.neval, 87);
    EXPECT_NEAR(r.value, 2.0 / 3.0, 1e-5);
}

TEST(Qng, ANanIntegrandIsNotTakenForConvergence) {
    /* QUADPACK's test is abserr <= tolerance, false for NaN: all three rules run, then ier 1. */
    auto nan = [](double) { return std::numeric_limits<double>::quiet_NaN(); };
    ni::Result r = ni::qng(nan, 0.0, 1.0);
    EXPECT_EQ(r.ier, ni::SubdivisionLimit);
    EXPECT_EQ(r.neval, 87);
    EXPECT_TRUE(std::isnan(r.value));
}

TEST(Qng, TakesAnIntegrandWithDefaultOptions) {
    auto f = [](double x) { return x * x; };
    ni::Result r = ni::qng(ni::Integrand(f), 0.0, 3.0);
    EXPECT_EQ(r.ier, ni::Converged);
    EXPECT_NEAR(r.value, 9.0, 1e-13);
}

TEST(Qng, InvalidTolerancesGiveIer6WithoutEvaluating) {
    int calls = 0;
    ni::Result r = ni::qng([&calls](double x) { return ++calls, x; }, 0.0, 1.0, ni::Options{0.0, 1e-30, 50});
    EXPECT_EQ(r.ier, ni::InvalidInput);
    EXPECT_EQ(calls, 0);
}

/* Each stage is exact for the polynomials its Patterson rule integrates
   exactly; with an impossible tolerance QNG runs all three and the 87-point
   value of x^k over [-1, 1] is exact to rounding for k < 130. */
TEST(Qng, EightySevenPointRuleIntegratesHighDegreeMonomials) {
    for (int k : {0, 2, 10, 40, 80, 120}) {
        auto monomial = [k](double x) { return std::pow(x, k); };
        ni::Result r = ni::qng(monomial, -1.0, 1.0, ni::Options{0.0, 5e-14, 50});
        EXPECT_NEAR(r.value, 2.0 / (k + 1), 1e-14) << "x^" << k;
    }
}

} // namespace
