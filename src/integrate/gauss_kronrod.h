// Gauss-Kronrod rules on one interval (15 and 21 points, plus the 15-point rule on a transformed infinite range).
#pragma once

#include "nativecall/integrate/integrand.h"

namespace nativecall::integrate::detail {

/* One rule application, as QUADPACK's qk* routines report it. */
struct RuleResult {
    double result = 0.0;  // Kronrod estimate of the integral
    double abserr = 0.0;  // error estimate (|Kronrod - Gauss|, scaled)
    double resabs = 0.0;  // the rule applied to |f|
    double resasc = 0.0;  // the rule applied to |f - mean f|
};

/* Integrand evaluations per rule application. */
constexpr int kGaussKronrod15Points = 15;
constexpr int kGaussKronrod21Points = 21;

/* 21-point Kronrod extension of the 10-point Gauss rule on [a, b]. */
RuleResult gauss_kronrod_21(const Integrand &f, double a, double b);

/* The 21-point rule on both halves [a, middle] and [middle, b] of a bisected
   interval, with one integrand call of 42 points; each result is what
   gauss_kronrod_21 gives for its half. */
void gauss_kronrod_21_halves(const Integrand &f, double a, double middle, double b, RuleResult &left,
                             RuleResult &right);

/* 15-point Kronrod extension of the 7-point Gauss rule on [a, b]. */
RuleResult gauss_kronrod_15(const Integrand &f, double a, double b);

/* The 15-point rule on [a, b] ⊂ (0, 1] after mapping an infinite range onto
   (0, 1] by x = bound + sign (1 - t) / t (sign = +1 for inf = 1, -1 for inf = -1);
   for inf = 2 the integrand is f(x) + f(-x) with bound = 0. Evaluates f at 15
   points, or 30 when inf = 2. */
RuleResult gauss_kronrod_15_infinite(const Integrand &f, double bound, int inf, double a, double b);

/* gauss_kronrod_15_infinite on both halves [a, middle] and [middle, b] of a bisected
   interval, with one integrand call (30 points, 60 when inf = 2); each result is
   what gauss_kronrod_15_infinite gives for its half. */
void gauss_kronrod_15_infinite_halves(const Integrand &f, double bound, int inf, double a, double middle, double b,
                                      RuleResult &left, RuleResult &right);


/* The 15-point rule for ∫_a^b w(x) f(x) dx with a weight function given at
   the nodes (for QAWO's, QAWS's and QAWC's intervals where moments are not used):
   the Gauss estimate uses f only for the error estimate, as QUADPACK's qk15w. */
RuleResult gauss_kronrod_15_weighted(const Integrand &f, double (*weight)(double x, const double *params),
                                     const double *params, double a, double b);

/* pow(q, 1.5) exactly as the C library's pow returns it, cheaper where the
   result can be decided without it (QUADPACK's error scaling calls it per rule). */
double pow_three_halves(double q);

/* The error estimate shared by all Gauss-Kronrod rules: from the Kronrod and
   Gauss sums (on [-1, 1]), the absolute-value and deviation sums and the half length. */
RuleResult kronrod_estimate(double kronrod, double gauss, double resabs, double resasc, double half_length);

} // namespace nativecall::integrate::detail
