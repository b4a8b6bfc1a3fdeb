// The bisection-with-extrapolation loop that QAGS, QAGI and QAGP share.
#pragma once

#include <cmath>
#include <functional>

#include "epsilon_table.h"
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

/* QUADPACK's roundoff counters for an extrapolating loop. Roundoff shows when
   bisection no longer changes the estimate while the error does not drop
   (counted apart before and while extrapolating), or when the error grows. */
struct RoundoffWatch {
    int iroff1 = 0, iroff2 = 0, iroff3 = 0;

    /* One bisection: the interval's estimate `previous` (error `errmax`) became
       the halves' sum `area12` (error `erro12`); `last` intervals now exist. */
    void note(const RuleResult &left, const RuleResult &right, double previous, double area12, double erro12,
              double errmax, int last, bool extrapolating) {
        if (left.resasc == left.abserr || right.resasc == right.abserr) return;
        if (std::fabs(previous - area12) <= 1.0e-5 * std::fabs(area12) && erro12 >= 0.99 * errmax) {
            if (extrapolating)
                ++iroff2;
            else
                ++iroff1;
        }
        if (last > 10 && erro12 > errmax) ++iroff3;
    }

    /* ier 2 when roundoff stops progress; ierro 3 when it spoils extrapolation. */
    void judge(int &ier, int &ierro) const {
        if (iroff1 + iroff2 >= 10 || iroff3 >= 20) ier = 2;
        if (iroff2 >= 5) ierro = 3;
    }
};

/* Where one extrapolation step leaves the loop. */
enum class ExtrapolationStep {
    TablePushed,      // the table was too short: `area` was added, nothing extrapolated
    Extrapolated,     // extrapolated; go on bisecting
    Converged,        // the extrapolated error met the tolerance: stop
    RoundoffInTable,  // ier 5: stop
};

/* QUADPACK's extrapolation step, shared by QAGS, QAGI, QAGP and QAWO. With
   fewer than two sums in the table, add `area`. Otherwise extrapolate the
   sequence of sums, keep the estimate when its error beats the best so far
   (`result`, `abserr`; noting `correc` = erlarg and the new tolerance
   `ertest`), and count steps without improvement in `ktmin`: more than five
   while the error is already small means roundoff in the table (ier 5). A
   table that collapsed to one element sets `noext`. */
ExtrapolationStep extrapolation_step(EpsilonTable &table, double area, double errsum, double erlarg,
                                     const Options &options, double &result, double &abserr, double &correc,
                                     double &ertest, int &ktmin, bool &noext, int &ier);

/* While extrapolating, the largest errors should sit on small intervals: walk
   the error order from position `nrmax` for an interval that `is_large`
   still holds, within QUADPACK's bound on how far to look. When one is found
   it becomes `maxerr`/`errmax` and the loop bisects it before extrapolating
   (returns true). */
template <class IsLarge>
bool select_large_interval(const Workspace &work, int limit, int last, int &nrmax, int &maxerr, double &errmax,
                           IsLarge is_large) {
    int bottom = last;
    if (last > 2 + limit / 2) bottom = limit + 3 - last;
    for (int k = nrmax + 1; k <= bottom; ++k) {
        maxerr = work.iord[nrmax];
        errmax = work.elist[maxerr];
        if (is_large(maxerr)) return true;
        ++nrmax;
    }
    return false;
}

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
