// nquad: iterated integration over any number of dimensions, every level in C++.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/integrate/quad.h"

namespace nativecall::integrate {

/* A non-owning reference to the integrand f(x0, ..., x_{n-1}, t0, ...),
   called with all coordinates and extra arguments packed in one array (the
   layout of scipy's `double (int, double *)` callbacks). The innermost level
   asks for a whole rule's worth of values at once, so a native loop entry can
   serve them in one call. */
class MultiIntegrand {
public:
    /* Any callable double(const double *x, size_t count); `x` holds `count`
       values: the coordinates, innermost first, then the arguments. */
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MultiIntegrand>>>
    MultiIntegrand(F &f) noexcept
        : object_(const_cast<void *>(static_cast<const void *>(std::addressof(f)))),
          sample_(&sample_pointwise<F>) {}

    /* A callable void(double *x, size_t count, const double *t, double *ft, size_t n)
       that fills ft[i] = f(x with x[0] = t[i]); it may leave any value in x[0]. When
       it also has `bool has_mirrored_sum() const` and a `mirrored_sum` with the same
       parameters filling f(x with x[0] = t[i]) + f(x with x[0] = -t[i]), and the first
       says true, an innermost level over (-inf, inf) asks for that sum instead
       (Integrand::with_mirrored_sum). */
    template <class F> static MultiIntegrand from_sampler(F &sampler) noexcept {
        MultiIntegrand result;
        result.object_ = const_cast<void *>(static_cast<const void *>(std::addressof(sampler)));
        result.sample_ = &sample_batch<F>;
        if constexpr (detail::offers_mirrored_sum<F, void(double *, std::size_t, const double *, double *,
                                                           std::size_t)>::value) {
            if (sampler.has_mirrored_sum()) result.mirrored_sum_ = &sample_mirrored_member<F>;
        }
        return result;
    }

    /* ft[i] = f(x with x[0] = t[i]) for i < n; x[0] is left changed. */
    void operator()(double *x, std::size_t count, const double *t, double *ft, std::size_t n) const {
        sample_(object_, x, count, t, ft, n);
    }
    bool has_mirrored_sum() const noexcept { return mirrored_sum_ != nullptr; }
    /* ft[i] = f(.., t[i], ..) + f(.., -t[i], ..); only when has_mirrored_sum(). */
    void mirrored_sum(double *x, std::size_t count, const double *t, double *ft, std::size_t n) const {
        mirrored_sum_(object_, x, count, t, ft, n);
    }

private:
    MultiIntegrand() = default;

    template <class F>
    static void sample_pointwise(void *object, double *x, std::size_t count, const double *t, double *ft,
                                 std::size_t n) {
        F &f = *static_cast<F *>(object);
        for (std::size_t i = 0; i < n; ++i) {
            x[0] = t[i];
            ft[i] = static_cast<double>(f(static_cast<const double *>(x), count));
        }
    }
    template <class F>
    static void sample_batch(void *object, double *x, std::size_t count, const double *t, double *ft,
                             std::size_t n) {
        (*static_cast<F *>(object))(x, count, t, ft, n);
    }

    template <class F>
    static void sample_mirrored_member(void *object, double *x, std::size_t count, const double *t, double *ft,
                                       std::size_t n) {
        static_cast<F *>(object)->mirrored_sum(x, count, t, ft, n);
    }

    void *object_ = nullptr;
    void (*sample_)(void *, double *, std::size_t, const double *, double *, std::size_t) = nullptr;
    void (*mirrored_sum_)(void *, double *, std::size_t, const double *, double *, std::size_t) = nullptr;
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

/* A level's options that no routine accepts (QUADPACK's ier 6): which level, and the
   options and range it had then, so a front end can say what is wrong in its terms. */
class InvalidLevelOptions : public InvalidArgument {
public:
    InvalidLevelOptions(std::size_t level, const QuadSpec &spec, double lo, double hi)
        : InvalidArgument("nquad: the options for ranges[" + std::to_string(level) +
                          "] are invalid (QUADPACK ier=6): check epsabs/epsrel, limit >= 1, maxp1 >= 1, "
                          "limlst >= 3 and wvar"),
          level(level), spec(spec), lo(lo), hi(hi) {}
    std::size_t level;
    QuadSpec spec;
    double lo, hi;
};

/* ∫...∫ f over the levels, outermost level last in `levels`. `args` follow
   the coordinates in the array f receives. Exceptions from f or from a range
   or option callable propagate; invalid options throw InvalidLevelOptions. */
NquadResult nquad(const MultiIntegrand &f, const std::vector<NquadLevel> &levels, const std::vector<double> &args);

/* For a C++ callable f(const double *x, size_t count): lambdas, functors, plain
   functions (which the wrapping lambda lets through; MultiIntegrand cannot point at one). */
template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MultiIntegrand>>>
NquadResult nquad(F &&f, const std::vector<NquadLevel> &levels, const std::vector<double> &args = {}) {
    auto call = [&f](const double *x, std::size_t count) -> double { return f(x, count); };
    return nquad(MultiIntegrand(call), levels, args);
}

} // namespace nativecall::integrate
