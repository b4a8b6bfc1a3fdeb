// Adaptive bisection without extrapolation (QUADPACK's QAGE scheme), shared by QAWC and QAWS.
#pragma once

#include <functional>

#include "gauss_kronrod.h"
#include "nativecall/integrate/quadpack.h"

namespace nativecall::integrate::detail {

/* One bisection step's two halves and whether they take part in roundoff detection. */
struct HalvesResult {
    RuleResult left, right;
    int neval = 0;
    /* False when a rule's error estimate is not comparable across steps (a
       Clenshaw-Curtis interval, or one touching a singular end point). */
    bool roundoff_counts = true;
};

struct PlainBisection {
    /* Where to split [a, b] (the midpoint unless a weight's singularity calls for another point). */
    std::function<double(double a, double b)> split;
    /* The rule applied to both halves. */
    std::function<HalvesResult(double a1, double b1, double a2, double b2)> evaluate;
    /* QAWC flags roundoff only when both counters trip, QAWS when either does. */
    bool roundoff_needs_both = false;
    /* When roundoff and the subdivision limit show at the same step: QAWS reports
       roundoff, QAWC the limit. */
    bool roundoff_wins = false;
};

/* Continues from `intervals` intervals already in `work` (ordered in iord,
   their sums in `start.value`/`start.abserr`) until the error sum meets the
   tolerance, the limit is used up or roundoff is detected. */
Result bisect_plainly(const PlainBisection &scheme, const Options &options, Workspace &work, Result start);

} // namespace nativecall::integrate::detail
