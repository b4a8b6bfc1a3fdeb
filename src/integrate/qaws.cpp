// QAWS: ∫ f(x) (x-a)^alpha (b-x)^beta v(x) dx with v = 1, log(x-a), log(b-x) or both logs (algebraic-logarithmic end-point weights).
#include <algorithm>
#include <cmath>
#include <limits>

#include "clenshaw_curtis.h"
#include "endpoint_moments.h"
#include "gauss_kronrod.h"
#include "plain_bisection.h"
#include "subdivision.h"

namespace nativecall::integrate {

namespace detail {

EndpointMoments endpoint_moments(double alpha, double beta) {
    EndpointMoments m{};
    const double alfp1 = alpha + 1.0, betp1 = beta + 1.0;
    const double alfp2 = alpha + 2.0, betp2 = beta + 2.0;
    const double ralf = std::pow(2.0, alfp1), rbet = std::pow(2.0, betp1);
    m.ri[0] = ralf / alfp1;
    m.rj[0] = rbet / betp1;
    m.ri[1] = m.ri[0] * alpha / alfp2;
    m.rj[1] = m.rj[0] * beta / betp2;
    /* Integrating (1±x)^p T_k by parts links three consecutive moments. */
    double an = 2.0, anm1 = 1.0;
    for (int i = 2; i < 25; ++i) {
        m.ri[i] = -(ralf + an * (an - alfp2) * m.ri[i - 1]) / (anm1 * (an + alfp1));
        m.rj[i] = -(rbet + an * (an - betp2) * m.rj[i - 1]) / (anm1 * (an + betp1));
        anm1 = an;
        an += 1.0;
    }
    m.rg[0] = -m.ri[0] / alfp1;
    m.rg[1] = -(ralf + ralf) / (alfp2 * alfp2) - m.rg[0];
    m.rh[0] = -m.rj[0] / betp1;
    m.rh[1] = -(rbet + rbet) / (betp2 * betp2) - m.rh[0];
    an = 2.0;
    anm1 = 1.0;
    for (int i = 2; i < 25; ++i) {
        m.rg[i] = -(an * (an - alfp2) * m.rg[i - 1] - an * m.ri[i - 1] + anm1 * m.ri[i]) / (anm1 * (an + alfp1));
        m.rh[i] = -(an * (an - betp2) * m.rh[i - 1] - an * m.rj[i - 1] + anm1 * m.rj[i]) / (anm1 * (an + betp1));
        anm1 = an;
        an += 1.0;
    }
    /* The (1-x) moments were computed for T_k(-x) = (-1)^k T_k(x). */
    for (int i = 1; i < 25; i += 2) {
        m.rj[i] = -m.rj[i];
        m.rh[i] = -m.rh[i];
    }
    return m;
}

} // namespace detail

namespace {

/* The weight's parameters as the 15-point rule's weight callback reads them. */
struct AlgebraicLogWeight {
    double a, b, alpha, beta;
    int kind;  // 1: none, 2: log(x-a), 3: log(b-x), 4: both
};

double algebraic_log_weight(double x, const double *params) {
    const auto &w = *reinterpret_cast<const AlgebraicLogWeight *>(params);
    double xa = x - w.a, bx = w.b - x;
    double value = std::pow(xa, w.alpha) * std::pow(bx, w.beta);
    if (w.kind == 2 || w.kind == 4) value *= std::log(xa);
    if (w.kind == 3 || w.kind == 4) value *= std::log(bx);
    return value;
}

/* ∫_{bl}^{br} f w: a Clenshaw-Curtis rule with the singular end's moments when
   the interval touches a singular end, otherwise the weighted 15-point rule. */
detail::RuleResult algebraic_log_rule(const Integrand &f, const AlgebraicLogWeight &w,
                                      const detail::EndpointMoments &m, double bl, double br, int &neval) {
    const bool left_singular = bl == w.a && (w.alpha != 0.0 || w.kind == 2 || w.kind == 4);
    const bool right_singular = br == w.b && (w.beta != 0.0 || w.kind == 3 || w.kind == 4);
    if (!left_singular && !right_singular) {
        detail::RuleResult r = detail::gauss_kronrod_15_weighted(
            f, algebraic_log_weight, reinterpret_cast<const double *>(&w), bl, br);
        neval += detail::kGaussKronrod15Points;
        return r;
    }
    const double half = 0.5 * (br - bl), centre = 0.5 * (br + bl);
    double fx[detail::kClenshawCurtisPoints], offset[13];
    detail::sample_clenshaw_curtis(f, centre, half, fx, offset);
    neval += detail::kClenshawCurtisPoints;

    /* The singular end's factor goes into the moments, the other end's
       (smooth on this interval) into the sampled function, whose end values are
       already halved (so a product that overflows or underflows does so as QUADPACK's
       does). Its distance from node k is formed as QUADPACK forms it, (the end's distance
       from the centre) ∓ half cos(k pi / 24), not as (end - node), which rounds differently. */
    const double from_centre = left_singular ? w.b - centre : centre - w.a;
    const double toward = left_singular ? -1.0 : 1.0;   // node k < 12 lies toward b: nearer b, farther from a
    double other_end[detail::kClenshawCurtisPoints];
    for (int k = 0; k <= 12; ++k) {
        other_end[k] = from_centre + toward * offset[k];
        other_end[24 - k] = from_centre - toward * offset[k];
    }
    const double *plain_moments, *log_moments;
    double factor;
    bool log_at_singular_end, log_at_other_end;
    if (left_singular) {
        for (int k = 0; k < 25; ++k) fx[k] *= std::pow(other_end[k], w.beta);
        factor = std::pow(half, w.alpha + 1.0);
        plain_moments = m.ri;
        log_moments = m.rg;
        log_at_singular_end = w.kind == 2 || w.kind == 4;
        log_at_other_end = w.kind == 3 || w.kind == 4;
    } else {
        for (int k = 0; k < 25; ++k) fx[k] *= std::pow(other_end[k], w.alpha);
        factor = std::pow(half, w.beta + 1.0);
        plain_moments = m.rj;
        log_moments = m.rh;
        log_at_singular_end = w.kind == 3 || w.kind == 4;
        log_at_other_end = w.kind == 2 || w.kind == 4;
    }
    if (log_at_other_end)
        for (int k = 0; k < 25; ++k) fx[k] *= std::log(other_end[k]);
    detail::ChebyshevSeries series = detail::chebyshev_series(fx);
    detail::MomentSums plain = detail::integrate_against(series, plain_moments);
    detail::RuleResult r;
    if (!log_at_singular_end) {
        r.result = plain.sum24 * factor;
        r.abserr = std::fabs(plain.sum24 - plain.sum12) * factor;
        return r;
    }
    /* log(distance to the end) = log(br - bl) + log((1 ± t) / 2) on the mapped interval. */
    const double dc = std::log(br - bl);
    detail::MomentSums logs = detail::integrate_against(series, log_moments);
    r.result = (plain.sum24 * dc + logs.sum24) * factor;
    r.abserr = (std::fabs((plain.sum24 - plain.sum12) * dc) + std::fabs(logs.sum24 - logs.sum12)) * factor;
    return r;
}

} // namespace

Result qaws(const Integrand &f, double a, double b, double alpha, double beta, int kind, const Options &options,
            Workspace &work) {
    work.prepare(std::max(options.limit, 2));
    Result out;
    if (!(b > a) || !(alpha > -1.0) || !(beta > -1.0) || kind < 1 || kind > 4 || options.limit < 2 ||
        detail::tolerances_invalid(options.epsabs, options.epsrel)) {
        out.ier = InvalidInput;
        return out;
    }
    const AlgebraicLogWeight weight{a, b, alpha, beta, kind};
    const detail::EndpointMoments moments = detail::endpoint_moments(alpha, beta);
    const double centre = 0.5 * (a + b);
    detail::RuleResult left = algebraic_log_rule(f, weight, moments, a, centre, out.neval);
    detail::RuleResult right = algebraic_log_rule(f, weight, moments, centre, b, out.neval);
    out.last = 2;
    out.value = left.result + right.result;
    out.abserr = left.abserr + right.abserr;
    /* Start from the two halves, larger error first. */
    bool swap = right.abserr > left.abserr;
    const detail::RuleResult &first = swap ? right : left, &second = swap ? left : right;
    work.alist[0] = swap ? centre : a;
    work.blist[0] = swap ? b : centre;
    work.alist[1] = swap ? a : centre;
    work.blist[1] = swap ? centre : b;
    work.rlist[0] = first.result;
    work.rlist[1] = second.result;
    work.elist[0] = first.abserr;
    work.elist[1] = second.abserr;
    work.iord[0] = 0;
    work.iord[1] = 1;
    const double errbnd = std::max(options.epsabs, options.epsrel * std::fabs(out.value));
    if (options.limit == 2) out.ier = SubdivisionLimit;
    if (out.abserr <= errbnd || out.ier == SubdivisionLimit) return out;

    detail::PlainBisection scheme;
    scheme.split = [](double x0, double x1) { return 0.5 * (x0 + x1); };
    scheme.evaluate = [&](double a1, double b1, double a2, double b2) {
        detail::HalvesResult h;
        h.left = algebraic_log_rule(f, weight, moments, a1, b1, h.neval);
        h.right = algebraic_log_rule(f, weight, moments, a2, b2, h.neval);
        /* Only interior intervals (15-point rule, reliable estimate) reveal roundoff. */
        h.roundoff_counts = a1 != a && b2 != b && h.left.resasc != h.left.abserr &&
                            h.right.resasc != h.right.abserr;
        return h;
    };
    scheme.roundoff_needs_both = false;
    scheme.roundoff_wins = true;
    return detail::bisect_plainly(scheme, options, work, out);
}

} // namespace nativecall::integrate
