// Tests of the building blocks: Gauss-Kronrod and Clenshaw-Curtis exactness, the weights' moments, epsilon extrapolation.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>

#include "clenshaw_curtis.h"
#include "endpoint_moments.h"
#include "epsilon_table.h"
#include "gauss_kronrod.h"
#include "nativecall/integrate/quadpack.h"
#include "oscillatory_moments.h"

namespace ni = nativecall::integrate;
namespace nd = nativecall::integrate::detail;

namespace {

double monomial_integral(int k, double a, double b) { return (std::pow(b, k + 1) - std::pow(a, k + 1)) / (k + 1); }

/* Kronrod 2n+1 points integrate degree 3n+1 exactly; the embedded n-point Gauss
   rule degree 2n-1, so the Kronrod-Gauss difference (the raw error) vanishes
   up to that degree. */
struct RuleCase {
    const char *name;
    nd::RuleResult (*rule)(const ni::Integrand &, double, double);
    int kronrod_degree;
    int gauss_degree;
};

class GaussKronrodExactness : public ::testing::TestWithParam<RuleCase> {};

TEST_P(GaussKronrodExactness, IntegratesPolynomialsToTheirDegree) {
    const RuleCase &c = GetParam();
    for (int k = 0; k <= c.kronrod_degree; ++k) {
        auto f = [k](double x) { return std::pow(x, k); };
        nd::RuleResult r = c.rule(ni::Integrand(f), -0.5, 1.5);
        double exact = monomial_integral(k, -0.5, 1.5);
        EXPECT_NEAR(r.result, exact, 1e-13 * std::max(1.0, std::fabs(exact))) << c.name << " degree " << k;
        if (k <= c.gauss_degree) {
            EXPECT_LE(r.abserr, 1e-12 * std::max(1.0, std::fabs(exact))) << c.name << " degree " << k;
        }
    }
    /* One degree beyond, the rule is no longer exact. */
    int k = c.kronrod_degree + 1;
    auto f = [k](double x) { return std::pow(x, k); };
    nd::RuleResult r = c.rule(ni::Integrand(f), -0.5, 1.5);
    EXPECT_GT(std::fabs(r.result - monomial_integral(k, -0.5, 1.5)), 1e-15);
}

INSTANTIATE_TEST_SUITE_P(Rules, GaussKronrodExactness,
                         ::testing::Values(RuleCase{"gk21", nd::gauss_kronrod_21, 31, 19},
                                           RuleCase{"gk15", nd::gauss_kronrod_15, 22, 13}),
                         [](const auto &info) { return std::string(info.param.name); });

TEST(GaussKronrodInfinite, MapsTheHalfLineOntoTheUnitInterval) {
    /* ∫_0^inf e^{-x} = 1, over t in (0, 1] the mapped integrand e^{-(1-t)/t} / t^2 is smooth. */
    auto f = [](double x) { return std::exp(-x); };
    nd::RuleResult r = nd::gauss_kronrod_15_infinite(ni::Integrand(f), 0.0, 1, 0.0, 1.0);
    EXPECT_NEAR(r.result, 1.0, 1e-3);
    /* Both halves of the line fold together for inf = 2. */
    auto g = [](double x) { return std::exp(-std::fabs(x)); };
    nd::RuleResult both = nd::gauss_kronrod_15_infinite(ni::Integrand(g), 0.0, 2, 0.0, 1.0);
    EXPECT_NEAR(both.result, 2.0, 2e-3);
}

TEST(ClenshawCurtis, ChebyshevSeriesReproducesPolynomials) {
    /* f = T_5 + 3 T_12 on [-1, 1] has exactly those coefficients (end ones halved). */
    auto f = [](double x) {
        const double theta = std::acos(std::max(-1.0, std::min(1.0, x)));
        return std::cos(5 * theta) + 3.0 * std::cos(12 * theta);
    };
    double fx[25], offset[13];
    nd::sample_clenshaw_curtis(ni::Integrand(f), 0.0, 1.0, fx, offset);
    nd::ChebyshevSeries s = nd::chebyshev_series(fx);
    for (int j = 0; j < 25; ++j) {
        double expected = j == 5 ? 1.0 : j == 12 ? 3.0 : 0.0;
        EXPECT_NEAR(s.cheb24[j], expected, 1e-13) << j;
    }
    EXPECT_NEAR(s.cheb12[5], 1.0, 1e-13);
    EXPECT_NEAR(s.cheb12[12], 3.0, 1e-13);
    EXPECT_EQ(offset[0], 1.0);
    EXPECT_EQ(offset[12], 0.0);
}

/* The factored transform computes every coefficient by its own expression: the series
   must interpolate arbitrary values at the nodes (degree 24 at all 25, degree 12 at the
   13 even ones), which a wrong sign or index in any of them would break. */
TEST(ClenshawCurtis, ChebyshevSeriesInterpolatesArbitraryValues) {
    std::mt19937_64 random(11);
    std::uniform_real_distribution<double> value(-1.0, 1.0);
    double given[25];
    /* Hands out `given` in node order, whatever the abscissae. */
    auto sampler = [&given](const double *, double *fx, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) fx[k] = given[k];
    };
    for (int trial = 0; trial < 20; ++trial) {
        for (double &v : given) v = value(random);
        double fx[25], offset[13];
        nd::sample_clenshaw_curtis(ni::Integrand::from_sampler(sampler), 0.0, 1.0, fx, offset);
        nd::ChebyshevSeries s = nd::chebyshev_series(fx);
        for (int k = 0; k < 25; ++k) {
            const double theta = k * M_PI / 24.0;   // node k is cos(theta)
            double degree24 = 0.0, degree12 = 0.0;
            for (int j = 0; j < 25; ++j) degree24 += s.cheb24[j] * std::cos(j * theta);
            for (int j = 0; j < 13; ++j) degree12 += s.cheb12[j] * std::cos(j * theta);
            EXPECT_NEAR(degree24, given[k], 1e-14) << "node " << k;
            if (k % 2 == 0) EXPECT_NEAR(degree12, given[k], 1e-14) << "node " << k;
        }
    }
}

