// The infinite-range rule against a scalar transcription of QUADPACK's qk15i, rules on both halves of an interval in one call, and the error scaling's pow, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "gauss_kronrod.h"

namespace ni = nativecall::integrate;
namespace nd = nativecall::integrate::detail;

namespace {

/* qk15i as published: one abscissa pair at a time, f called point by point, the
   Gauss weights listed with zeros at the Kronrod-only nodes. The oracle for the
   vectorised rule, which must round every sum the same way. */
nd::RuleResult reference_qk15i(double (*f)(double), double boun, int inf, double a, double b) {
    static const double xgk[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                  0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                  0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                  0.207784955007898467600689403773245, 0.0};
    static const double wgk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                  0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                  0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                  0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
    static const double wg[8] = {0.0, 0.129484966168869693270611432679082, 0.0, 0.279705391489276667901467771423780,
                                 0.0, 0.381830050505118944950369775488975, 0.0, 0.417959183673469387755102040816327};
    const double dinf = std::min(1, inf);
    const double centr = 0.5 * (a + b), hlgth = 0.5 * (b - a);
    const double tabsc1 = boun + dinf * (1.0 - centr) / centr;
    double fval1 = f(tabsc1);
    if (inf == 2) fval1 += f(-tabsc1);
    const double fc = (fval1 / centr) / centr;
    double resg = wg[7] * fc, resk = wgk[7] * fc, resabs = std::fabs(resk);
    double fv1[7], fv2[7];
    for (int j = 0; j < 7; ++j) {
        const double absc = hlgth * xgk[j], absc1 = centr - absc, absc2 = centr + absc;
        const double t1 = boun + dinf * (1.0 - absc1) / absc1, t2 = boun + dinf * (1.0 - absc2) / absc2;
        double v1 = f(t1), v2 = f(t2);
        if (inf == 2) v1 += f(-t1);
        if (inf == 2) v2 += f(-t2);
        v1 = (v1 / absc1) / absc1;
        v2 = (v2 / absc2) / absc2;
        fv1[j] = v1;
        fv2[j] = v2;
        const double fsum = v1 + v2;
        if (wg[j] != 0.0) resg += wg[j] * fsum;   // QUADPACK adds 0 * fsum here
        resk += wgk[j] * fsum;
        resabs += wgk[j] * (std::fabs(v1) + std::fabs(v2));
    }
    const double reskh = resk * 0.5;
    double resasc = wgk[7] * std::fabs(fc - reskh);
    for (int j = 0; j < 7; ++j) resasc += wgk[j] * (std::fabs(fv1[j] - reskh) + std::fabs(fv2[j] - reskh));
    nd::RuleResult r;
    r.result = resk * hlgth;
    r.resasc = resasc * hlgth;
    r.resabs = resabs * hlgth;
    r.abserr = std::fabs((resk - resg) * hlgth);
    constexpr double epmach = std::numeric_limits<double>::epsilon(), uflow = std::numeric_limits<double>::min();
    if (r.resasc != 0.0 && r.abserr != 0.0)
        r.abserr = r.resasc * std::min(1.0, std::pow(200.0 * r.abserr / r.resasc, 1.5));
    if (r.resabs > uflow / (50.0 * epmach)) r.abserr = std::max(epmach * 50.0 * r.resabs, r.abserr);
    return r;
}

double gaussian(double x) { return std::exp(-0.37 * x * x); }
double lorentz(double x) { return 1.0 / (1.0 + (x - 0.4) * (x - 0.4)); }
double skewed(double x) { return x > 0.0 ? std::exp(-x) * std::sin(3.0 * x) : std::exp(2.0 * x) * x * x; }

/* The same four numbers, bit for bit (NaN matching NaN). */
::testing::AssertionResult same_rule(const nd::RuleResult &got, const nd::RuleResult &expected) {
    auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    if (same(got.result, expected.result) && same(got.abserr, expected.abserr) && same(got.resabs, expected.resabs) &&
        same(got.resasc, expected.resasc))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got (" << got.result << ", " << got.abserr << ", " << got.resabs << ", "
                                         << got.resasc << "), expected (" << expected.result << ", " << expected.abserr
                                         << ", " << expected.resabs << ", " << expected.resasc << ")";
}

TEST(GaussKronrodInfinite, MatchesQk15iBitForBitOnEveryHalfAndTheWholeLine) {
    std::mt19937_64 rng(20261127);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    double (*integrands[])(double) = {gaussian, lorentz, skewed};
    for (double (*f)(double) : integrands) {
        auto call = [f](double x) { return f(x); };
        for (int inf : {1, -1, 2}) {
            for (int trial = 0; trial < 300; ++trial) {
                /* Subintervals of (0, 1] as bisection makes them, some tiny, and the whole range. */
                double a = trial == 0 ? 0.0 : unit(rng), b = trial == 0 ? 1.0 : unit(rng);
                if (trial % 3 == 1) b = a + std::ldexp(unit(rng), -int(40 * unit(rng)));
                if (a > b) std::swap(a, b);
                if (a == b || b > 1.0) continue;
                const double bound = inf == 2 ? 0.0 : 4.0 * unit(rng) - 2.0;
                nd::RuleResult ours = nd::gauss_kronrod_15_infinite(ni::Integrand(call), bound, inf, a, b);
                ASSERT_TRUE(same_rule(ours, reference_qk15i(f, bound, inf, a, b)))
                    << "inf " << inf << " on [" << a << ", " << b << "]";
                /* Both halves in one call give what each half gives alone. */
                const double middle = 0.5 * (a + b);
                nd::RuleResult left, right;
                nd::gauss_kronrod_15_infinite_halves(ni::Integrand(call), bound, inf, a, middle, b, left, right);
                for (auto [half, lo, hi] : {std::tuple{left, a, middle}, std::tuple{right, middle, b}}) {
                    ASSERT_TRUE(same_rule(half, reference_qk15i(f, bound, inf, lo, hi)))
                        << "inf " << inf << " on [" << lo << ", " << hi << "]";
                }
            }
        }
    }
}

/* The points of one call for inf = 2: each point's mirror, and no point twice (the
   order within the call is the rule's own). */
void expect_mirrored(std::vector<double> xs) {
    std::vector<double> mirrored;
    for (double x : xs) mirrored.push_back(-x);
    std::sort(xs.begin(), xs.end());
    std::sort(mirrored.begin(), mirrored.end());
    EXPECT_EQ(xs, mirrored);
    EXPECT_EQ(std::adjacent_find(xs.begin(), xs.end()), xs.end()) << "a point sampled twice";
}

TEST(GaussKronrodInfinite, TheWholeLineSamplesBothHalvesInOneCall) {
    /* 30 points in a single call for inf = 2, mirrored: x and -x. */
    int calls = 0;
    std::size_t points = 0;
    double xs[64];
    auto sampler = [&](const double *x, double *fx, std::size_t n) {
        ++calls;
        for (std::size_t i = 0; i < n && points + i < 64; ++i) xs[points + i] = x[i];
        points += n;
        for (std::size_t i = 0; i < n; ++i) fx[i] = gaussian(x[i]);
    };
    nd::RuleResult r = nd::gauss_kronrod_15_infinite(ni::Integrand::from_sampler(sampler), 0.0, 2, 0.25, 0.75);
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(points, 30u);
    expect_mirrored(std::vector<double>(xs, xs + 30));
    nd::RuleResult ref = reference_qk15i(gaussian, 0.0, 2, 0.25, 0.75);
    EXPECT_EQ(r.result, ref.result);
    EXPECT_EQ(r.abserr, ref.abserr);
}

TEST(GaussKronrodInfinite, BothHalvesInOneCallMirrorEveryPoint) {
    /* 60 points in a single call for inf = 2: the 30 of the two halves and their mirrors. */
    std::vector<double> xs;
    int calls = 0;
    auto sampler = [&](const double *x, double *fx, std::size_t n) {
        ++calls;
        xs.assign(x, x + n);
        for (std::size_t i = 0; i < n; ++i) fx[i] = gaussian(x[i]);
    };
    nd::RuleResult left, right;
    nd::gauss_kronrod_15_infinite_halves(ni::Integrand::from_sampler(sampler), 0.0, 2, 0.25, 0.5, 0.75, left, right);
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(xs.size(), 60u);
    expect_mirrored(xs);
}

double with_nan_tail(double x) { return x > 30.0 ? std::numeric_limits<double>::quiet_NaN() : std::exp(-0.01 * x * x); }

/* A sampler of f that also offers f(x) + f(-x) (Integrand::from_sampler finds it),
   counting which of the two the rules ask for and keeping the points they pass. */
struct MirroringSampler {
    double (*f)(double);
    int plain_calls = 0, mirrored_calls = 0;
    std::vector<double> points;
    void operator()(const double *x, double *fx, std::size_t n) {
        ++plain_calls;
        for (std::size_t i = 0; i < n; ++i) fx[i] = f(x[i]);
    }
    bool has_mirrored_sum() const { return true; }
    void mirrored_sum(const double *x, double *fx, std::size_t n) {
        ++mirrored_calls;
        points.assign(x, x + n);
        for (std::size_t i = 0; i < n; ++i) fx[i] = f(x[i]) + f(-x[i]);
    }
};

TEST(GaussKronrodInfinite, AMirroredSumGivesQk15iBitForBitFromHalfThePoints) {
    std::mt19937_64 rng(20261128);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    double (*integrands[])(double) = {gaussian, lorentz, skewed, with_nan_tail};
    for (double (*f)(double) : integrands) {
        for (int trial = 0; trial < 200; ++trial) {
            double a = trial == 0 ? 0.0 : unit(rng), b = trial == 0 ? 1.0 : unit(rng);
            if (trial % 3 == 1) b = a + std::ldexp(unit(rng), -int(40 * unit(rng)));
            if (a > b) std::swap(a, b);
            if (a == b || b > 1.0) continue;
            MirroringSampler one{f};
            nd::RuleResult whole = nd::gauss_kronrod_15_infinite(ni::Integrand::from_sampler(one), 0.0, 2, a, b);
            ASSERT_TRUE(same_rule(whole, reference_qk15i(f, 0.0, 2, a, b))) << "on [" << a << ", " << b << "]";
            EXPECT_EQ(one.plain_calls, 0);
            EXPECT_EQ(one.mirrored_calls, 1);
            EXPECT_EQ(one.points.size(), 15u);
            const double middle = 0.5 * (a + b);
            MirroringSampler both{f};
            nd::RuleResult left, right;
            nd::gauss_kronrod_15_infinite_halves(ni::Integrand::from_sampler(both), 0.0, 2, a, middle, b, left, right);
            ASSERT_TRUE(same_rule(left, reference_qk15i(f, 0.0, 2, a, middle))) << "on [" << a << ", " << middle << "]";
            ASSERT_TRUE(same_rule(right, reference_qk15i(f, 0.0, 2, middle, b))) << "on [" << middle << ", " << b << "]";
            EXPECT_EQ(both.plain_calls, 0);
            EXPECT_EQ(both.mirrored_calls, 1);
            EXPECT_EQ(both.points.size(), 30u);
            /* Each point once, on the positive half only (the mirrors are the integrand's business). */
            for (double x : both.points) EXPECT_GE(x, 0.0);
            std::sort(both.points.begin(), both.points.end());
            EXPECT_EQ(std::adjacent_find(both.points.begin(), both.points.end()), both.points.end());
        }
    }
    /* One-sided ranges have no mirrors: the plain entry serves them. */
    for (int inf : {1, -1}) {
        MirroringSampler one{gaussian};
        nd::RuleResult r = nd::gauss_kronrod_15_infinite(ni::Integrand::from_sampler(one), 0.5, inf, 0.25, 0.75);
        EXPECT_TRUE(same_rule(r, reference_qk15i(gaussian, 0.5, inf, 0.25, 0.75)));
        EXPECT_EQ(one.mirrored_calls, 0);
        EXPECT_EQ(one.plain_calls, 1);
    }
}

TEST(GaussKronrod21, BothHalvesInOneCallEqualEachHalfAlone) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> unit(-3.0, 3.0);
    double (*integrands[])(double) = {gaussian, lorentz, skewed};
    for (double (*f)(double) : integrands) {
        auto call = [f](double x) { return f(x); };
        for (int trial = 0; trial < 200; ++trial) {
            double a = unit(rng), b = unit(rng);
            if (trial % 3 == 1) b = a + std::ldexp(std::fabs(unit(rng)), -int(10 * std::fabs(unit(rng))));
            const double middle = 0.5 * (a + b);
            nd::RuleResult left, right;
            nd::gauss_kronrod_21_halves(ni::Integrand(call), a, middle, b, left, right);
            for (auto [half, lo, hi] : {std::tuple{left, a, middle}, std::tuple{right, middle, b}}) {
                nd::RuleResult alone = nd::gauss_kronrod_21(ni::Integrand(call), lo, hi);
                ASSERT_EQ(half.result, alone.result) << "[" << lo << ", " << hi << "]";
                ASSERT_EQ(half.abserr, alone.abserr) << "[" << lo << ", " << hi << "]";
                ASSERT_EQ(half.resabs, alone.resabs) << "[" << lo << ", " << hi << "]";
                ASSERT_EQ(half.resasc, alone.resasc) << "[" << lo << ", " << hi << "]";
            }
        }
    }
}

TEST(PowThreeHalves, EqualsTheLibraryPowEverywhere) {
    /* Log-uniform over the range the error scaling meets, uniform near 1, and
       the edges of the shortcut: every value must be the library's to the bit. */
    std::mt19937_64 rng(15);
    std::uniform_real_distribution<double> exponent(-520.0, 0.0), unit(0.0, 1.0);
    for (int i = 0; i < 400000; ++i) {
        const double q = i % 2 ? std::exp2(exponent(rng)) : unit(rng);
        ASSERT_EQ(nd::pow_three_halves(q), std::pow(q, 1.5)) << std::hexfloat << q;
    }
    const double inf = std::numeric_limits<double>::infinity();
    for (double q : {0.0, 0x1p-500, std::nextafter(0x1p-500, 0.0), 0.25, 0.5, std::nextafter(1.0, 0.0), 1.0, 2.0, inf,
                     std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min()})
        EXPECT_EQ(nd::pow_three_halves(q), std::pow(q, 1.5)) << std::hexfloat << q;
    EXPECT_TRUE(std::isnan(nd::pow_three_halves(std::nan(""))));
}

} // namespace
