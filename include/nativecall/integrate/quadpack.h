// The QUADPACK family (Piessens et al.) in C++: adaptive Gauss-Kronrod integrators with QUADPACK's error codes and diagnostics.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "nativecall/integrate/integrand.h"

namespace nativecall::integrate {

/* QUADPACK's `ier`, with the meanings QUADPACK gives them. */
enum Status : int {
    Converged = 0,            // requested accuracy reached (probably)
    SubdivisionLimit = 1,     // `limit` subintervals used up (qawf: `limlst` cycles)
    RoundoffError = 2,        // roundoff prevents reaching the tolerance
    BadIntegrand = 3,         // extremely bad behaviour at some points of the range
    ExtrapolationFailed = 4,  // no convergence; roundoff in the extrapolation table
    Divergent = 5,            // probably divergent or slowly convergent
    InvalidInput = 6,         // tolerances, limit or break points invalid
    CycleFailures = 7,        // qawf only: bad behaviour inside one or more cycles
};

/* Tolerances and the subdivision budget shared by every adaptive routine. */
struct Options {
    double epsabs = 1.49e-8;  // absolute tolerance
    double epsrel = 1.49e-8;  // relative tolerance
    int limit = 50;           // maximum number of subintervals
};

/* What every routine returns (the scalar part of QUADPACK's output). */
struct Result {
    double value = 0.0;   // the integral estimate
    double abserr = 0.0;  // estimate of |value - integral|
    int neval = 0;        // integrand evaluations
    int ier = 0;          // a Status
    int last = 0;         // subintervals produced (entries of the Workspace tables in use)
};

/* The subinterval tables a routine builds, reusable across calls so batches
   allocate once per thread. After a call, entries [0, last) describe the
   partition: QUADPACK's alist, blist, rlist, elist, and iord (0-based indices of
   intervals by decreasing error, as scipy reports them). */
struct Workspace {
    std::vector<double> alist, blist, rlist, elist;  // left end, right end, integral, error
    std::vector<int> iord;                           // intervals by decreasing error
    std::vector<int> level;                          // bisection depth of each interval
    /* qagp: the sorted break points including a and b, and per initial interval 1
       when its error was replaced by the total error (QUADPACK's ndin). */
    std::vector<double> pts;
    std::vector<int> ndin;
    /* qawo: Chebyshev moments. chebmo holds 25 moments per level (row-major,
       `momcom` rows complete, grown as deeper levels are needed, never beyond
       maxp1 rows), nnlog the moment level of each interval. */
    std::vector<double> chebmo;
    std::vector<int> nnlog;
    int momcom = 0;
    /* qawf: per cycle k, the integral, its error and its ier (one entry per cycle used). */
    std::vector<double> rslst, erlst;
    std::vector<int> ierlst;

