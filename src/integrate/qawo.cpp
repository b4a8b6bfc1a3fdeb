// QAWO (∫_a^b f cos(ωx) or f sin(ωx)) and QAWF (the same on [a, ∞), cycle by cycle with extrapolation).
#include <algorithm>
#include <cmath>
#include <limits>

#include "clenshaw_curtis.h"
#include "epsilon_table.h"
#include "extrapolation.h"
#include "gauss_kronrod.h"
#include "oscillatory_moments.h"
#include "subdivision.h"

namespace nativecall::integrate {

namespace {

constexpr int kMomentsPerLevel = 25;

/* The weight for the 15-point rule: params = {omega, kind}. */
double fourier_weight(double x, const double *params) {
    return params[1] == 1.0 ? std::cos(params[0] * x) : std::sin(params[0] * x);
}

/* QUADPACK's qc25f: one interval at bisection depth `depth`. While ω times the
   half length is at most 2 the weight is gentle and the 15-point rule is used;
   otherwise f's Chebyshev expansion is integrated against the weight's moments,
   which depend only on the depth and are cached per depth in work.chebmo (up
   to maxp1 depths; deeper ones reuse the last row). `right_half` says the
   moments for this depth were just computed for the left half. */
detail::RuleResult fourier_rule(const Integrand &f, double a, double b, double omega, int kind, int depth,
                                int maxp1, bool right_half, Workspace &work, int &neval) {
    const double centre = 0.5 * (a + b), half = 0.5 * (b - a);
    const double p = omega * half;
    if (std::fabs(p) <= 2.0) {
        const double params[2] = {omega, static_cast<double>(kind)};
        neval += detail::kGaussKronrod15Points;
        return detail::gauss_kronrod_15_weighted(f, fourier_weight, params, a, b);
    }
    const int row = std::min(depth, work.momcom);  // momcom < maxp1, so row < maxp1
    const std::size_t row_end = static_cast<std::size_t>(row + 1) * kMomentsPerLevel;
    if (work.chebmo.size() < row_end) work.chebmo.resize(row_end, 0.0);
    if (!(depth < work.momcom || right_half))
        detail::oscillatory_moments(p, &work.chebmo[static_cast<std::size_t>(row) * kMomentsPerLevel]);
    if (work.momcom < maxp1 - 1 && depth >= work.momcom) ++work.momcom;
    const double *moments = &work.chebmo[static_cast<std::size_t>(row) * kMomentsPerLevel];

    double fx[detail::kClenshawCurtisPoints];
    detail::sample_clenshaw_curtis(f, centre, half, fx);
    neval += detail::kClenshawCurtisPoints;
    const detail::ChebyshevSeries s = detail::chebyshev_series(fx);

    /* Even-degree terms pair with the cosine moments, odd with the sine moments. The sums
       run from the highest degree down, in QUADPACK's order, so they round as scipy's do. */
    double cos12 = s.cheb12[12] * moments[12], sin12 = 0.0;
    for (int k = 10; k >= 0; k -= 2) {
        cos12 += s.cheb12[k] * moments[k];
        sin12 += s.cheb12[k + 1] * moments[k + 1];
    }
    double cos24 = s.cheb24[24] * moments[24], sin24 = 0.0, resabs = std::fabs(s.cheb24[24]);
    for (int k = 22; k >= 0; k -= 2) {
        cos24 += s.cheb24[k] * moments[k];
        sin24 += s.cheb24[k + 1] * moments[k + 1];
        resabs += std::fabs(s.cheb24[k]) + std::fabs(s.cheb24[k + 1]);
    }
    const double err_cos = std::fabs(cos24 - cos12), err_sin = std::fabs(sin24 - sin12);
    /* cos(ωx) = cos(ωc) cos(p t) - sin(ωc) sin(p t), sin(ωx) = sin(ωc) cos(p t) + cos(ωc) sin(p t). */
    const double conc = half * std::cos(centre * omega), cons = half * std::sin(centre * omega);
    detail::RuleResult r;
    r.resabs = resabs * std::fabs(half);
    r.resasc = std::numeric_limits<double>::max();
    if (kind == 1) {
        r.result = conc * cos24 - cons * sin24;
        r.abserr = std::fabs(conc * err_cos) + std::fabs(cons * err_sin);
    } else {
        r.result = conc * sin24 + cons * cos24;
        r.abserr = std::fabs(conc * err_sin) + std::fabs(cons * err_cos);
    }
    return r;
}

} // namespace

Result qawo(const Integrand &f, double a, double b, double omega, int kind, const Options &options, int maxp1,
            bool reuse_moments, Workspace &work) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    constexpr double oflow = std::numeric_limits<double>::max();
    const double epsabs = options.epsabs, epsrel = options.epsrel;
    const int limit = options.limit;
    work.prepare(limit);
    work.nnlog[0] = 0;
    work.alist[0] = a;
    work.blist[0] = b;
    Result out;
    /* Reused moments must describe at most maxp1 levels, all present. */
    const bool moments_invalid =
        reuse_moments && (work.momcom < 0 || work.momcom >= maxp1 ||
                          work.chebmo.size() < static_cast<std::size_t>(work.momcom) * kMomentsPerLevel);
    if ((kind != 1 && kind != 2) || detail::tolerances_invalid(epsabs, epsrel) || maxp1 < 1 || limit < 1 ||
        moments_invalid) {
        out.ier = InvalidInput;
        return out;
    }
    if (!reuse_moments) {
        work.momcom = 0;
        work.chebmo.clear();
    }
    const double domega = std::fabs(omega);

