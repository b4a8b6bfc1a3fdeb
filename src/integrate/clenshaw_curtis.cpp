// 25-point Chebyshev interpolation (degree 12 and 24) for the modified Clenshaw-Curtis rules.
#include "clenshaw_curtis.h"

#include <cmath>

namespace nativecall::integrate::detail {

namespace {

/* cos(j pi / 24) for j = 0..12, correctly rounded (std::cos(j * pi / 24) is one ulp
   off for j = 4, 8, 9 and 11, e.g. 0.5000000000000001 for cos(pi / 3)): QUADPACK's
   nodes are these values, so the rules sample the integrand where QUADPACK does. */
constexpr double kQuarterCosines[13] = {
    1.0,
    0x1.fb9ea92ec689bp-1, 0x1.ee8dd4748bf15p-1, 0x1.d906bcf328d46p-1, 0x1.bb67ae8584caap-1,
    0x1.963268b572492p-1, 0x1.6a09e667f3bcdp-1, 0x1.37af93f9513eap-1, 0x1.0000000000000p-1,
    0x1.87de2a6aea963p-2, 0x1.0907dc1930690p-2, 0x1.0b5150f6da2d1p-3,
    0.0,
};

} // namespace

void sample_clenshaw_curtis(const Integrand &f, double centre, double half, double *fx, double *offset) {
    double own_offset[13];
    if (!offset) offset = own_offset;
    for (int k = 0; k <= 12; ++k) offset[k] = half * kQuarterCosines[k];
    double x[kClenshawCurtisPoints];
    for (int k = 0; k <= 12; ++k) {
        x[k] = centre + offset[k];
        x[24 - k] = centre - offset[k];
    }
    f(x, fx, kClenshawCurtisPoints);
    fx[0] *= 0.5;
    fx[24] *= 0.5;
}

/* The transform runs as QUADPACK's does (Piessens et al., 1983), operation for operation,
   so that the weighted routines' results are scipy's to the bit: a cosine transform of
   25 values factored like a fast Fourier transform. It folds the values in halves three
   times, each fold splitting the coefficients it has left in two:
   - f_k ± f_(24-k): cos(j (24 - k) pi/24) = (-1)^j cos(j k pi/24), so the differences
     alone give the odd-degree coefficients, the sums the even ones;
   - within each fold, a coefficient j and its mirror 24 - j (or 12 - j) share their
     terms up to the signs of every second one: both come from one pair of partial sums,
     as their sum and their difference;
   - cos(pi/2) = 0 and cos(pi/4), cos(pi/3) repeat, so common factors are taken out.
   Besides matching scipy, the folding is the more accurate form: a coefficient of a
   nearly symmetric function is formed from the (small) differences rather than as a
   cancellation of large terms. c[k] below is cos(k pi / 24). */
ChebyshevSeries chebyshev_series(const double *values) {
    const double *c = kQuarterCosines;
    ChebyshevSeries s;
    double *d12 = s.cheb12, *d24 = s.cheb24;
    double f[25];   // the end values come halved (their trapezoid weight)
    for (int k = 0; k < 25; ++k) f[k] = values[k];

    /* First fold, k with 24 - k: the odd degrees. */
    double diff[12];
    for (int k = 0; k < 12; ++k) {
        diff[k] = f[k] - f[24 - k];
        f[k] = f[k] + f[24 - k];
    }
    double even_k = diff[0] - diff[8];
    double odd_k = c[6] * (diff[2] - diff[6] - diff[10]);
    d12[3] = even_k + odd_k;
    d12[9] = even_k - odd_k;
    double first = diff[1] - diff[7] - diff[9], second = diff[3] - diff[5] - diff[11];
    double rest = c[3] * first + c[9] * second;
    d24[3] = d12[3] + rest;
    d24[21] = d12[3] - rest;
    rest = c[9] * first - c[3] * second;
    d24[9] = d12[9] + rest;
    d24[15] = d12[9] - rest;
    const double by_c4 = c[4] * diff[4], by_c8 = c[8] * diff[8], by_c6 = c[6] * diff[6];
    even_k = diff[0] + by_c4 + by_c8;
    odd_k = c[2] * diff[2] + by_c6 + c[10] * diff[10];
    d12[1] = even_k + odd_k;
    d12[11] = even_k - odd_k;
    rest = c[1] * diff[1] + c[3] * diff[3] + c[5] * diff[5] + c[7] * diff[7] + c[9] * diff[9] + c[11] * diff[11];
    d24[1] = d12[1] + rest;
    d24[23] = d12[1] - rest;
    rest = c[11] * diff[1] - c[9] * diff[3] + c[7] * diff[5] - c[5] * diff[7] + c[3] * diff[9] - c[1] * diff[11];
    d24[11] = d12[11] + rest;
    d24[13] = d12[11] - rest;
    even_k = diff[0] - by_c4 + by_c8;
    odd_k = c[10] * diff[2] - by_c6 + c[2] * diff[10];
    d12[5] = even_k + odd_k;
    d12[7] = even_k - odd_k;
    rest = c[5] * diff[1] - c[9] * diff[3] - c[1] * diff[5] - c[11] * diff[7] + c[3] * diff[9] + c[7] * diff[11];
    d24[5] = d12[5] + rest;
    d24[19] = d12[5] - rest;
    rest = c[7] * diff[1] - c[3] * diff[3] - c[11] * diff[5] + c[1] * diff[7] - c[9] * diff[9] - c[5] * diff[11];
    d24[7] = d12[7] + rest;
    d24[17] = d12[7] - rest;

    /* Second fold of the sums, k with 12 - k: degrees 2 mod 4. */
    for (int k = 0; k < 6; ++k) {
        diff[k] = f[k] - f[12 - k];
        f[k] = f[k] + f[12 - k];
    }
    even_k = diff[0] + c[8] * diff[4];
    odd_k = c[4] * diff[2];
    d12[2] = even_k + odd_k;
    d12[10] = even_k - odd_k;
    d12[6] = diff[0] - diff[4];
    rest = c[2] * diff[1] + c[6] * diff[3] + c[10] * diff[5];
    d24[2] = d12[2] + rest;
    d24[22] = d12[2] - rest;
    rest = c[6] * (diff[1] - diff[3] - diff[5]);
    d24[6] = d12[6] + rest;
    d24[18] = d12[6] - rest;
    rest = c[10] * diff[1] - c[6] * diff[3] + c[2] * diff[5];
    d24[10] = d12[10] + rest;
    d24[14] = d12[10] - rest;

    /* Third fold, k with 6 - k: degrees 4 mod 8, then the multiples of 8. */
    for (int k = 0; k < 3; ++k) {
        diff[k] = f[k] - f[6 - k];
        f[k] = f[k] + f[6 - k];
    }
    d12[4] = diff[0] + c[8] * diff[2];
    d12[8] = f[0] - c[8] * f[2];
    rest = c[4] * diff[1];
    d24[4] = d12[4] + rest;
    d24[20] = d12[4] - rest;
    rest = c[8] * f[1] - f[3];
    d24[8] = d12[8] + rest;
    d24[16] = d12[8] - rest;
    d12[0] = f[0] + f[2];
    rest = f[1] + f[3];
    d24[0] = d12[0] + rest;
    d24[24] = d12[0] - rest;
    d12[12] = diff[0] - diff[2];
    d24[12] = d12[12];

    /* The transforms' normalisation (2/12 and 2/24), the end coefficients halved. */
    double scale = 1.0 / 6.0;
    for (int j = 1; j < 12; ++j) d12[j] *= scale;
    scale = 0.5 * scale;
    d12[0] *= scale;
    d12[12] *= scale;
    for (int j = 1; j < 24; ++j) d24[j] *= scale;
    d24[0] = 0.5 * scale * d24[0];
    d24[24] = 0.5 * scale * d24[24];
    return s;
}

MomentSums integrate_against(const ChebyshevSeries &series, const double *moments) {
    MomentSums r{0.0, 0.0};
    for (int k = 0; k < 13; ++k) r.sum12 += series.cheb12[k] * moments[k];
    for (int k = 0; k < 25; ++k) r.sum24 += series.cheb24[k] * moments[k];
    return r;
}

} // namespace nativecall::integrate::detail
