// QAGS (finite range) and QAGI (infinite range): one global rule pass, then bisection with extrapolation.
#include <algorithm>
#include <cmath>
#include <limits>

#include "extrapolation.h"
#include "gauss_kronrod.h"
#include "subdivision.h"

namespace nativecall::integrate {

namespace {

/* The first application of the rule over the whole range and QUADPACK's
   early exits; on success hands over to the shared bisection loop. */
template <class Rule>
Result integrate_from_single_interval(const Rule &rule, double a, double b,
                                      const Options &options, Workspace &work, int evals_per_rule) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    work.prepare(options.limit);
    work.alist[0] = a;
    work.blist[0] = b;
    Result out;
    if (detail::tolerances_invalid(options.epsabs, options.epsrel) || options.limit < 1) {
        out.ier = InvalidInput;
        return out;
    }
    detail::RuleResult first = rule(a, b);
    out.neval = evals_per_rule;
    out.last = 1;
    out.value = first.result;
    out.abserr = first.abserr;
    work.rlist[0] = first.result;
    work.elist[0] = first.abserr;
    work.iord[0] = 0;
    work.level[0] = 0;

    double errbnd = std::max(options.epsabs, options.epsrel * std::fabs(first.result));
    if (first.abserr <= 100.0 * epmach * first.resabs && first.abserr > errbnd) out.ier = RoundoffError;
    if (options.limit == 1) out.ier = SubdivisionLimit;
    /* abserr == resasc means the error estimate is unreliable (it is the
       whole deviation of f), so a small value does not count as converged. */
    if (out.ier != 0 || (first.abserr <= errbnd && first.abserr != first.resasc) || first.abserr == 0.0)
        return out;

    detail::InitialPass start;
    start.result = first.result;
    start.abserr = first.abserr;
    start.resabs = first.resabs;
    start.intervals = 1;
    start.neval = evals_per_rule;
    start.first_large_depth = 2;
    start.first_bisection_seeds_table = true;
    return detail::bisect_and_extrapolate(rule, options, work, start, evals_per_rule);
}

} // namespace

Result qags(const Integrand &f, double a, double b, const Options &options, Workspace &work) {
    return integrate_from_single_interval(detail::Kronrod21Rule{f}, a, b, options, work,
                                          detail::kGaussKronrod21Points);
}

Result qagi(const Integrand &f, double bound, int inf, const Options &options, Workspace &work) {
    if (inf != 1 && inf != -1 && inf != 2) {
        work.prepare(options.limit);
        Result out;
        out.ier = InvalidInput;
        return out;
    }
    if (inf == 2) bound = 0.0;
    /* Both halves of the real line are sampled when inf == 2. */
    int evals = detail::kGaussKronrod15Points * (inf == 2 ? 2 : 1);
    return integrate_from_single_interval(detail::Kronrod15InfiniteRule{f, bound, inf}, 0.0, 1.0, options, work,
                                          evals);
}

} // namespace nativecall::integrate
