// nquad: iterated integration over any number of dimensions, every level in C++.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "nativecall/integrate/quad.h"

namespace nativecall::integrate {

/* A non-owning reference to the integrand f(x0, ..., x_{n-1}, t0, ...),
   called with all coordinates and extra arguments packed in one array (the
   layout of scipy's `double (int, double *)` callbacks). */
class MultiIntegrand {
public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MultiIntegrand>>>
    MultiIntegrand(F &f) noexcept
        : object_(const_cast<void *>(static_cast<const void *>(std::addressof(f)))), call_(&call_with<F>) {}
    /* `x` holds `count` values: the coordinates, innermost first, then the arguments. */
    double operator()(const double *x, std::size_t count) const { return call_(object_, x, count); }

private:
    template <class F> static double call_with(void *object, const double *x, std::size_t count) {
        return static_cast<double>((*static_cast<F *>(object))(x, count));
    }
    void *object_;
    double (*call_)(void *, const double *, std::size_t);
};

/* One level of an nquad: variable x_i, with levels[0] the innermost (scipy's
   `ranges[0]`). Limits and options are constant unless `range` / `spec_at`
   are set, in which case they are called with the outer coordinates
   x_{i+1}, ..., x_{n-1} followed by the arguments, like scipy's callables. */
struct NquadLevel {
    double lo = 0.0, hi = 0.0;
    std::function<std::pair<double, double>(const double *outer, std::size_t count)> range;
    QuadSpec spec;
    std::function<QuadSpec(const double *outer, std::size_t count)> spec_at;
};

struct NquadResult {
    double value = 0.0;
    double abserr = 0.0;        // the largest error any level's quad reported (scipy's choice)
    long long neval = 0;        // evaluations of f (innermost level only, as scipy counts)
    /* The first quad at any level that did not converge: its ier and level
       (levels[]'s index), for warnings; ier 0 when all converged. */
    int first_failure_ier = 0;
    int first_failure_level = -1;
    Routine first_failure_routine = Routine::Qags;
};

/* ∫...∫ f over the levels, outermost level last in `levels`. `args` follow
   the coordinates in the array f receives. Exceptions from f or from a range
   or option callable propagate. */
NquadResult nquad(const MultiIntegrand &f, const std::vector<NquadLevel> &levels, const std::vector<double> &args);

/* For a C++ callable f(const double *x, size_t count). */
template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MultiIntegrand>>>
NquadResult nquad(F &&f, const std::vector<NquadLevel> &levels, const std::vector<double> &args = {}) {
    return nquad(MultiIntegrand(f), levels, args);
}

} // namespace nativecall::integrate
