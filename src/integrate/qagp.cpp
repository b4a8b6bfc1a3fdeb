// QAGP: the range is first split at the user's break points, then bisected with extrapolation by depth.
#include <algorithm>
#include <cmath>
#include <limits>

#include "extrapolation.h"
#include "gauss_kronrod.h"
#include "subdivision.h"

namespace nativecall::integrate {

Result qagp(const Integrand &f, double a, double b, const std::vector<double> &points, const Options &options,
            Workspace &work) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    const int npts = static_cast<int>(points.size());
    const int nint = npts + 1;  // initial intervals
    work.prepare(options.limit);
    work.ensure(nint);
    work.ndin.assign(static_cast<std::size_t>(nint), 0);
    Result out;
    if (options.limit <= npts || detail::tolerances_invalid(options.epsabs, options.epsrel)) {
        out.ier = InvalidInput;
        return out;
    }
    const double sign = a > b ? -1.0 : 1.0;
    const double lo = std::min(a, b), hi = std::max(a, b);
    /* A NaN limit or break point is invalid, found before sorting (which NaN would
       leave in an unspecified order). */
    const auto is_nan = [](double v) { return std::isnan(v); };
    if (std::isnan(a) || std::isnan(b) || std::any_of(points.begin(), points.end(), is_nan)) {
        out.ier = InvalidInput;
        return out;
    }
    work.pts.assign(1, lo);
    work.pts.insert(work.pts.end(), points.begin(), points.end());
    work.pts.push_back(hi);
    std::sort(work.pts.begin(), work.pts.end());
    if (work.pts.front() != lo || work.pts.back() != hi) {
        out.ier = InvalidInput;
        return out;
    }

    double result = 0.0, abserr = 0.0, resabs = 0.0;
    for (int i = 0; i < nint; ++i) {
        detail::RuleResult r = detail::gauss_kronrod_21(f, work.pts[i], work.pts[i + 1]);
        result += r.result;
        abserr += r.abserr;
        resabs += r.resabs;
        /* An error equal to the whole deviation is no estimate at all; such
           intervals get the total error so they are bisected first. */
        work.ndin[i] = (r.abserr == r.resasc && r.abserr != 0.0) ? 1 : 0;
        work.alist[i] = work.pts[i];
        work.blist[i] = work.pts[i + 1];
        work.rlist[i] = r.result;
        work.elist[i] = r.abserr;
        work.level[i] = 0;
        work.iord[i] = i;
    }
    double errsum = 0.0;
    for (int i = 0; i < nint; ++i) {
        if (work.ndin[i] == 1) work.elist[i] = abserr;
        errsum += work.elist[i];
    }
    out.neval = detail::kGaussKronrod21Points * nint;
    out.last = nint;
    out.value = result * sign;
    out.abserr = abserr;

    double errbnd = std::max(options.epsabs, options.epsrel * std::fabs(result));
    if (abserr <= 100.0 * epmach * resabs && abserr > errbnd) out.ier = RoundoffError;
    if (nint > 1) {
        /* Order the initial intervals by decreasing error (few of them: selection sort). */
        for (int i = 0; i < nint - 1; ++i) {
            int best = work.iord[i], at = i;
            for (int j = i + 1; j < nint; ++j) {
                if (!(work.elist[best] > work.elist[work.iord[j]])) {   // QUADPACK's test: a NaN error moves up
                    best = work.iord[j];
                    at = j;
                }
            }
            if (best != work.iord[i]) {
                work.iord[at] = work.iord[i];
                work.iord[i] = best;
            }
        }
        if (options.limit < npts + 2) out.ier = SubdivisionLimit;
    }
    if (out.ier != 0 || abserr <= errbnd) return out;

    detail::InitialPass start;
    start.result = result;
    start.abserr = errsum;
    start.resabs = resabs;
    start.intervals = nint;
    start.neval = out.neval;
    start.first_large_depth = 1;
    start.first_bisection_seeds_table = false;
    start.extrapolation_converges_below = true;
    out = detail::bisect_and_extrapolate(detail::Kronrod21Rule{f}, options, work, start,
                                         detail::kGaussKronrod21Points);
    out.value *= sign;
    return out;
}

} // namespace nativecall::integrate
