// Integrand: a non-owning, type-erased reference to f(x) that quadrature rules call with a whole set of abscissae at once.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace nativecall::integrate {

namespace detail {
/* Whether a sampler F offers `bool has_mirrored_sum() const` and a `mirrored_sum`
   taking the arguments of `Signature` (void(Args...)), as Integrand::from_sampler
   and MultiIntegrand::from_sampler look for. */
template <class F, class Signature, class = void> struct offers_mirrored_sum : std::false_type {};
template <class F, class... Args>
struct offers_mirrored_sum<F, void(Args...),
                           std::void_t<decltype(std::declval<const F &>().has_mirrored_sum()),
                                       decltype(std::declval<F &>().mirrored_sum(std::declval<Args>()...))>>
    : std::true_type {};
} // namespace detail

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

    /* A callable void(const double *x, double *fx, size_t n) that fills fx[i] = f(x[i]).
       When it also has `bool has_mirrored_sum() const` and `void mirrored_sum(const
       double *x, double *fx, size_t n)` and the first says true, the second serves as
       with_mirrored_sum's callable (below). */
    template <class F> static Integrand from_sampler(F &sampler) noexcept {
        Integrand result;
        result.object_ = const_cast<void *>(static_cast<const void *>(std::addressof(sampler)));
        result.sample_ = &sample_batch<F>;
        if constexpr (detail::offers_mirrored_sum<F, void(const double *, double *, std::size_t)>::value) {
            if (sampler.has_mirrored_sum()) {
                result.mirrored_object_ = result.object_;
                result.mirrored_sum_ = &sample_mirrored_member<F>;
            }
        }
        return result;
    }

    /* Adds a callable void(const double *x, double *fx, size_t n) that fills
       fx[i] = f(x[i]) + f(-x[i]), added in that order: the rules on (-inf, inf) then
       ask for that sum at each point instead of evaluating the mirrored points
       themselves. It must agree with f (the results are then bit for bit those
       without it); one pass can be cheaper, and a compiler can evaluate an even f
       once for both points (nativecall's JIT does). `sampler` must outlive the Integrand. */
    template <class G> Integrand &with_mirrored_sum(G &sampler) & noexcept {
        mirrored_object_ = const_cast<void *>(static_cast<const void *>(std::addressof(sampler)));
        mirrored_sum_ = &sample_batch<G>;
        return *this;
    }
    /* On a temporary (Integrand(f).with_mirrored_sum(g)): the result by value, so a
       reference to it cannot outlive the statement. */
    template <class G> Integrand with_mirrored_sum(G &sampler) && noexcept {
        with_mirrored_sum(sampler);
        return *this;
    }
    bool has_mirrored_sum() const noexcept { return mirrored_sum_ != nullptr; }
    /* fx[i] = f(x[i]) + f(-x[i]) for i < n; only when has_mirrored_sum(). */
    void mirrored_sum(const double *x, double *fx, std::size_t n) const { mirrored_sum_(mirrored_object_, x, fx, n); }

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
    template <class F> static void sample_mirrored_member(void *object, const double *x, double *fx, std::size_t n) {
        static_cast<F *>(object)->mirrored_sum(x, fx, n);
    }

    void *object_ = nullptr;
    void (*sample_)(void *, const double *, double *, std::size_t) = nullptr;
    void *mirrored_object_ = nullptr;
    void (*mirrored_sum_)(void *, const double *, double *, std::size_t) = nullptr;
};

} // namespace nativecall::integrate
