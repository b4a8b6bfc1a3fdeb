// Chebyshev moments of cos(p t) and sin(p t) on [-1, 1], for QAWO's Clenshaw-Curtis rule.
#pragma once

namespace nativecall::integrate::detail {

/* moments[2j] = ∫_{-1}^{1} cos(p t) T_{2j}(t) dt   (j = 0..12),
   moments[2j+1] = ∫_{-1}^{1} sin(p t) T_{2j+1}(t) dt (j = 0..11); the other
   combinations vanish by symmetry. For |p| > 24 a forward recurrence is
   stable; below it the recurrence is solved as a boundary-value problem
   (a tridiagonal system closed by an asymptotic end condition). */
void oscillatory_moments(double p, double *moments);

} // namespace nativecall::integrate::detail
