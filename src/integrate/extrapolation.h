// The bisection-with-extrapolation loop that QAGS, QAGI and QAGP share.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "epsilon_table.h"
#include "gauss_kronrod.h"
#include "nativecall/integrate/quadpack.h"
#include "subdivision.h"

namespace nativecall::integrate::detail {


/* The rules the bisection loops apply, on one interval or on both halves of one.
   Here, not in gauss_kronrod.h: clang refuses a function that becomes multiversioned
   (target_clones) after a use in the same translation unit, as these inline calls are. */
struct Kronrod21Rule {
    const Integrand &f;
    RuleResult operator()(double a, double b) const { return gauss_kronrod_21(f, a, b); }
    void halves(double a, double middle, double b, RuleResult &left, RuleResult &right) const {
        gauss_kronrod_21_halves(f, a, middle, b, left, right);
    }
};

struct Kronrod15InfiniteRule {
    const Integrand &f;
    double bound;
    int inf;
    RuleResult operator()(double a, double b) const { return gauss_kronrod_15_infinite(f, bound, inf, a, b); }
    void halves(double a, double middle, double b, RuleResult &left, RuleResult &right) const {
        gauss_kronrod_15_infinite_halves(f, bound, inf, a, middle, b, left, right);
    }
};

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
    /* QAGP stops on an extrapolated error strictly below the tolerance, the others
       on one at or below it. */
    bool extrapolation_converges_below = false;
};

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
        /* QUADPACK's test as it is written, "neither changed nor improved": with a NaN
           estimate or error both comparisons are false, and the step counts as roundoff
           (a NaN integrand ends with ier 2, as scipy's does), which the reversed
           comparisons would not count. */
        if (!(std::fabs(previous - area12) > 1.0e-5 * std::fabs(area12) || erro12 < 0.99 * errmax)) {
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
   table that collapsed to one element sets `noext`. `converges_below`: stop
   only on an error strictly below `ertest` (QAGP's test). */
ExtrapolationStep extrapolation_step(EpsilonTable &table, double area, double errsum, double erlarg,
                                     const Options &options, double &result, double &abserr, double &correc,
                                     double &ertest, int &ktmin, bool &noext, int &ier,
                                     bool converges_below = false);

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
   sum met the tolerance. The loops fill it positionally, in this order. */
struct LoopState {
    double result = 0.0, abserr = 0.0, area = 0.0, errsum = 0.0, correc = 0.0;
    double resabs = 0.0;  // the rule applied to |f| over the whole range
    int ier = 0, ierro = 0, ksgn = 1, last = 0;
    bool use_interval_sum = false;
    bool extrapolated = true;  // false when the epsilon table was never used
};
Result conclude_extrapolation(LoopState state, const Workspace &work, bool divergence_test_inclusive);

/* Bisects the interval with the largest error until the tolerance is met,
   and, once the largest errors sit on the smallest intervals, extrapolates
   the sequence of sums with the epsilon algorithm (QAGS's scheme). Fills
   `work` and returns QUADPACK's final ier, value and error. `evals_per_rule`
   is the number of integrand evaluations one rule application costs.
   `rule(a, b)` applies the rule to one interval and `rule.halves(a, m, b, left,
   right)` to both halves of a bisected one (in one integrand call). */

template <class Rule>
Result bisect_and_extrapolate(const Rule &rule, const Options &options, Workspace &work, const InitialPass &start,
                              int evals_per_rule) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    constexpr double oflow = std::numeric_limits<double>::max();
    const double epsabs = options.epsabs, epsrel = options.epsrel;
    const int limit = options.limit;

    Result out;
    out.neval = start.neval;
    int last = start.intervals;

    double result = start.result;  // best estimate so far (extrapolated or not)
    double abserr = oflow;         // its error; oflow until an extrapolation succeeds
    double area = start.result;    // sum of the interval estimates
    double errsum = start.abserr;  // sum of the interval errors
    double errbnd = std::max(epsabs, epsrel * std::fabs(result));
    const int ksgn = std::fabs(result) >= (1.0 - 50.0 * epmach) * start.resabs ? 1 : -1;

    EpsilonTable table;
    table.reset();
    table.push(start.result);

    int maxerr = work.iord[0], nrmax = 0;
    double errmax = work.elist[maxerr];
    double erlarg = errsum;  // error over the "large" intervals
    double ertest = errbnd;  // tolerance the extrapolated value must meet
    double correc = 0.0;     // erlarg when the best extrapolation was made
    int large_depth = start.first_large_depth;
    int ktmin = 0;
    RoundoffWatch roundoff;
    int ier = 0, ierro = 0;
    bool extrap = false, noext = false;
    bool use_interval_sum = false;

    while (last < limit) {
        ++last;
        work.ensure(last);
        /* Bisect the interval with the largest error. */
        const int depth = work.level[maxerr] + 1;
        const double a1 = work.alist[maxerr], b2 = work.blist[maxerr];
        const double b1 = 0.5 * (a1 + b2), a2 = b1;
        const double erlast = errmax;
        RuleResult left, right;
        rule.halves(a1, b1, b2, left, right);
        out.neval += 2 * evals_per_rule;
        const double area12 = left.result + right.result;
        const double erro12 = left.abserr + right.abserr;
        errsum = errsum + erro12 - errmax;  // QUADPACK's association, kept for identical rounding
        area = area + area12 - work.rlist[maxerr];

        roundoff.note(left, right, work.rlist[maxerr], area12, erro12, errmax, last, extrap);
        work.level[maxerr] = depth;
        work.level[last - 1] = depth;
        errbnd = std::max(epsabs, epsrel * std::fabs(area));
        roundoff.judge(ier, ierro);
        if (last == limit) ier = 1;
        if (too_small_to_bisect(a1, a2, b2)) ier = 4;

        store_halves(work, maxerr, last, a1, b1, left.result, left.abserr, a2, b2, right.result,
                     right.abserr);
        reorder_by_error(limit, last, maxerr, errmax, work.elist.data(), work.iord.data(), nrmax);

        if (errsum <= errbnd) {
            use_interval_sum = true;
            break;
        }
        if (ier != 0) break;
        if (start.first_bisection_seeds_table && last == 2) {
            erlarg = errsum;
            ertest = errbnd;
            table.push(area);
            continue;
        }
        if (noext) continue;

        erlarg -= erlast;
        if (depth < large_depth) erlarg += erro12;
        if (!extrap) {
            /* Extrapolate only once the interval to bisect next is a small one. */
            if (work.level[maxerr] < large_depth) continue;
            extrap = true;
            nrmax = 1;
        }
        if (ierro != 3 && !(erlarg <= ertest)) {   // QUADPACK's test, which a NaN erlarg passes
            /* The smallest intervals have the largest errors: bisect the large
               ones first, lowering erlarg, before extrapolating. */
            if (select_large_interval(work, limit, last, nrmax, maxerr, errmax,
                                      [&](int i) { return work.level[i] < large_depth; }))
                continue;
        }

        ExtrapolationStep step = extrapolation_step(table, area, errsum, erlarg, options, result, abserr, correc,
                                                    ertest, ktmin, noext, ier, start.extrapolation_converges_below);
        if (step == ExtrapolationStep::Converged || step == ExtrapolationStep::RoundoffInTable) break;
        /* Go back to bisecting the largest-error interval, with a finer notion of "small". */
        maxerr = work.iord[0];
        errmax = work.elist[maxerr];
        nrmax = 0;
        extrap = false;
        ++large_depth;
        erlarg = errsum;
    }

    const LoopState state{result, abserr, area, errsum, correc, start.resabs, ier, ierro, ksgn, last,
                          use_interval_sum, /*extrapolated=*/true};
    Result concluded = conclude_extrapolation(state, work, false);
    concluded.neval = out.neval;
    return concluded;
}

} // namespace nativecall::integrate::detail
