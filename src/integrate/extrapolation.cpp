// Adaptive bisection with epsilon-algorithm extrapolation, the core of QAGS, QAGI and QAGP.
#include "extrapolation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "epsilon_table.h"
#include "subdivision.h"

namespace nativecall::integrate::detail {

ExtrapolationStep extrapolation_step(EpsilonTable &table, double area, double errsum, double erlarg,
                                     const Options &options, double &result, double &abserr, double &correc,
                                     double &ertest, int &ktmin, bool &noext, int &ier, bool converges_below) {
    if (table.size() + 1 <= 2) {
        table.push(area);
        return ExtrapolationStep::TablePushed;
    }
    EpsilonTable::Estimate estimate = table.extrapolate(area);
    ++ktmin;
    if (ktmin > 5 && abserr < 1.0e-3 * errsum) ier = 5;
    /* QUADPACK keeps the estimate unless its error is not smaller ("abseps >= abserr"),
       so a NaN error estimate is taken, as there. */
    if (!(estimate.abserr >= abserr)) {
        ktmin = 0;
        abserr = estimate.abserr;
        result = estimate.value;
        correc = erlarg;
        ertest = std::max(options.epsabs, options.epsrel * std::fabs(estimate.value));
        if (converges_below ? abserr < ertest : abserr <= ertest) return ExtrapolationStep::Converged;
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
                if (!(s.ksgn == -1 && std::fmax(std::fabs(result), std::fabs(s.area)) <= s.resabs * 0.01)) {
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