    detail::RuleResult first = fourier_rule(f, a, b, domega, kind, 0, maxp1, false, work, out.neval);
    out.last = 1;
    out.value = first.result;
    out.abserr = first.abserr;
    work.rlist[0] = first.result;
    work.elist[0] = first.abserr;
    work.iord[0] = 0;
    double errbnd = std::max(epsabs, epsrel * std::fabs(first.result));
    if (first.abserr <= 100.0 * epmach * first.resabs && first.abserr > errbnd) out.ier = RoundoffError;
    if (limit == 1) out.ier = SubdivisionLimit;
    /* sin is odd: a negative frequency flips the sign of the sine integral. */
    const double sign = (kind == 2 && omega < 0.0) ? -1.0 : 1.0;
    if (out.ier != 0 || first.abserr <= errbnd) {
        /* QUADPACK's qawo reports last = 0 when the first rule suffices. */
        out.last = 0;
        out.value *= sign;
        return out;
    }

    double result = first.result, abserr = oflow, area = first.result, errsum = first.abserr;
    int maxerr = 0, nrmax = 0;
    double errmax = first.abserr;
    bool extrap = false, noext = false;
    int ierro = 0, ktmin = 0, ier = 0;
    detail::RoundoffWatch roundoff;
    double small = std::fabs(b - a) * 0.75;
    double erlarg = 0.0, ertest = 0.0, correc = 0.0;
    detail::EpsilonTable table;
    table.reset();
    int extrapolations = 0;
    /* Extrapolation only helps once the intervals are short enough for the
       15-point rule, where the error estimates behave regularly. */
    bool extall = false;
    if (0.5 * std::fabs(b - a) * domega <= 2.0) {
        table.push(result);
        extall = true;
    }
    if (0.25 * std::fabs(b - a) * domega <= 2.0) extall = true;
    const int ksgn = std::fabs(result) >= (1.0 - 50.0 * epmach) * first.resabs ? 1 : -1;
    bool use_interval_sum = false;
    int last = 1;

