// The bisection-with-extrapolation loop that QAGS, QAGI and QAGP share.
#pragma once

#include <functional>

#include "gauss_kronrod.h"
#include "nativecall/integrate/quadpack.h"

namespace nativecall::integrate::detail {

/* A rule applied to one subinterval (Gauss-Kronrod 21, or 15 on the mapped infinite range). */
using IntervalRule = std::function<RuleResult(double a, double b)>;

/* The state after a routine's first pass over its initial intervals. */
struct InitialPass {
    double result = 0.0;  // sum of the first estimates
    double abserr = 0.0;  // sum of their errors (QUADPACK's errsum at start)
    double resabs = 0.0;  // the rule applied to |f| over the whole range (defabs)
    int intervals = 1;    // initial intervals in the workspace, ordered in iord
    int neval = 0;        // integrand evaluations so far
    /* Bisection depth below which an interval counts as "large" while the
       error is being spread over the small ones: QAGS and QAGI start with
       intervals up to depth 1 large (length > 3/8 of the range), QAGP with
       only its initial intervals large. */
    int first_large_depth = 2;
    /* QAGS and QAGI record the estimate after the first bisection as the
       second table element; QAGP starts extrapolating from its first pass. */
    bool first_bisection_seeds_table = true;
};

/* Bisects the interval with the largest error until the tolerance is met,
   and, once the largest errors sit on the smallest intervals, extrapolates
   the sequence of sums with the epsilon algorithm (QAGS's scheme). Fills
   `work` and returns QUADPACK's final ier, value and error. `evals_per_rule`
   is the number of integrand evaluations one rule application costs. */
Result bisect_and_extrapolate(const IntervalRule &rule, const Options &options, Workspace &work,
                              const InitialPass &start, int evals_per_rule);

/* QUADPACK's closing step after an extrapolating loop: choose between the
   extrapolated value (`result`, `abserr`) and the plain sum of the intervals
   (`area`, `errsum`), apply the divergence test and fold the internal codes
   down. `use_interval_sum` is true when the loop stopped because the error
   sum met the tolerance. */
struct LoopState {
    double result = 0.0, abserr = 0.0, area = 0.0, errsum = 0.0, correc = 0.0;
    double resabs = 0.0;  // the rule applied to |f| over the whole range
    int ier = 0, ierro = 0, ksgn = 1, last = 0;
    bool use_interval_sum = false;
    bool extrapolated = true;  // false when the epsilon table was never used
};
Result conclude_extrapolation(LoopState state, const Workspace &work, bool divergence_test_inclusive);

} // namespace nativecall::integrate::detail