    /* Size the interval tables for a routine's first intervals; never more than
       a small start however large `limit` is, so a huge limit costs memory only
       when the routine really subdivides that far (contents unspecified). */
    void prepare(int limit);
    /* Grow the interval tables (nnlog included) to hold at least `intervals`
       entries; routines call it each time they add an interval, so the check
       is inline and only growing is a call. */
    void ensure(int intervals) {
        const std::size_t needed = intervals > 1 ? static_cast<std::size_t>(intervals) : 1;
        if (alist.size() < needed || nnlog.size() < needed) grow(needed);
    }

private:
    void grow(std::size_t needed);

public:
};

/* A Workspace borrowed from a per-thread pool for this object's lifetime, so
   repeated integrals (quad calls, every inner integral of an nquad) reuse
   tables already grown instead of allocating and zero-filling new ones. The
   pool is a stack: an integrand may start another integral while one is in use. */
class PooledWorkspace {
public:
    PooledWorkspace();
    ~PooledWorkspace();
    PooledWorkspace(const PooledWorkspace &) = delete;
    PooledWorkspace &operator=(const PooledWorkspace &) = delete;
    Workspace &operator*() const noexcept { return *work_; }
    Workspace *operator->() const noexcept { return work_.get(); }

private:
    std::unique_ptr<Workspace> work_;
};

/* ∫_a^b f by adaptive 21-point Gauss-Kronrod bisection with Wynn epsilon
   extrapolation (QAGS): copes with integrable endpoint singularities. */
Result qags(const Integrand &f, double a, double b, const Options &options, Workspace &work);

/* ∫_a^b f by the nested Gauss-Kronrod-Patterson rules of 21, 43 and 87 points
   (QNG), non-adaptive: stops at the first rule whose error estimate meets the
   tolerance; ier = 1 if even the 87-point rule does not. For smooth integrands;
   options.limit is not used. scipy's quad never picks it, so quad() does not either. */
Result qng(const Integrand &f, double a, double b, const Options &options = {});

/* Infinite range (QAGI): `inf` = 1 for [bound, +inf), -1 for (-inf, bound],
   2 for (-inf, +inf) (bound ignored). Maps the range onto (0, 1] with
   x = bound + sign (1 - t) / t and applies QAGS's scheme with a 15-point rule. */
Result qagi(const Integrand &f, double bound, int inf, const Options &options, Workspace &work);

/* ∫_a^b f with user break points (QAGP) at the locations of local
   difficulties; `points` need not be sorted but must lie in [min(a,b), max(a,b)]. */
Result qagp(const Integrand &f, double a, double b, const std::vector<double> &points,
            const Options &options, Workspace &work);

/* ∫_a^b f(x) w(x) dx for w = cos(omega x) (kind 1) or sin(omega x) (kind 2)
   (QAWO). Intervals too long for the 15-point rule use a Clenshaw-Curtis rule
   with Chebyshev moments of the weight, cached per bisection depth for up to
   `maxp1` depths in work.chebmo. With `reuse_moments`, the moments already in
   `work` (work.momcom depths, from a call on an interval of the same length and
   the same omega) are used instead of recomputed: scipy's `wopts`. Reused
   moments need 0 <= work.momcom < maxp1 and 25 * maxp1 values in work.chebmo;
   anything else is InvalidInput. */
Result qawo(const Integrand &f, double a, double b, double omega, int kind, const Options &options, int maxp1,
            bool reuse_moments, Workspace &work);

/* ∫_a^∞ f(x) w(x) dx for the QAWO weights (QAWF): QAWO over successive cycles
   of whole half periods with tolerances shrinking geometrically, the series of
   cycle sums accelerated by the epsilon algorithm. Only an absolute tolerance
   applies. Per-cycle results land in work.rslst/erlst/ierlst; Result::last is
   the number of cycles used (QUADPACK's lst). */
Result qawf(const Integrand &f, double a, double omega, int kind, double epsabs, int limlst, int limit, int maxp1,
            Workspace &work);

/* ∫_a^b f(x) (x-a)^alpha (b-x)^beta v(x) dx (QAWS), with v = 1 (kind 1),
   log(x-a) (2), log(b-x) (3) or log(x-a) log(b-x) (4); needs b > a and
   alpha, beta > -1. */
Result qaws(const Integrand &f, double a, double b, double alpha, double beta, int kind, const Options &options,
            Workspace &work);

/* Cauchy principal value of ∫_a^b f(x) / (x - c) dx (QAWC), c strictly inside
   or outside the range but not at an end. */
Result qawc(const Integrand &f, double a, double b, double c, const Options &options, Workspace &work);

/* Convenience overloads for any C++ callable double(double) (lambdas, functors,
   plain functions), each with its own workspace. The wrapping lambda lets plain
   functions through, which Integrand cannot point at directly. */
template <class F> Result qags(F &&f, double a, double b, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qags(Integrand(call), a, b, options, work);
}
/* (Same arity as qng(const Integrand &, ...): an Integrand must not pick this overload.) */
template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Integrand>>>
Result qng(F &&f, double a, double b, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    return qng(Integrand(call), a, b, options);
}
template <class F> Result qagi(F &&f, double bound, int inf, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qagi(Integrand(call), bound, inf, options, work);
}
template <class F>
Result qagp(F &&f, double a, double b, const std::vector<double> &points, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qagp(Integrand(call), a, b, points, options, work);
}
template <class F>
Result qawo(F &&f, double a, double b, double omega, int kind, const Options &options = {}, int maxp1 = 50) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qawo(Integrand(call), a, b, omega, kind, options, maxp1, false, work);
}
template <class F>
Result qaws(F &&f, double a, double b, double alpha, double beta, int kind, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qaws(Integrand(call), a, b, alpha, beta, kind, options, work);
}
template <class F> Result qawc(F &&f, double a, double b, double c, const Options &options = {}) {
    auto call = [&f](double x) -> double { return f(x); };
    Workspace work;
    return qawc(Integrand(call), a, b, c, options, work);
}

} // namespace nativecall::integrate
