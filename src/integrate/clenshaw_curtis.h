// The 25-point Clenshaw-Curtis sampling and Chebyshev expansions that QAWO, QAWS and QAWC integrate against their weights' moments.
#pragma once

#include "nativecall/integrate/integrand.h"

namespace nativecall::integrate::detail {

/* Chebyshev coefficients of f on [centre - half, centre + half] from its values at
   the 25 points centre + half * cos(k pi / 24), k = 0..24: degree 12 (from every
   second point) and degree 24. The first and last coefficient of each are
   halved, so ∫ w f = Σ_k cheb[k] * moment[k] with no special end terms. */
struct ChebyshevSeries {
    double cheb12[13];
    double cheb24[25];
};

constexpr int kClenshawCurtisPoints = 25;

/* f at the 25 points centre + half * cos(k pi / 24), k = 0..24 (from the right end to
   the left), with the two end values halved (their trapezoid weight), which is how
   chebyshev_series takes them. `offset`, when not null, receives half * cos(k pi / 24)
   for k = 0..12: node k lies this far right of the centre, node 24 - k as far left. A
   weight factor applied afterwards multiplies the halved values, as in QUADPACK. */
void sample_clenshaw_curtis(const Integrand &f, double centre, double half, double *fx, double *offset = nullptr);

/* Expansions from values sampled as sample_clenshaw_curtis samples them (ends halved),
   rounded as QUADPACK's dqcheb rounds them. `values` is not modified. */
ChebyshevSeries chebyshev_series(const double *values);

/* Σ_{k<13} cheb12[k] m[k] and Σ_{k<25} cheb24[k] m[k]: the two estimates whose
   difference is the error estimate. */
struct MomentSums {
    double sum12;
    double sum24;
};
MomentSums integrate_against(const ChebyshevSeries &series, const double *moments);

} // namespace nativecall::integrate::detail
