// Modified Chebyshev moments of the Fourier weights, by recurrence (large p) or a tridiagonal solve (small p).
#include "oscillatory_moments.h"

#include <cmath>

namespace nativecall::integrate::detail {

namespace {

/* Solves the tridiagonal system with sub-diagonal `sub` (sub[k] couples row k
   to unknown k-1), diagonal `diag`, super-diagonal `super` (row k to unknown
   k+1) by Gaussian elimination with partial pivoting; `rhs` becomes the
   solution. The arrays are overwritten.
   As scipy's QUADPACK (its C translation, scipy 1.15 on) does, the elimination stops
   one row short: the last row's sub-diagonal entry is left out, and back substitution
   treats it as zero. That keeps the moments, and so every QAWO and QAWF result, equal
   to scipy's to the bit. The moments move by up to about 5e-13 of the largest one
   (measured over 20,000 values of p in [2, 24]), mostly the highest-degree ones, which
   multiply the smallest Chebyshev coefficients: far below the rules' error estimates. */
void solve_tridiagonal(int n, double *sub, double *diag, double *super, double *rhs) {
    /* After a row swap, row k gains a second super-diagonal entry. */
    double super2[32] = {};
    for (int k = 0; k < n - 2; ++k) {
        if (std::fabs(sub[k + 1]) > std::fabs(diag[k])) {
            /* Swap rows k and k+1 (row k+1 has entries sub[k+1], diag[k+1], super[k+1]). */
            double t;
            t = diag[k]; diag[k] = sub[k + 1]; sub[k + 1] = t;
            t = super[k]; super[k] = diag[k + 1]; diag[k + 1] = t;
            t = super2[k]; super2[k] = super[k + 1]; super[k + 1] = t;
            t = rhs[k]; rhs[k] = rhs[k + 1]; rhs[k + 1] = t;
        }
        double factor = sub[k + 1] / diag[k];
        diag[k + 1] -= factor * super[k];
        super[k + 1] -= factor * super2[k];
        rhs[k + 1] -= factor * rhs[k];
        sub[k + 1] = 0.0;
    }
    rhs[n - 1] /= diag[n - 1];
    if (n > 1) rhs[n - 2] = (rhs[n - 2] - super[n - 2] * rhs[n - 1]) / diag[n - 2];
    for (int k = n - 3; k >= 0; --k)
        rhs[k] = (rhs[k] - super[k] * rhs[k + 1] - super2[k] * rhs[k + 2]) / diag[k];
}

constexpr int kEquations = 25;

} // namespace

void oscillatory_moments(double p, double *moments) {
    const double p2 = p * p, p22 = p2 + 2.0;
    const double sinp = std::sin(p), cosp = std::cos(p);
    double v[kEquations + 5];
    double sub[kEquations + 1], diag[kEquations + 1], super[kEquations + 1];

    /* Cosine moments of T_0, T_2, T_4, ... */
    v[0] = 2.0 * sinp / p;
    v[1] = (8.0 * cosp + (p2 + p2 - 8.0) * sinp / p) / p2;
    v[2] = (32.0 * (p2 - 12.0) * cosp + (2.0 * ((p2 - 80.0) * p2 + 192.0) * sinp) / p) / (p2 * p2);
    double ac = 8.0 * cosp, as = 24.0 * p * sinp;
    if (std::fabs(p) > 24.0) {
        double an = 4.0;
        for (int i = 3; i < 13; ++i) {
            double an2 = an * an;
            v[i] = ((an2 - 4.0) * (2.0 * (p22 - an2 - an2) * v[i - 1] - ac) + as -
                    p2 * (an + 1.0) * (an + 2.0) * v[i - 2]) /
                   (p2 * (an - 1.0) * (an - 2.0));
            an += 2.0;
        }
    } else {
        double an = 6.0;
        for (int k = 0; k < kEquations - 1; ++k) {
            double an2 = an * an;
            diag[k] = -2.0 * (an2 - 4.0) * (p22 - an2 - an2);
            super[k] = (an - 1.0) * (an - 2.0) * p2;
            sub[k + 1] = (an + 3.0) * (an + 4.0) * p2;
            v[k + 3] = as - (an2 - 4.0) * ac;
            an += 2.0;
        }
        double an2 = an * an;
        diag[kEquations - 1] = -2.0 * (an2 - 4.0) * (p22 - an2 - an2);
        v[kEquations + 2] = as - (an2 - 4.0) * ac;
        v[3] -= 56.0 * p2 * v[2];
        /* The far end of the recurrence from the asymptotic expansion of the moment. */
        double ass = p * sinp;
        double asap = (((((210.0 * p2 - 1.0) * cosp - (105.0 * p2 - 63.0) * ass) / an2 - (1.0 - 15.0 * p2) * cosp +
                         15.0 * ass) / an2 - cosp + 3.0 * ass) / an2 - cosp) / an2;
        v[kEquations + 2] -= 2.0 * asap * p2 * (an - 1.0) * (an - 2.0);
        sub[0] = 0.0;
        solve_tridiagonal(kEquations, sub, diag, super, v + 3);
    }
    for (int j = 0; j < 13; ++j) moments[2 * j] = v[j];

    /* Sine moments of T_1, T_3, T_5, ... */
    v[0] = 2.0 * (sinp - p * cosp) / p2;
    v[1] = (18.0 - 48.0 / p2) * sinp / p2 + (-2.0 + 48.0 / p2) * cosp / p;
    ac = -24.0 * p * cosp;
    as = -8.0 * sinp;
    if (std::fabs(p) > 24.0) {
        double an = 3.0;
        for (int i = 2; i < 12; ++i) {
            double an2 = an * an;
            v[i] = ((an2 - 4.0) * (2.0 * (p22 - an2 - an2) * v[i - 1] + as) + ac -
                    p2 * (an + 1.0) * (an + 2.0) * v[i - 2]) /
                   (p2 * (an - 1.0) * (an - 2.0));
            an += 2.0;
        }
    } else {
        double an = 5.0;
        for (int k = 0; k < kEquations - 1; ++k) {
            double an2 = an * an;
            diag[k] = -2.0 * (an2 - 4.0) * (p22 - an2 - an2);
            super[k] = (an - 1.0) * (an - 2.0) * p2;
            sub[k + 1] = (an + 3.0) * (an + 4.0) * p2;
            v[k + 2] = ac + (an2 - 4.0) * as;
            an += 2.0;
        }
        double an2 = an * an;
        diag[kEquations - 1] = -2.0 * (an2 - 4.0) * (p22 - an2 - an2);
        v[kEquations + 1] = ac + (an2 - 4.0) * as;
        v[2] -= 42.0 * p2 * v[1];
        double ass = p * cosp;
        double asap = (((((105.0 * p2 - 63.0) * ass + (210.0 * p2 - 1.0) * sinp) / an2 + (15.0 * p2 - 1.0) * sinp -
                         15.0 * ass) / an2 - 3.0 * ass - sinp) / an2 - sinp) / an2;
        v[kEquations + 1] -= 2.0 * asap * p2 * (an - 1.0) * (an - 2.0);
        sub[0] = 0.0;
        solve_tridiagonal(kEquations, sub, diag, super, v + 2);
    }
    for (int j = 0; j < 12; ++j) moments[2 * j + 1] = v[j];
}

} // namespace nativecall::integrate::detail
