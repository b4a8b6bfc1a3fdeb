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

/* cos(j pi / 24) for j = 0..47, so cos(j k pi / 24) = table[(j k) mod 48], filled from
   the first quarter by symmetry (so symmetric terms cancel exactly). */
struct CosineTable {
    double value[48];
    CosineTable() {
        for (int j = 0; j < 48; ++j) {
            const int folded = j <= 24 ? j : 48 - j;   // cos(2 pi - t) = cos t
            value[j] = folded <= 12 ? kQuarterCosines[folded] : -kQuarterCosines[24 - folded];
        }
    }
};

const CosineTable &cosines() {
    static const CosineTable table;
    return table;
}

} // namespace

void clenshaw_curtis_nodes(double centre, double half, double *x) {
    const CosineTable &c = cosines();
    x[0] = centre + half;
    x[24] = centre - half;
    x[12] = centre;
    for (int k = 1; k < 12; ++k) {
        double offset = half * c.value[k];
        x[k] = centre + offset;
        x[24 - k] = centre - offset;
    }
}

ChebyshevSeries chebyshev_series(const double *values) {
    const CosineTable &c = cosines();
    ChebyshevSeries s;
    /* Discrete cosine transform with the end values halved (trapezoid weights). */
    double f[25];
    for (int k = 0; k < 25; ++k) f[k] = values[k];
    f[0] *= 0.5;
    f[24] *= 0.5;
    for (int j = 0; j < 25; ++j) {
        double sum = 0.0;
        for (int k = 0; k < 25; ++k) sum += f[k] * c.value[(j * k) % 48];
        s.cheb24[j] = sum / 12.0;
    }
    double g[13];
    for (int k = 0; k < 13; ++k) g[k] = values[2 * k];
    g[0] *= 0.5;
    g[12] *= 0.5;
    for (int j = 0; j < 13; ++j) {
        double sum = 0.0;
        for (int k = 0; k < 13; ++k) sum += g[k] * c.value[(2 * j * k) % 48];
        s.cheb12[j] = sum / 6.0;
    }
    s.cheb24[0] *= 0.5;
    s.cheb24[24] *= 0.5;
    s.cheb12[0] *= 0.5;
    s.cheb12[12] *= 0.5;
    return s;
}

MomentSums integrate_against(const ChebyshevSeries &series, const double *moments) {
    MomentSums r{0.0, 0.0};
    for (int k = 0; k < 13; ++k) r.sum12 += series.cheb12[k] * moments[k];
    for (int k = 0; k < 25; ++k) r.sum24 += series.cheb24[k] * moments[k];
    return r;
}

} // namespace nativecall::integrate::detail