/* Reference moments by adaptive quadrature of the defining integral, with
   its own error estimate (the log-singular ones are hard for QAGS itself). */
struct Reference {
    double value, abserr;
};
Reference reference_moment(const std::function<double(double)> &integrand, double lo = -1.0, double hi = 1.0) {
    ni::Options tight;
    tight.epsabs = 1e-14;
    tight.epsrel = 1e-13;
    tight.limit = 400;
    ni::Result r = ni::qags(integrand, lo, hi, tight);
    return {r.value, r.abserr};
}

void expect_moment(double computed, Reference reference, const char *what, int k) {
    double tolerance = std::max(1e-10 * std::max(1.0, std::fabs(reference.value)), 2.0 * reference.abserr);
    EXPECT_NEAR(computed, reference.value, tolerance) << what << " k=" << k;
}

class OscillatoryMoments : public ::testing::TestWithParam<double> {};

TEST_P(OscillatoryMoments, MatchTheDefiningIntegrals) {
    const double p = GetParam();
    double m[25];
    nd::oscillatory_moments(p, m);
    for (int k = 0; k < 25; ++k) {
        auto integrand = [p, k](double t) {
            double chebyshev = std::cos(k * std::acos(t));
            return (k % 2 == 0 ? std::cos(p * t) : std::sin(p * t)) * chebyshev;
        };
        expect_moment(m[k], reference_moment(integrand), "oscillatory", k);
    }
}

/* Both sides of |p| = 24, where the computation switches from a linear system to recurrence. */
INSTANTIATE_TEST_SUITE_P(Parameters, OscillatoryMoments, ::testing::Values(2.5, 7.0, 23.0, 30.0, -12.0, 150.0));

