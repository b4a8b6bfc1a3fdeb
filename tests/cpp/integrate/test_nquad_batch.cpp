// Tests of nquad (constant and callable limits, options per level) and of the batch driver.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/integrate/batch.h"
#include "nativecall/integrate/nquad.h"

namespace ni = nativecall::integrate;

namespace {

const double kPi = 3.14159265358979323846;
const double kInf = std::numeric_limits<double>::infinity();

ni::NquadLevel constant_level(double lo, double hi) {
    ni::NquadLevel level;
    level.lo = lo;
    level.hi = hi;
    return level;
}

TEST(Nquad, ThreeDimensionalProduct) {
    /* ∫_0^1∫_0^2∫_0^3 x y^2 z^3 = (1/2)(8/3)(81/4). */
    auto f = [](const double *x, std::size_t) { return x[0] * x[1] * x[1] * x[2] * x[2] * x[2]; };
    ni::NquadResult r = ni::nquad(f, {constant_level(0, 1), constant_level(0, 2), constant_level(0, 3)});
    EXPECT_NEAR(r.value, 0.5 * 8.0 / 3.0 * 81.0 / 4.0, 1e-11);
    EXPECT_EQ(r.first_failure_ier, 0);
    EXPECT_GT(r.neval, 21 * 21);
}

double product_xy(const double *x, std::size_t) { return x[0] * x[1]; }

TEST(Nquad, TakesAPlainFunction) {
    /* ∫_0^1∫_0^2 x y = 1/2 * 2 = 1, by name and by pointer. */
    ni::NquadResult by_name = ni::nquad(product_xy, {constant_level(0, 1), constant_level(0, 2)});
    ni::NquadResult by_pointer = ni::nquad(&product_xy, {constant_level(0, 1), constant_level(0, 2)});
    EXPECT_NEAR(by_name.value, 1.0, 1e-14);
    EXPECT_EQ(by_name.value, by_pointer.value);
}

TEST(Nquad, CallableLimitsSeeOuterCoordinatesThenArguments) {
    /* ∫_0^1 ∫_0^{t x} dy dx with t = 3 passed as an argument: 3/2. */
    auto f = [](const double *, std::size_t) { return 1.0; };
    ni::NquadLevel inner;
    std::size_t seen = 0;
    inner.range = [&seen](const double *outer, std::size_t count) {
        seen = count;
        return std::make_pair(0.0, outer[1] * outer[0]);
    };
    ni::NquadResult r = ni::nquad(f, {inner, constant_level(0, 1)}, {3.0});
    EXPECT_EQ(seen, 2u);  // x1 and the argument
    EXPECT_NEAR(r.value, 1.5, 1e-12);
}

TEST(Nquad, InfiniteRangesAndPerLevelOptions) {
    auto f = [](const double *x, std::size_t) { return std::exp(-x[0] * x[0] - x[1] * x[1]); };
    ni::NquadLevel inner = constant_level(-kInf, kInf), outer = constant_level(-kInf, kInf);
    outer.spec.options.epsabs = 1e-10;
    ni::NquadResult r = ni::nquad(f, {inner, outer});
    EXPECT_NEAR(r.value, kPi, 1e-8);
}

TEST(Nquad, SamplerIntegrandSeesWholeRulesAndMatchesPointwiseExactly) {
    /* f(x0, x1, a) = exp(-a (x0^2 + x1^2)) cos(x0 x1), with a = 0.7 an argument. */
    auto pointwise = [](const double *x, std::size_t) {
        return std::exp(-x[2] * (x[0] * x[0] + x[1] * x[1])) * std::cos(x[0] * x[1]);
    };
    std::size_t calls = 0, points = 0, count_seen = 0;
    auto sampler = [&](double *x, std::size_t count, const double *t, double *ft, std::size_t n) {
        ++calls;
        points += n;
        count_seen = count;
        for (std::size_t i = 0; i < n; ++i) {
            x[0] = t[i];
            ft[i] = pointwise(x, count);
        }
    };
    std::vector<ni::NquadLevel> levels{constant_level(0, 1), constant_level(-1, 2)};
    ni::NquadResult expected = ni::nquad(pointwise, levels, {0.7});
    ni::NquadResult r = ni::nquad(ni::MultiIntegrand::from_sampler(sampler), levels, {0.7});
    EXPECT_EQ(r.value, expected.value);
    EXPECT_EQ(r.abserr, expected.abserr);
    EXPECT_EQ(r.neval, expected.neval);
    EXPECT_EQ(static_cast<long long>(points), r.neval);
    EXPECT_EQ(count_seen, 3u);  // x0, x1, a
    EXPECT_EQ(points, calls * 21);  // one call per 21-point rule of the innermost level
}

/* A sampler that also offers f(.., t, ..) + f(.., -t, ..): the innermost level over the
   whole real line asks for that sum and nothing else, with the same bits as without it;
   outer levels and other ranges never do. */
TEST(Nquad, AnInnermostWholeLineLevelAsksForMirroredSums) {
    auto pointwise = [](const double *x, std::size_t) {
        return std::exp(-x[2] * (x[0] * x[0] + x[1] * x[1])) * std::cos(x[0] - x[1]);
    };
    struct Mirroring {
        decltype(pointwise) &f;
        std::size_t plain = 0, mirrored = 0;
        void operator()(double *x, std::size_t count, const double *t, double *ft, std::size_t n) {
            plain += n;
            for (std::size_t i = 0; i < n; ++i) {
                x[0] = t[i];
                ft[i] = f(x, count);
            }
        }
        bool has_mirrored_sum() const { return true; }
        void mirrored_sum(double *x, std::size_t count, const double *t, double *ft, std::size_t n) {
            mirrored += n;
            for (std::size_t i = 0; i < n; ++i) {
                x[0] = t[i];
                ft[i] = f(x, count);
                x[0] = -t[i];
                ft[i] += f(x, count);
            }
        }
    };
    for (const auto &inner : {constant_level(-kInf, kInf), constant_level(-1.0, 2.0), constant_level(0.0, kInf)}) {
        std::vector<ni::NquadLevel> levels{inner, constant_level(-kInf, kInf)};
        Mirroring sampler{pointwise};
        ni::NquadResult r = ni::nquad(ni::MultiIntegrand::from_sampler(sampler), levels, {0.7});
        ni::NquadResult expected = ni::nquad(pointwise, levels, {0.7});
        EXPECT_EQ(r.value, expected.value);
        EXPECT_EQ(r.abserr, expected.abserr);
        EXPECT_EQ(r.neval, expected.neval);
        const bool whole_line = std::isinf(inner.lo) && std::isinf(inner.hi);
        /* Over the whole line each summed point stands for two evaluations (QUADPACK counts both). */
        EXPECT_EQ(static_cast<long long>(whole_line ? 2 * sampler.mirrored : sampler.plain), r.neval);
        EXPECT_EQ(whole_line ? sampler.plain : sampler.mirrored, 0u);
    }
}

TEST(Nquad, BreakPointsOutsideALevelsCurrentRangeAreIgnored) {
    auto f = [](const double *x, std::size_t) { return std::fabs(x[0] - 0.5); };
    ni::NquadLevel inner;
    inner.range = [](const double *outer, std::size_t) { return std::make_pair(0.0, outer[0]); };
    inner.spec.points = {0.5};
    ni::NquadResult r = ni::nquad(f, {inner, constant_level(0.25, 1.0)});
    /* ∫_{1/4}^{1} ∫_0^x |y - 1/2| dy dx in closed form. */
    auto inner_integral = [](double x) {
        return x <= 0.5 ? (0.5 * x - 0.5 * x * x) : (0.125 + 0.5 * (x - 0.5) * (x - 0.5));
    };
    double exact = ni::qags(inner_integral, 0.25, 1.0).value;
    EXPECT_NEAR(r.value, exact, 1e-12);
}

/* nquad reuses pooled workspaces across calls and levels: a repeat, and an
   nquad started from inside another's integrand, must give exactly what
   nesting qags by hand with fresh workspaces gives. */
TEST(Nquad, PooledWorkspacesGiveTheResultsOfFreshOnes) {
    auto g = [](double x, double y) { return std::exp(-x * x - 2.0 * y * y) * std::cos(3.0 * x * y); };
    auto by_hand = [&](double lo, double hi) {
        auto outer = [&](double y) { return ni::qags([&](double x) { return g(x, y); }, lo, hi).value; };
        return ni::qags(outer, 0.0, 1.0).value;
    };
    auto f = [&](const double *x, std::size_t) { return g(x[0], x[1]); };
    std::vector<ni::NquadLevel> levels{constant_level(-1, 2), constant_level(0, 1)};
    const double expected = by_hand(-1.0, 2.0);
    for (int repeat = 0; repeat < 3; ++repeat) EXPECT_EQ(ni::nquad(f, levels).value, expected);

    /* The outer nquad's workspaces are in use while the inner one runs. */
    double inner_value = 0.0;
    auto nesting = [&](const double *x, std::size_t) {
        if (x[0] == 0.0 && inner_value == 0.0) inner_value = ni::nquad(f, levels).value;
        return g(x[0], x[1]);
    };
    std::vector<ni::NquadLevel> symmetric{constant_level(-1, 1), constant_level(0, 1)};
    EXPECT_EQ(ni::nquad(nesting, symmetric).value, by_hand(-1.0, 1.0));
    EXPECT_EQ(inner_value, expected);
}

TEST(PooledWorkspace, NestedBorrowsAreDistinctAndReleasedOnesAreReused) {
    ni::Workspace *first = nullptr;
    {
        ni::PooledWorkspace outer;
        ni::PooledWorkspace inner;
        EXPECT_NE(&*outer, &*inner);
        first = &*outer;
    }
    /* `inner` went back first, then `outer`: the last returned is handed out first. */
    ni::PooledWorkspace again;
    EXPECT_EQ(&*again, first);
}

TEST(Nquad, InvalidOptionsThrowAndIntegrandErrorsPropagate) {
    auto f = [](const double *, std::size_t) { return 1.0; };
    ni::NquadLevel bad = constant_level(0, 1);
    bad.spec.options.limit = 0;
    EXPECT_THROW(ni::nquad(f, {bad}), nativecall::InvalidArgument);
    /* The error carries the level, its options and its range, for a front end's message. */
    try {
        ni::nquad(f, {constant_level(0, 1), bad, constant_level(2, 5)});
        ADD_FAILURE() << "invalid options were accepted";
    } catch (const ni::InvalidLevelOptions &e) {
        EXPECT_EQ(e.level, 1u);
        EXPECT_EQ(e.spec.options.limit, 0);
        EXPECT_EQ(e.lo, 0.0);
        EXPECT_EQ(e.hi, 1.0);
    }
    EXPECT_THROW(ni::nquad(f, {}), nativecall::InvalidArgument);
    /* Each level's quads share a pooled workspace: no moments of the caller's to reuse. */
    ni::NquadLevel reusing = constant_level(0, 1);
    reusing.spec.weight = ni::Weight::Cos;
    reusing.spec.wvar[0] = 5.0;
    reusing.spec.reuse_moments = true;
    EXPECT_THROW(ni::nquad(f, {reusing}), nativecall::InvalidArgument);
    ni::NquadLevel reusing_at = constant_level(0, 1);
    reusing_at.spec_at = [&reusing](const double *, std::size_t) { return reusing.spec; };
    EXPECT_THROW(ni::nquad(f, {constant_level(0, 1), reusing_at}), nativecall::InvalidArgument);
    auto failing = [](const double *, std::size_t) -> double { throw std::runtime_error("boom"); };
    EXPECT_THROW(ni::nquad(failing, {constant_level(0, 1), constant_level(0, 1)}), std::runtime_error);
}

class QuadBatch : public ::testing::TestWithParam<int> {};

TEST_P(QuadBatch, GaussiansMatchALoopOfQuadForAnyWorkerCount) {
    const int workers = GetParam();
    const std::size_t n = 257;
    std::vector<double> alpha(n), lo(1, -kInf), hi(1, kInf);
    for (std::size_t i = 0; i < n; ++i) alpha[i] = 0.1 + 9.9 * static_cast<double>(i) / (n - 1);
    auto f = [&alpha](std::size_t item, const double *x, double *fx, std::size_t m) {
        for (std::size_t k = 0; k < m; ++k) fx[k] = std::exp(-alpha[item] * x[k] * x[k]);
    };
    std::vector<double> value(n), abserr(n);
    std::vector<int> ier(n), neval(n);
    ni::quad_batch(ni::BatchIntegrand(f), 0, n, lo.data(), 0, hi.data(), 0, ni::QuadSpec{}, workers,
                   ni::BatchOutput{value.data(), abserr.data(), ier.data(), neval.data()});
    ni::Workspace work;
    for (std::size_t i = 0; i < n; ++i) {
        auto one = [&](double x) { return std::exp(-alpha[i] * x * x); };
        ni::QuadOutcome single = ni::quad(ni::Integrand(one), -kInf, kInf, ni::QuadSpec{}, work);
        EXPECT_EQ(value[i], single.result.value) << i;  // bitwise: same code, same order
        EXPECT_EQ(ier[i], 0);
        EXPECT_EQ(neval[i], single.result.neval);
        EXPECT_NEAR(value[i], std::sqrt(kPi / alpha[i]), 1e-8);
    }
}

TEST_P(QuadBatch, BoundSamplersAreSetUpOncePerItemAndMatchTheTypeErasedBatch) {
    /* quad_batch_bound: each item's sampler carries its parameter, made once per item. */
    const int workers = GetParam();
    const std::size_t n = 101;
    std::vector<double> alpha(n), lo(n), hi(1, kInf);
    for (std::size_t i = 0; i < n; ++i) {
        alpha[i] = 0.2 + 0.05 * static_cast<double>(i);
        lo[i] = -static_cast<double>(i % 7);
    }
    struct Item {
        double alpha;
        void operator()(const double *x, double *fx, std::size_t m) const {
            for (std::size_t k = 0; k < m; ++k) fx[k] = std::exp(-alpha * x[k] * x[k]);
        }
    };
    std::atomic<std::size_t> binds{0};
    auto bind = [&](std::size_t item) {
        ++binds;
        return Item{alpha[item]};
    };
    auto erased = [&alpha](std::size_t item, const double *x, double *fx, std::size_t m) { Item{alpha[item]}(x, fx, m); };
    std::vector<double> value(n), abserr(n), value_erased(n), abserr_erased(n);
    std::vector<int> ier(n), neval(n), ier_erased(n), neval_erased(n);
    ni::quad_batch_bound(bind, 0, n, lo.data(), 1, hi.data(), 0, ni::QuadSpec{}, workers,
                         ni::BatchOutput{value.data(), abserr.data(), ier.data(), neval.data()});
    ni::quad_batch(ni::BatchIntegrand(erased), 0, n, lo.data(), 1, hi.data(), 0, ni::QuadSpec{}, workers,
                   ni::BatchOutput{value_erased.data(), abserr_erased.data(), ier_erased.data(), neval_erased.data()});
    EXPECT_EQ(binds.load(), n);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(value[i], value_erased[i]) << i;
        EXPECT_EQ(abserr[i], abserr_erased[i]) << i;
        EXPECT_EQ(neval[i], neval_erased[i]) << i;
        EXPECT_EQ(ier[i], 0) << i;
        EXPECT_NEAR(value[i], 0.5 * std::sqrt(kPi / alpha[i]) * std::erfc(lo[i] * std::sqrt(alpha[i])), 1e-8) << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, QuadBatch, ::testing::Values(1, 2, 4));

TEST(QuadBatchErrors, ReusingMomentsIsInvalidAndNothingIsEvaluated) {
    /* Pooled workspaces hold other integrals' moments: results would depend on history. */
    std::atomic<int> calls{0};
    auto f = [&calls](std::size_t, const double *x, double *fx, std::size_t m) {
        ++calls;
        for (std::size_t k = 0; k < m; ++k) fx[k] = std::exp(-x[k]);
    };
    ni::QuadSpec spec;
    spec.weight = ni::Weight::Cos;
    spec.wvar[0] = 50.0;
    spec.reuse_moments = true;
    std::vector<double> a(4, 0.0), b(4, 3.0), value(4), abserr(4);
    std::vector<int> ier(4);
    for (int workers : {1, 2})
        EXPECT_THROW(ni::quad_batch(ni::BatchIntegrand(f), 0, 4, a.data(), 1, b.data(), 1, spec, workers,
                                    ni::BatchOutput{value.data(), abserr.data(), ier.data()}),
                     nativecall::InvalidArgument);
    EXPECT_EQ(calls.load(), 0);
}

TEST(QuadBatchErrors, AnInvalidItemIsNamed) {
    auto f = [](std::size_t, const double *x, double *fx, std::size_t m) {
        for (std::size_t k = 0; k < m; ++k) fx[k] = x[k];
    };
    ni::QuadSpec spec;
    spec.points = {0.5};
    std::vector<double> a(3, 0.0), b{1.0, 0.4, 2.0}, value(3), abserr(3);
    std::vector<int> ier(3);
    try {
        ni::quad_batch(ni::BatchIntegrand(f), 0, 3, a.data(), 1, b.data(), 1, spec, 1,
                       ni::BatchOutput{value.data(), abserr.data(), ier.data()});
        ADD_FAILURE() << "a break point outside item 1's range was accepted";
    } catch (const nativecall::InvalidArgument &e) {
        EXPECT_NE(std::string(e.what()).find("quad_batch: integral 1: break point 0.5"), std::string::npos)
            << e.what();
    }
}

TEST(QuadBatchErrors, ExceptionStopsTheBatch) {
    std::atomic<int> calls{0};
    auto f = [&calls](std::size_t item, const double *, double *fx, std::size_t m) {
        ++calls;
        if (item == 3) throw std::runtime_error("item 3 failed");
        for (std::size_t k = 0; k < m; ++k) fx[k] = 1.0;
    };
    std::vector<double> a(10, 0.0), b(10, 1.0), value(10), abserr(10);
    std::vector<int> ier(10);
    EXPECT_THROW(ni::quad_batch(ni::BatchIntegrand(f), 0, 10, a.data(), 1, b.data(), 1, ni::QuadSpec{}, 2,
                                ni::BatchOutput{value.data(), abserr.data(), ier.data()}),
                 std::runtime_error);
}

} // namespace
