// Routing of one integral to QAGS/QAGI/QAGP/QAWO/QAWF/QAWS/QAWC, mirroring scipy.integrate.quad's choices.
#include "nativecall/integrate/quad.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "nativecall/errors.h"

namespace nativecall::integrate {

namespace {

struct WeightName {
    Weight weight;
    const char *name;
};
constexpr WeightName kWeightNames[] = {
    {Weight::Cos, "cos"},         {Weight::Sin, "sin"},           {Weight::Alg, "alg"},
    {Weight::AlgLogA, "alg-loga"}, {Weight::AlgLogB, "alg-logb"}, {Weight::AlgLog, "alg-log"},
    {Weight::Cauchy, "cauchy"},
};

std::string format_number(double x) {
    std::ostringstream out;
    out.precision(17);
    out << x;
    return out.str();
}

/* f(-x), for moving (-inf, b] onto [-b, inf). */
struct Reflected {
    const Integrand &f;
    bool negated;   // -f(-x): for the sine weight, which is odd
    void operator()(const double *x, double *fx, std::size_t n) const {
        double reflected[64];
        for (std::size_t start = 0; start < n; start += 64) {
            std::size_t count = std::min<std::size_t>(64, n - start);
            for (std::size_t i = 0; i < count; ++i) reflected[i] = -x[start + i];
            f(reflected, fx + start, count);
            if (negated)
                for (std::size_t i = 0; i < count; ++i) fx[start + i] = -fx[start + i];
        }
    }
};

Result integrate_ordered(const Integrand &f, double a, double b, const QuadSpec &spec, Workspace &work,
                         Routine &routine) {
    const double inf = std::numeric_limits<double>::infinity();
    const bool finite = std::isfinite(a) && std::isfinite(b);
    const Options &options = spec.options;
    switch (spec.weight) {
    case Weight::None:
        if (!spec.points.empty() || spec.break_points_given) {
            if (!finite) throw InvalidArgument("Infinity inputs cannot be used with break points.");
            routine = Routine::Qagp;
            return qagp(f, a, b, interior_break_points(spec.points, a, b), options, work);
        }
        if (finite) {
            routine = Routine::Qags;
            return qags(f, a, b, options, work);
        }
        routine = Routine::Qagi;
        if (a == -inf && b == inf) return qagi(f, 0.0, 2, options, work);
        if (b == inf) return qagi(f, a, 1, options, work);
        return qagi(f, b, -1, options, work);
    case Weight::Cos:
    case Weight::Sin: {
        const int kind = spec.weight == Weight::Cos ? 1 : 2;
        const double omega = spec.wvar[0];
        if (finite) {
            routine = Routine::Qawo;
            return qawo(f, a, b, omega, kind, options, spec.maxp1, spec.reuse_moments, work);
        }
        routine = Routine::Qawf;
        if (a == -inf && b == inf) throw InvalidArgument("Cannot integrate with this weight from -Inf to +Inf.");
        if (b == inf) return qawf(f, a, omega, kind, options.epsabs, spec.limlst, options.limit, spec.maxp1, work);
        /* ∫_{-inf}^{b} f(x) w(ωx) dx = ∫_{-b}^{inf} f(-y) w(-ωy) dy, and sin is odd: its
           integrand is -f(-y), as scipy forms it (so zero values keep scipy's sign). */
        Reflected reflected{f, kind == 2};
        return qawf(Integrand::from_sampler(reflected), -b, omega, kind, options.epsabs, spec.limlst,
                    options.limit, spec.maxp1, work);
    }
    case Weight::Alg:
    case Weight::AlgLogA:
    case Weight::AlgLogB:
    case Weight::AlgLog: {
        if (!finite) throw InvalidArgument("Cannot integrate with this weight over an infinite interval.");
        const int kind = 1 + static_cast<int>(spec.weight) - static_cast<int>(Weight::Alg);
        routine = Routine::Qaws;
        return qaws(f, a, b, spec.wvar[0], spec.wvar[1], kind, options, work);
    }
    case Weight::Cauchy:
        if (!finite) throw InvalidArgument("Cannot integrate with this weight over an infinite interval.");
        routine = Routine::Qawc;
        return qawc(f, a, b, spec.wvar[0], options, work);
    }
    throw InvalidArgument("unknown weight");
}

} // namespace

Weight parse_weight(const std::string &name) {
    for (const WeightName &w : kWeightNames)
        if (name == w.name) return w.weight;
    std::string accepted;
    for (const WeightName &w : kWeightNames) accepted += std::string(accepted.empty() ? "" : ", ") + "'" + w.name + "'";
    throw InvalidArgument("weight '" + name + "' is not a recognized weighting function; expected one of " +
                          accepted + " or None");
}

const char *weight_name(Weight weight) {
    for (const WeightName &w : kWeightNames)
        if (weight == w.weight) return w.name;
    return "";
}

std::vector<double> interior_break_points(const std::vector<double> &points, double lo, double hi) {
    std::vector<double> inside;
    for (double p : points) {
        if (std::isnan(p)) throw InvalidArgument("break point in 'points' is nan; expected numbers within [a, b]");
        if (p < lo || p > hi)
            throw InvalidArgument("break point " + format_number(p) + " in 'points' lies outside the integration range [" +
                                  format_number(lo) + ", " + format_number(hi) + "]");
        if (p > lo && p < hi) inside.push_back(p);
    }
    std::sort(inside.begin(), inside.end());
    inside.erase(std::unique(inside.begin(), inside.end()), inside.end());
    return inside;
}

QuadOutcome quad(const Integrand &f, double a, double b, const QuadSpec &spec, Workspace &work) {
    if (std::isnan(a) || std::isnan(b))
        throw InvalidArgument(std::string("integration limit ") + (std::isnan(a) ? "a" : "b") +
                              " is nan; expected a number or +-inf");
    QuadOutcome out;
    /* An empty range is 0 whatever the weight, even for improper "ranges" like
       [inf, inf] that no routine could take (scipy's shortcut). */
    if (a == b) {
        work.prepare(spec.options.limit);
        return out;
    }
    const bool flip = b < a;
    out.result = integrate_ordered(f, std::min(a, b), std::max(a, b), spec, work, out.routine);
    if (flip) out.result.value = -out.result.value;
    return out;
}

} // namespace nativecall::integrate
