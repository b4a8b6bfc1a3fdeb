// QAWC: Cauchy principal value of ∫ f(x) / (x - c) dx, with a modified Clenshaw-Curtis rule near c.
#include <algorithm>
#include <cmath>
#include <limits>

#include "clenshaw_curtis.h"
#include "gauss_kronrod.h"
#include "plain_bisection.h"
#include "subdivision.h"

namespace nativecall::integrate {

namespace {

double cauchy_weight(double x, const double *c) { return 1.0 / (x - *c); }

/* One interval. Away from c (|c'| >= 1.1 on the mapped interval) the weight is
   smooth and the 15-point rule applies; otherwise f's Chebyshev expansion is
   integrated exactly against 1/(t - c'). `gauss_kronrod_used` reports which,
   since only Gauss-Kronrod errors take part in roundoff detection. */
detail::RuleResult cauchy_rule(const Integrand &f, double a, double b, double c, int &neval,
                               bool &reliable_gauss_kronrod) {
    const double cc = (2.0 * c - b - a) / (b - a);
    if (std::fabs(cc) >= 1.1) {   // QUADPACK's test: a NaN cc (overflowing ends) goes to Clenshaw-Curtis
        detail::RuleResult r = detail::gauss_kronrod_15_weighted(f, cauchy_weight, &c, a, b);
        neval += detail::kGaussKronrod15Points;
        reliable_gauss_kronrod = r.resasc != r.abserr;
        return r;
    }
    reliable_gauss_kronrod = false;
    double fx[detail::kClenshawCurtisPoints];
    detail::sample_clenshaw_curtis(f, 0.5 * (a + b), 0.5 * (b - a), fx);
    neval += detail::kClenshawCurtisPoints;
    detail::ChebyshevSeries series = detail::chebyshev_series(fx);
    /* Moments ∫_{-1}^{1} T_k(t) / (t - cc) dt by their three-term recurrence. */
    double moments[25];
    moments[0] = std::log(std::fabs((1.0 - cc) / (1.0 + cc)));
    moments[1] = 2.0 + cc * moments[0];
    /* T_k = 2t T_{k-1} - T_{k-2} gives M_k = 2 cc M_{k-1} - M_{k-2} + 2 ∫ T_{k-1},
       and ∫_{-1}^{1} T_n = 2 / (1 - n^2) for even n, 0 for odd n. */
    for (int k = 2; k < 25; ++k) {
        moments[k] = 2.0 * cc * moments[k - 1] - moments[k - 2];
        if (k % 2 == 1) moments[k] -= 4.0 / ((k - 1.0) * (k - 1.0) - 1.0);
    }
    detail::MomentSums sums = detail::integrate_against(series, moments);
    detail::RuleResult r;
    r.result = sums.sum24;
    r.abserr = std::fabs(sums.sum24 - sums.sum12);
    return r;
}

} // namespace

Result qawc(const Integrand &f, double a, double b, double c, const Options &options, Workspace &work) {
    work.prepare(options.limit);
    work.alist[0] = a;
    work.blist[0] = b;
    Result out;
    if (c == a || c == b || std::isnan(c) || options.limit < 1 ||
        detail::tolerances_invalid(options.epsabs, options.epsrel)) {
        out.ier = InvalidInput;
        return out;
    }
    const double lo = std::min(a, b), hi = std::max(a, b);
    bool reliable = false;
    detail::RuleResult first = cauchy_rule(f, lo, hi, c, out.neval, reliable);
    out.last = 1;
    out.value = first.result;
    out.abserr = first.abserr;
    work.rlist[0] = first.result;
    work.elist[0] = first.abserr;
    work.iord[0] = 0;
    const double errbnd = std::max(options.epsabs, options.epsrel * std::fabs(first.result));
    if (options.limit == 1) out.ier = SubdivisionLimit;
    /* fmin, as QUADPACK's min is taken: a NaN estimate leaves the tolerance. */
    bool done = first.abserr < std::fmin(0.01 * std::fabs(first.result), errbnd) || out.ier == SubdivisionLimit;
    if (!done) {
        work.alist[0] = lo;
        work.blist[0] = hi;
        detail::PlainBisection scheme;
        /* Never split at c itself: put c well inside one half so that half's
           Clenshaw-Curtis rule stays accurate. */
        scheme.split = [c](double x0, double x1) {
            double mid = 0.5 * (x0 + x1);
            if (c <= mid && c > x0) mid = 0.5 * (c + x1);
            if (c > mid && c < x1) mid = 0.5 * (x0 + c);
            return mid;
        };
        scheme.evaluate = [&f, c](double a1, double b1, double a2, double b2) {
            detail::HalvesResult h;
            bool left_ok = false, right_ok = false;
            h.left = cauchy_rule(f, a1, b1, c, h.neval, left_ok);
            h.right = cauchy_rule(f, a2, b2, c, h.neval, right_ok);
            h.roundoff_counts = left_ok && right_ok;
            return h;
        };
        scheme.roundoff_needs_both = true;
        out = detail::bisect_plainly(scheme, options, work, out);
    }
    if (a > b) out.value = -out.value;
    return out;
}

} // namespace nativecall::integrate
