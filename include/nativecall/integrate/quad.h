// quad: one entry point that routes an integral to the right QUADPACK routine, as scipy.integrate.quad does.
#pragma once

#include <string>
#include <vector>

#include "nativecall/integrate/quadpack.h"

namespace nativecall::integrate {

/* The weight functions scipy.integrate.quad accepts (`weight=`). */
enum class Weight {
    None,     // plain integrand
    Cos,      // cos(wvar x)
    Sin,      // sin(wvar x)
    Alg,      // (x-a)^alpha (b-x)^beta,                 wvar = (alpha, beta)
    AlgLogA,  // (x-a)^alpha (b-x)^beta log(x-a)
    AlgLogB,  // (x-a)^alpha (b-x)^beta log(b-x)
    AlgLog,   // (x-a)^alpha (b-x)^beta log(x-a) log(b-x)
    Cauchy,   // 1 / (x - wvar), principal value
};

/* Parses scipy's weight names ("cos", "alg-loga", "cauchy", ...); throws
   InvalidArgument listing the accepted names. */
Weight parse_weight(const std::string &name);
/* The scipy name of a weight ("" for Weight::None). */
const char *weight_name(Weight weight);

/* Everything about an integral except the integrand and the range. */
struct QuadSpec {
    Options options;              // epsabs, epsrel, limit
    std::vector<double> points;   // break points (no weight, finite range)
    /* QAGP even when `points` is empty or holds only the ends, as scipy's quad runs
       it whenever points is given (points=[] included); an empty list otherwise means QAGS. */
    bool break_points_given = false;
    Weight weight = Weight::None;
    double wvar[2] = {0.0, 0.0};  // omega, (alpha, beta) or c
    int maxp1 = 50;               // Chebyshev moment depths kept (cos/sin)
    int limlst = 50;              // cycles (cos/sin on an infinite range)
    bool reuse_moments = false;   // use the moments already in the Workspace (scipy's wopts)
};

/* Which routine `quad` ran; the Python layer shapes full_output by it. */
enum class Routine { Qags, Qagi, Qagp, Qawo, Qawf, Qaws, Qawc };

struct QuadOutcome {
    Result result;
    Routine routine = Routine::Qags;
};

/* ∫_a^b f with the routine scipy would pick: QAGS, QAGI (an infinite end),
   QAGP (break points), QAWO/QAWF (cos, sin), QAWS (alg*), QAWC (cauchy).
   b < a integrates over [b, a] and negates, as scipy does. Throws
   InvalidArgument for inputs no routine can take (NaN limits, break points
   or weights with infinite ranges, break points outside the range). Invalid
   tolerances and limits come back as ier = 6 as QUADPACK reports them. */
QuadOutcome quad(const Integrand &f, double a, double b, const QuadSpec &spec, Workspace &work);

/* The break points QAGP gets for [lo, hi] from the user's: sorted, unique,
   strictly inside (scipy drops points at the ends, which would make the
   rule sample f at a singular end point). Throws InvalidArgument for NaN or
   points outside [lo, hi]. */
std::vector<double> interior_break_points(const std::vector<double> &points, double lo, double hi);

} // namespace nativecall::integrate
