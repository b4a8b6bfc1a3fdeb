// The QAGE-style bisection loop: bisect the largest error until the error sum meets the tolerance.
#include "plain_bisection.h"

#include <algorithm>
#include <cmath>

#include "subdivision.h"

namespace nativecall::integrate::detail {

Result bisect_plainly(const PlainBisection &scheme, const Options &options, Workspace &work, Result start) {
    Result out = start;
    const int limit = options.limit;
    int last = start.last;
    int maxerr = work.iord[0], nrmax = 0;
    double errmax = work.elist[maxerr];
    double area = start.value, errsum = start.abserr;
    int iroff1 = 0, iroff2 = 0, ier = 0;

    while (last < limit) {
        ++last;
        work.ensure(last);
        const double a1 = work.alist[maxerr], b2 = work.blist[maxerr];
        const double b1 = scheme.split(a1, b2), a2 = b1;
        HalvesResult halves = scheme.evaluate(a1, b1, a2, b2);
        out.neval += halves.neval;
        const double area12 = halves.left.result + halves.right.result;
        const double erro12 = halves.left.abserr + halves.right.abserr;
        errsum = errsum + erro12 - errmax;  // QUADPACK's association, kept for identical rounding
        area = area + area12 - work.rlist[maxerr];
        if (halves.roundoff_counts) {
            if (std::fabs(work.rlist[maxerr] - area12) < 1.0e-5 * std::fabs(area12) && erro12 >= 0.99 * errmax)
                ++iroff1;
            if (last > 10 && erro12 > errmax) ++iroff2;
        }
        const double errbnd = std::max(options.epsabs, options.epsrel * std::fabs(area));
        /* Not "errsum > errbnd": a NaN error sum must not pass as converged. */
        if (!(errsum <= errbnd)) {
            const bool roundoff = scheme.roundoff_needs_both ? (iroff1 >= 6 && iroff2 > 20)
                                                             : (iroff1 >= 6 || iroff2 >= 20);
            /* Which flag wins when both hold differs between QAWC (the limit) and QAWS (roundoff). */
            if (roundoff && !scheme.roundoff_wins) ier = RoundoffError;
            if (last == limit) ier = SubdivisionLimit;
            if (roundoff && scheme.roundoff_wins) ier = RoundoffError;
            if (too_small_to_bisect(a1, a2, b2)) ier = BadIntegrand;
        }
        store_halves(work, maxerr, last, a1, b1, halves.left.result, halves.left.abserr, a2, b2,
                     halves.right.result, halves.right.abserr);
        reorder_by_error(limit, last, maxerr, errmax, work.elist.data(), work.iord.data(), nrmax);
        if (ier != 0 || errsum <= errbnd) break;
    }
    out.value = sum_of_results(work, last);
    out.abserr = errsum;
    out.ier = ier;
    out.last = last;
    return out;
}

} // namespace nativecall::integrate::detail