    while (last < limit) {
        ++last;
        work.ensure(last);
        const int depth = work.nnlog[maxerr] + 1;
        const double a1 = work.alist[maxerr], b2 = work.blist[maxerr];
        const double b1 = 0.5 * (a1 + b2), a2 = b1;
        const double erlast = errmax;
        detail::RuleResult left = fourier_rule(f, a1, b1, domega, kind, depth, maxp1, false, work, out.neval);
        detail::RuleResult right = fourier_rule(f, a2, b2, domega, kind, depth, maxp1, true, work, out.neval);
        const double area12 = left.result + right.result, erro12 = left.abserr + right.abserr;
        errsum = errsum + erro12 - errmax;  // QUADPACK's association, kept for identical rounding
        area = area + area12 - work.rlist[maxerr];
        roundoff.note(left, right, work.rlist[maxerr], area12, erro12, errmax, last, extrap);
        work.nnlog[maxerr] = depth;
        work.nnlog[last - 1] = depth;
        errbnd = std::max(epsabs, epsrel * std::fabs(area));
        roundoff.judge(ier, ierro);
        if (last == limit) ier = 1;
        if (detail::too_small_to_bisect(a1, a2, b2, 1000.0 * epmach)) ier = 4;   // SciPy's floor for QAWO
        detail::store_halves(work, maxerr, last, a1, b1, left.result, left.abserr, a2, b2, right.result,
                             right.abserr);
        detail::reorder_by_error(limit, last, maxerr, errmax, work.elist.data(), work.iord.data(), nrmax);
        if (errsum <= errbnd) {
            use_interval_sum = true;
            break;
        }
        if (ier != 0) break;
        if (last == 2 && extall) {
            small *= 0.5;
            table.push(area);
            ertest = errbnd;
            erlarg = errsum;
            continue;
        }
        if (noext) continue;
        bool go_extrapolate = false;
        if (extall) {
            erlarg -= erlast;
            if (std::fabs(b1 - a1) > small) erlarg += erro12;
        }
        if (extall && extrap) {
            go_extrapolate = true;
        } else {
            /* Is the interval to bisect next the smallest one? */
            const double width = std::fabs(work.blist[maxerr] - work.alist[maxerr]);
            if (width > small) continue;
            if (!extall) {
                small *= 0.5;
                if (0.25 * width * domega > 2.0) continue;
                extall = true;
                ertest = errbnd;
                erlarg = errsum;
                continue;
            }
            extrap = true;
            nrmax = 1;
            go_extrapolate = true;
        }
        if (go_extrapolate && ierro != 3 && !(erlarg <= ertest)) {   // as QUADPACK tests it (NaN passes)
            if (detail::select_large_interval(work, limit, last, nrmax, maxerr, errmax, [&](int i) {
                    return std::fabs(work.blist[i] - work.alist[i]) > small;
                }))
                continue;
        }
        detail::ExtrapolationStep step = detail::extrapolation_step(table, area, errsum, erlarg, options, result,
                                                                    abserr, correc, ertest, ktmin, noext, ier);
        if (step != detail::ExtrapolationStep::TablePushed) ++extrapolations;
        if (step == detail::ExtrapolationStep::Converged || step == detail::ExtrapolationStep::RoundoffInTable)
            break;
        maxerr = work.iord[0];
        errmax = work.elist[maxerr];
        nrmax = 0;
        extrap = false;
        small *= 0.5;
        erlarg = errsum;
    }

    const detail::LoopState state{result, abserr, area, errsum, correc, first.resabs, ier, ierro, ksgn, last,
                                  use_interval_sum, extrapolations > 0};
    int neval = out.neval;
    out = detail::conclude_extrapolation(state, work, true);
    out.neval = neval;
    out.value *= sign;
    return out;
}

