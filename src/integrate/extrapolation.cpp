// Adaptive bisection with epsilon-algorithm extrapolation, the core of QAGS, QAGI and QAGP.
#include "extrapolation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "epsilon_table.h"
#include "subdivision.h"

namespace nativecall::integrate::detail {

Result bisect_and_extrapolate(const IntervalRule &rule, const Options &options, Workspace &work,
                              const InitialPass &start, int evals_per_rule) {
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
        const RuleResult left = rule(a1, b1), right = rule(a2, b2);
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
        if (ierro != 3 && erlarg > ertest) {
            /* The smallest intervals have the largest errors: bisect the large
               ones first, lowering erlarg, before extrapolating. */
            if (select_large_interval(work, limit, last, nrmax, maxerr, errmax,
                                      [&](int i) { return work.level[i] < large_depth; }))
                continue;
        }

        ExtrapolationStep step = extrapolation_step(table, area, errsum, erlarg, options, result, abserr, correc,
                                                    ertest, ktmin, noext, ier);
        if (step == ExtrapolationStep::Converged || step == ExtrapolationStep::RoundoffInTable) break;
        /* Go back to bisecting the largest-error interval, with a finer notion of "small". */
        maxerr = work.iord[0];
        errmax = work.elist[maxerr];
        nrmax = 0;
        extrap = false;
        ++large_depth;
        erlarg = errsum;
    }

    LoopState state;
    state.result = result;
    state.abserr = abserr;
    state.area = area;
    state.errsum = errsum;
    state.correc = correc;
    state.resabs = start.resabs;
    state.ier = ier;
    state.ierro = ierro;
    state.ksgn = ksgn;
    state.last = last;
    state.use_interval_sum = use_interval_sum;
    Result concluded = conclude_extrapolation(state, work, false);
    concluded.neval = out.neval;
    return concluded;
}

ExtrapolationStep extrapolation_step(EpsilonTable &table, double area, double errsum, double erlarg,
                                     const Options &options, double &result, double &abserr, double &correc,
                                     double &ertest, int &ktmin, bool &noext, int &ier) {
    if (table.size() + 1 <= 2) {
        table.push(area);
        return ExtrapolationStep::TablePushed;
    }
    EpsilonTable::Estimate estimate = table.extrapolate(area);
    ++ktmin;
    if (ktmin > 5 && abserr < 1.0e-3 * errsum) ier = 5;
    if (estimate.abserr < abserr) {
        ktmin = 0;
        abserr = estimate.abserr;
        result = estimate.value;
        correc = erlarg;
        ertest = std::max(options.epsabs, options.epsrel * std::fabs(estimate.value));
        if (abserr <= ertest) return ExtrapolationStep::Converged;
    }
    if (table.size() == 1) noext = true;
    return ier == 5 ? ExtrapolationStep::RoundoffInTable : ExtrapolationStep::Extrapolated;
}

Result conclude_extrapolation(LoopState s, const Workspace &work, bool divergence_test_inclusive) {
    constexpr double oflow = std::numeric_limits<double>::max();
    double result = s.result, abserr = s.abserr;
    int ier = s.ier;
    bool use_interval_sum = s.use_interval_sum;
    if (!use_interval_sum) {
        if (abserr == oflow || !s.extrapolated) {
            use_interval_sum = true;
        } else {
            bool test_divergence = true;
            if (ier + s.ierro != 0) {
                if (s.ierro == 3) abserr += s.correc;
                if (ier == 0) ier = 3;
                if (result != 0.0 && s.area != 0.0) {
                    if (abserr / std::fabs(result) > s.errsum / std::fabs(s.area)) use_interval_sum = true;
                } else if (abserr > s.errsum) {
                    use_interval_sum = true;
                } else if (s.area == 0.0) {
                    test_divergence = false;
                }
            }
            if (!use_interval_sum && test_divergence) {
                /* The extrapolated value and the plain sum disagree in magnitude,
                   or the error exceeds the sum: probably divergent. */
                if (!(s.ksgn == -1 && std::max(std::fabs(result), std::fabs(s.area)) <= s.resabs * 0.01)) {
                    double ratio = result / s.area;
                    bool error_too_big = divergence_test_inclusive ? s.errsum >= std::fabs(s.area)
                                                                   : s.errsum > std::fabs(s.area);
                    if (0.01 > ratio || ratio > 100.0 || error_too_big) ier = 6;
                }
            }
        }
    }
    if (use_interval_sum) {
        result = sum_of_results(work, s.last);
        abserr = s.errsum;
    }
    /* Internally 3 marks roundoff in the extrapolation table; QUADPACK folds
       the codes above 2 down by one for the caller. */
    if (ier > 2) --ier;
    Result out;
    out.value = result;
    out.abserr = abserr;
    out.ier = ier;
    out.last = s.last;
    return out;
}

} // namespace nativecall::integrate::detail
