// Wynn epsilon extrapolation over the table of partial sums (QUADPACK's qelg).
#include "epsilon_table.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nativecall::integrate::detail {

/* The comparisons are written as QUADPACK writes them (and fmax, not std::max), so a
   NaN in the table takes the branches it takes there: SciPy's results for integrands
   that return NaN or infinities are reproduced, not only for finite ones. */
EpsilonTable::Estimate EpsilonTable::extrapolate(double value) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    constexpr double oflow = std::numeric_limits<double>::max();
    /* 1-based view so the index arithmetic reads like the published scheme. */
    double *e = table_ - 1;
    /* QUADPACK trims a full table only on its regular path; the "converged" return
       (every call, once a NaN is in the table) leaves it growing, and QUADPACK (and
       SciPy) then write past its end. Here the two oldest entries go instead, which
       keeps the diagonals' parity; a table that never fills is unaffected. */
    if (size_ >= kMaxElements) {
        for (int i = 2; i < size_; ++i) table_[i - 2] = table_[i];
        size_ -= 2;
    }
    table_[size_++] = value;
    int n = size_;

    ++calls_;
    double abserr = oflow;
    double result = e[n];
    if (n < 3) return {result, std::fmax(abserr, 5.0 * epmach * std::fabs(result))};

    e[n + 2] = e[n];
    int new_elements = (n - 1) / 2;
    e[n] = oflow;
    int original = n;
    int k1 = n;
    for (int i = 1; i <= new_elements; ++i) {
        int k2 = k1 - 1, k3 = k1 - 2;
        double res = e[k1 + 2];
        double e0 = e[k3], e1 = e[k2], e2 = res;
        double e1abs = std::fabs(e1);
        double delta2 = e2 - e1, err2 = std::fabs(delta2);
        double tol2 = std::fmax(std::fabs(e2), e1abs) * epmach;
        double delta3 = e1 - e0, err3 = std::fabs(delta3);
        double tol3 = std::fmax(e1abs, std::fabs(e0)) * epmach;
        if (!(err2 > tol2 || err3 > tol3)) {
            /* e0, e1 and e2 agree to machine accuracy: the sequence has converged. */
            result = res;
            abserr = err2 + err3;
            size_ = n;
            return {result, std::fmax(abserr, 5.0 * epmach * std::fabs(result))};
        }
        double e3 = e[k1];
        e[k1] = e1;
        double delta1 = e1 - e3, err1 = std::fabs(delta1);
        double tol1 = std::fmax(e1abs, std::fabs(e3)) * epmach;
        /* Two elements too close, or an irregular table: cut the table here. */
        double ss = 0.0;
        bool irregular = err1 <= tol1 || err2 <= tol2 || err3 <= tol3;
        if (!irregular) {
            ss = 1.0 / delta1 + 1.0 / delta2 - 1.0 / delta3;
            irregular = !(std::fabs(ss * e1) > 1.0e-4);
        }
        if (irregular) {
            n = i + i - 1;
            break;
        }
        res = e1 + 1.0 / ss;
        e[k1] = res;
        k1 -= 2;
        double error = err2 + std::fabs(res - e2) + err3;
        if (!(error > abserr)) {
            abserr = error;
            result = res;
        }
    }

    /* Shift the table: keep the diagonal that the next call extends, at most 50 entries. */
    if (n == kMaxElements) n = 2 * (kMaxElements / 2) - 1;
    int ib = (original % 2 == 0) ? 2 : 1;
    for (int i = 1; i <= new_elements + 1; ++i) {
        e[ib] = e[ib + 2];
        ib += 2;
    }
    if (original != n) {
        int from = original - n + 1;
        for (int i = 1; i <= n; ++i, ++from) e[i] = e[from];
    }
    size_ = n;

    if (calls_ < 4) {
        last_three_[calls_ - 1] = result;
        abserr = oflow;
    } else {
        abserr = std::fabs(result - last_three_[2]) + std::fabs(result - last_three_[1]) +
                 std::fabs(result - last_three_[0]);
        last_three_[0] = last_three_[1];
        last_three_[1] = last_three_[2];
        last_three_[2] = result;
    }
    return {result, std::fmax(abserr, 5.0 * epmach * std::fabs(result))};
}

} // namespace nativecall::integrate::detail
