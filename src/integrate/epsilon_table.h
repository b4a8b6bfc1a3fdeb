// Wynn's epsilon algorithm, as QUADPACK uses it to extrapolate a sequence of partial integral estimates.
#pragma once

namespace nativecall::integrate::detail {

/* The extrapolation table of QUADPACK's qelg. Append each new estimate with
   `extrapolate`, which returns the limit estimate of the sequence so far and
   an error estimate built from the last three limits. */
class EpsilonTable {
public:
    /* Room for the 50 most recent elements QUADPACK keeps, plus 2 scratch entries. */
    static constexpr int kMaxElements = 50;

    /* Empties the table for a new integral. The three previous limits start at zero,
       as scipy's QUADPACK starts them: a call that returns early (fewer than three
       elements, or a converged table) is counted without storing a limit, so the
       error estimate can read a slot no call has written. */
    void reset() {
        size_ = 0;
        calls_ = 0;
        last_three_[0] = last_three_[1] = last_three_[2] = 0.0;
    }
    /* Appends an element without extrapolating (the first one or two estimates). */
    void push(double value) { table_[size_++] = value; }
    int size() const { return size_; }
    /* The last element: the newest estimate, except after an extrapolation that
       found the table converged, which leaves QUADPACK's placeholder (DBL_MAX) there
       and the estimate two places further (QAWF reads its partial sums here, as
       QUADPACK does, placeholder included). */
    double newest() const { return table_[size_ - 1]; }

    struct Estimate {
        double value;
        double abserr;
    };
    /* Adds `value` and extrapolates. The table may shrink when elements
       coincide to machine accuracy (the sequence has converged). */
    Estimate extrapolate(double value);

private:
    /* Not zero-filled (every integral makes a table): extrapolate reads only entries
       written before, table_[0, size_) and the scratch entry it sets. */
    double table_[kMaxElements + 2];
    double last_three_[3] = {0.0, 0.0, 0.0};   // QUADPACK's res3la: the three previous limits
    int size_ = 0;               // QUADPACK's n (numrl2)
    int calls_ = 0;              // QUADPACK's nres
};

} // namespace nativecall::integrate::detail
