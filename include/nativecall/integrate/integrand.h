// Integrand: a non-owning, type-erased reference to f(x) that quadrature rules call with a whole set of abscissae at once.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>

namespace nativecall::integrate {

/* The rules evaluate all their nodes (21 for Gauss-Kronrod 21, 25 for
   Clenshaw-Curtis, 42 for both halves of a bisected interval) in one call, so
   the type erasure costs one indirect call per rule rather than one per point,
   and the user's functor is inlined into the
   loop that fills the values. An Integrand refers to its functor: the functor
   must outlive it (routines take it by const reference for one call). */
class Integrand {
public:
    /* Any callable double(double). */
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Integrand> &&
                                                std::is_invocable_v<F &, double>>>
    Integrand(F &f) noexcept
        : object_(const_cast<void *>(static_cast<const void *>(std::addressof(f)))),
          sample_(&sample_pointwise<F>) {}

    /* A callable void(const double *x, double *fx, size_t n) that fills fx[i] = f(x[i]). */
    template <class F> static Integrand from_sampler(F &sampler) noexcept {
        Integrand result;
        result.object_ = const_cast<void *>(static_cast<const void *>(std::addressof(sampler)));
        result.sample_ = &sample_batch<F>;
        return result;
    }

    /* fx[i] = f(x[i]) for i < n. May throw whatever the functor throws. */
    void operator()(const double *x, double *fx, std::size_t n) const { sample_(object_, x, fx, n); }

    /* One value; for code paths that need a single point. */
    double operator()(double x) const {
        double fx;
        sample_(object_, &x, &fx, 1);
        return fx;
    }

private:
    Integrand() = default;

    template <class F> static void sample_pointwise(void *object, const double *x, double *fx, std::size_t n) {
        F &f = *static_cast<F *>(object);
        for (std::size_t i = 0; i < n; ++i) fx[i] = static_cast<double>(f(x[i]));
    }
    template <class F> static void sample_batch(void *object, const double *x, double *fx, std::size_t n) {
        (*static_cast<F *>(object))(x, fx, n);
    }

    void *object_ = nullptr;
    void (*sample_)(void *, const double *, double *, std::size_t) = nullptr;
};

} // namespace nativecall::integrate