Result qawf(const Integrand &f, double a, double omega, int kind, double epsabs, int limlst, int limit, int maxp1,
            Workspace &work) {
    constexpr double pi = 3.14159265358979323846264338327950;
    constexpr double uflow = std::numeric_limits<double>::min();
    Result out;
    /* One entry per cycle used: a huge limlst costs nothing until cycles run. */
    work.rslst.clear();
    work.erlst.clear();
    work.ierlst.clear();
    auto record_cycle = [&work](const Result &r) {
        work.rslst.push_back(r.value);
        work.erlst.push_back(r.abserr);
        work.ierlst.push_back(r.ier);
    };
    if ((kind != 1 && kind != 2) || !(epsabs > 0.0) || limlst < 3 || maxp1 < 1 || limit < 1) {
        work.prepare(limit);
        out.ier = InvalidInput;
        return out;
    }
    if (omega == 0.0) {
        /* cos(0 x) = 1: a plain infinite-range integral; sin(0 x) = 0. */
        if (kind == 1) {
            Options inner{epsabs, 0.0, limit};
            out = qagi(f, a, 1, inner, work);
        } else {
            work.prepare(limit);
        }
        record_cycle(out);
        out.last = 1;  // the number of cycles (QUADPACK's lst)
        return out;
    }

    /* Cycles of length (2 floor|ω| + 1) π / |ω|: a whole number of half periods. */
    const double cycle = (2.0 * std::floor(std::fabs(omega)) + 1.0) * pi / std::fabs(omega);
    const double p = 0.9, p1 = 1.0 - p;
    double eps = epsabs > uflow / p1 ? epsabs * p1 : epsabs;
    const double ep = eps;
    double fact = 1.0, correc = 0.0, abserr = 0.0, errsum = 0.0, result = 0.0, drl = 0.0;
    double c1 = a, c2 = cycle + a;
    int ier = 0, ktmin = 0, lst = 0;
    /* The partial sums over the cycles, extrapolated; the last one is the running sum. */
    detail::EpsilonTable partial_sums;
    partial_sums.reset();
    bool take_partial_sum = false;
    bool moments_ready = false;

    for (lst = 1; lst <= limlst; ++lst) {
        Options inner{eps * fact, 0.0, limit};
        /* Every cycle has the same length, so the moment tables carry over. */
        Result cycle_result = qawo(f, c1, c2, omega, kind, inner, maxp1, moments_ready, work);
        moments_ready = true;
        out.neval += cycle_result.neval;
        record_cycle(cycle_result);
        fact *= p;
        errsum += cycle_result.abserr;
        drl = 50.0 * std::fabs(cycle_result.value);
        /* The remaining cycles can only add about as much as the last one did: the
           sum so far (without this cycle, as QUADPACK takes it) is the result. */
        if (errsum + drl <= epsabs && lst >= 6) {
            take_partial_sum = true;
            break;
        }
        correc = std::max(correc, cycle_result.abserr);
        if (cycle_result.ier != 0) {
            eps = std::max(ep, correc * p1);
            ier = 7;
        }
        if (ier == 7 && errsum + drl <= correc * 10.0 && lst > 5) {
            take_partial_sum = true;
            break;
        }
        const double partial_sum = lst == 1 ? cycle_result.value : partial_sums.newest() + cycle_result.value;
        if (lst <= 2) {
            partial_sums.push(partial_sum);
        } else {
            if (lst == limlst) ier = 8;
            detail::EpsilonTable::Estimate estimate = partial_sums.extrapolate(partial_sum);
            ++ktmin;
            if (ktmin >= 15 && abserr <= 1.0e-3 * (errsum + drl)) ier = 11;
            /* QUADPACK's "keep unless worse": a NaN error estimate is kept. */
            if (!(estimate.abserr > abserr) || lst == 3) {
                abserr = estimate.abserr;
                result = estimate.value;
                ktmin = 0;
                if (abserr + 10.0 * correc <= epsabs || (abserr <= epsabs && 10.0 * correc >= epsabs)) break;
            }
            if (ier != 0 && ier != 7) break;
        }
        c1 = c2;
        c2 += cycle;
    }
    if (lst > limlst) lst = limlst;

    const double running_sum = partial_sums.newest();
    if (!take_partial_sum) {
        /* Choose between the extrapolated sum and the plain partial sum. */
        abserr += 10.0 * correc;
        if (ier != 0) {
            bool compare = true;
            if (result == 0.0 || running_sum == 0.0) {
                if (abserr > errsum) {
                    take_partial_sum = true;
                    compare = false;
                } else if (running_sum == 0.0) {
                    compare = false;
                }
            }
            if (compare) {
                if (abserr / std::fabs(result) > (errsum + drl) / std::fabs(running_sum))
                    take_partial_sum = true;
                else if (ier != 7)
                    abserr += drl;
            }
        }
    }
    if (take_partial_sum) {
        result = running_sum;
        abserr = errsum + drl;
    }
    /* 8: cycle limit (→ 1); 11: extrapolation does not converge (→ 4). */
    if (ier > 7) ier -= 7;
    out.value = result;
    out.abserr = abserr;
    out.ier = ier;
    out.last = lst;
    return out;
}

} // namespace nativecall::integrate