TEST(EndpointMoments, MatchTheDefiningIntegrals) {
    for (double alpha : {-0.5, 0.0, 1.3}) {
        for (double beta : {-0.7, 0.4}) {
            nd::EndpointMoments m = nd::endpoint_moments(alpha, beta);
            for (int k = 0; k < 25; ++k) {
                auto T = [k](double t) { return std::cos(k * std::acos(std::max(-1.0, std::min(1.0, t)))); };
                /* u = (1 ± t)^(p+1) / (p+1) absorbs the algebraic singularity, so the
                   reference integrands are only log-singular. */
                auto at_left = [&](double u) { return -1.0 + std::pow((alpha + 1) * u, 1.0 / (alpha + 1)); };
                auto at_right = [&](double u) { return 1.0 - std::pow((beta + 1) * u, 1.0 / (beta + 1)); };
                const double u_alpha = std::pow(2.0, alpha + 1) / (alpha + 1);
                const double u_beta = std::pow(2.0, beta + 1) / (beta + 1);
                expect_moment(m.ri[k], reference_moment([&](double u) { return T(at_left(u)); }, 0.0, u_alpha),
                              "ri", k);
                expect_moment(m.rj[k], reference_moment([&](double u) { return T(at_right(u)); }, 0.0, u_beta),
                              "rj", k);
                expect_moment(m.rg[k], reference_moment([&](double u) {
                                  double t = at_left(u);
                                  return std::log((1 + t) / 2) * T(t);
                              }, 0.0, u_alpha),
                              "rg", k);
                expect_moment(m.rh[k], reference_moment([&](double u) {
                                  double t = at_right(u);
                                  return std::log((1 - t) / 2) * T(t);
                              }, 0.0, u_beta),
                              "rh", k);
            }
        }
    }
}

/* The 20 first partial sums of Σ (-1)^k / (k+1), which converge to log 2 with error
   ~1/n, through `table`; the estimate with the smallest error, as the drivers keep it. */
struct SeriesEstimate {
    double last_partial_sum, best, best_error;
};
SeriesEstimate extrapolate_alternating_series(nd::EpsilonTable &table) {
    table.reset();
    SeriesEstimate out{0.0, 0.0, std::numeric_limits<double>::max()};
    for (int k = 0; k < 20; ++k) {
        out.last_partial_sum += (k % 2 == 0 ? 1.0 : -1.0) / (k + 1);
        if (table.size() < 2) {
            table.push(out.last_partial_sum);
            continue;
        }
        nd::EpsilonTable::Estimate e = table.extrapolate(out.last_partial_sum);
        if (e.abserr < out.best_error) {
            out.best = e.value;
            out.best_error = e.abserr;
        }
    }
    return out;
}

TEST(EpsilonTable, AcceleratesASlowlyConvergingAlternatingSeries) {
    /* The epsilon algorithm gets many digits from 20 terms. */
    nd::EpsilonTable table;
    SeriesEstimate s = extrapolate_alternating_series(table);
    EXPECT_NEAR(s.last_partial_sum, std::log(2.0), 0.03);  // the plain partial sum is far off
    EXPECT_NEAR(s.best, std::log(2.0), 1e-10);
    EXPECT_LT(s.best_error, 1e-8);
    EXPECT_GE(s.best_error * 10.0, std::fabs(s.best - std::log(2.0)));  // the estimate is not wildly optimistic
}

TEST(EpsilonTable, StaysWithinItsStorageWhenNaNMakesEveryCallConverge) {
    /* With a NaN in the table QUADPACK's convergence test passes on every call, which
       skips the trimming of a full table; hundreds of further estimates (a long QAGS
       run, or QAWF's cycles) must neither grow it past its storage nor stop it working. */
    nd::EpsilonTable table;
    table.reset();
    table.push(1.0);
    table.push(std::nan(""));
    for (int k = 0; k < 300; ++k) {
        nd::EpsilonTable::Estimate e = table.extrapolate(k % 3 == 0 ? std::nan("") : 0.5 * k);
        ASSERT_LE(table.size(), nd::EpsilonTable::kMaxElements) << "after " << k + 1 << " estimates";
        ASSERT_GE(table.size(), 1);
        (void)e;
    }
    /* A finite sequence afterwards (a fresh integral) extrapolates as before. */
    EXPECT_NEAR(extrapolate_alternating_series(table).best, std::log(2.0), 1e-10);
}

} // namespace
