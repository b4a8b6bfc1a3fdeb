// 25-point Chebyshev interpolation (degree 12 and 24) for the modified Clenshaw-Curtis rules.
#include "clenshaw_curtis.h"

#include <cmath>

namespace nativecall::integrate::detail {

namespace {

/* cos(j pi / 24) for j = 0..47, so cos(j k pi / 24) = table[(j k) mod 48]. */
struct CosineTable {
    double value[48];
    CosineTable() {
        const double pi = 3.14159265358979323846264338327950;
        for (int j = 0; j < 48; ++j) value[j] = std::cos(j * pi / 24.0);
        /* Exact zeros and ±1 where cos is exact, so symmetric terms cancel exactly. */
        value[12] = value[36] = 0.0;
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
