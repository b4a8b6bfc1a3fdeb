// Modified Chebyshev moments of QAWS's algebraic-logarithmic end-point weights on [-1, 1].
#pragma once

namespace nativecall::integrate::detail {

/* ri[k] = ∫ (1+x)^alpha T_k,  rj[k] = ∫ (1-x)^beta T_k,
   rg[k] = ∫ (1+x)^alpha log((1+x)/2) T_k,  rh[k] = ∫ (1-x)^beta log((1-x)/2) T_k,
   all over [-1, 1], k = 0..24, from three-term recurrences. */
struct EndpointMoments {
    double ri[25], rj[25], rg[25], rh[25];
};

EndpointMoments endpoint_moments(double alpha, double beta);

} // namespace nativecall::integrate::detail
