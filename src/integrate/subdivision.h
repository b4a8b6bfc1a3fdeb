// The bookkeeping every adaptive QUADPACK driver shares: the error-ordered list of subintervals and bisection.
#pragma once

#include <limits>

#include "nativecall/integrate/quadpack.h"

namespace nativecall::integrate::detail {

/* Keeps Workspace::iord ordered by decreasing error after a bisection, as
   QUADPACK's qpsrt does: the interval at `maxerr` (the half with the larger
   error) and the new interval `last - 1` (the other half) are moved into
   place. Only the top `limit + 2 - last` positions are kept ordered once more
   than half the budget is used, since the rest can never be bisected.
   `nrmax` is the position in iord of the interval to bisect next (0-based);
   on return `maxerr` is that interval and `errmax` its error. */
void reorder_by_error(int limit, int last, int &maxerr, double &errmax, const double *elist, int *iord,
                      int &nrmax);

/* Stores the two halves of interval `maxerr` after bisection: the half with
   the larger error keeps index `maxerr`, the other becomes index `last - 1`. */
void store_halves(Workspace &work, int maxerr, int last, double a1, double b1, double area1,
                  double error1, double a2, double b2, double area2, double error2);

/* Σ rlist[0, last). */
double sum_of_results(const Workspace &work, int last);

/* QUADPACK's test that an interval has become too small to bisect: its end
   points agree to about 100 ulps, or it lies within `floor` of 0 (QUADPACK's
   floor is 1000 times the smallest normal double; SciPy's QAWO uses 1000 machine
   epsilons, which stops a bisection towards 0 after about 42 halvings). */
bool too_small_to_bisect(double a1, double a2, double b2,
                         double floor = 1000.0 * std::numeric_limits<double>::min());

/* Rejects tolerances QUADPACK rejects (epsabs <= 0 with epsrel below
   max(50 eps, 5e-29)). */
bool tolerances_invalid(double epsabs, double epsrel);

} // namespace nativecall::integrate::detail
