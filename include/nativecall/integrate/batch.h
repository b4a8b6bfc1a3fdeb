// quad_batch: many independent integrals (per-item limits and parameters) spread over the thread pool.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

#include "nativecall/errors.h"
#include "nativecall/integrate/quad.h"
#include "nativecall/runtime/thread_pool.h"

namespace nativecall::integrate {

/* A non-owning reference to item-dependent integrands: fills fx[i] = f_item(x[i]).
   Called concurrently from several threads (with different items) when
   workers > 1, so the referenced callable must be safe for that. */
class BatchIntegrand {
public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BatchIntegrand>>>
    BatchIntegrand(F &f) noexcept
        : object_(const_cast<void *>(static_cast<const void *>(std::addressof(f)))), sample_(&sample_with<F>) {}
    void operator()(std::size_t item, const double *x, double *fx, std::size_t n) const {
        sample_(object_, item, x, fx, n);
    }

private:
    template <class F>
    static void sample_with(void *object, std::size_t item, const double *x, double *fx, std::size_t n) {
        (*static_cast<F *>(object))(item, x, fx, n);
    }
    void *object_;
    void (*sample_)(void *, std::size_t, const double *, double *, std::size_t);
};

/* Where quad_batch writes item i's result: value[i], abserr[i], ier[i] and,
   when not null, neval[i]. */
struct BatchOutput {
    double *value;
    double *abserr;
    int *ier;
    int *neval = nullptr;
};

/* Integrates items [first, first + count): item i over [a[i * a_stride], b[i * b_stride]]
   (stride 0: one limit for all) with the same spec. `workers` threads from the
   shared pool (1: inline on the calling thread). Results do not depend on the
   number of workers. Exceptions from f stop the batch and propagate. The items run on
   pooled workspaces, so spec.reuse_moments (moments left in a Workspace of the
   caller's) is an InvalidArgument. */
void quad_batch(const BatchIntegrand &f, std::size_t first, std::size_t count, const double *a,
                std::size_t a_stride, const double *b, std::size_t b_stride, const QuadSpec &spec, int workers,
                const BatchOutput &out);

namespace detail {
/* The items' chunk size: small, since integrals differ widely in cost, but about
   256 chunks per worker at most: thousands of cheap items would otherwise make the
   workers contend for the shared cursor (and output cache lines) every few items. */
std::size_t batch_grain(std::size_t count, int workers);
} // namespace detail

/* quad_batch for integrands that set each item up once rather than on every
   rule: `bind(item)` returns the item's sampler by value, a callable
   void(const double *x, double *fx, std::size_t n) (e.g. holding the item's row of
   parameters), which the rules then call directly. Same contract otherwise. */
template <class Bind>
void quad_batch_bound(const Bind &bind, std::size_t first, std::size_t count, const double *a, std::size_t a_stride,
                      const double *b, std::size_t b_stride, const QuadSpec &spec, int workers,
                      const BatchOutput &out) {
    /* Each thread's pooled workspace holds the moments of whatever it integrated last,
       which would make results depend on history and on which thread ran an item. */
    if (spec.reuse_moments)
        throw InvalidArgument("quad_batch: QuadSpec::reuse_moments is set, but the items run on pooled "
                              "workspaces whose moments belong to other integrals; reuse moments with quad() "
                              "and a Workspace of your own");
    /* Break points shared by items of different ranges: one outside an item's range is
       reported before any work, naming the item (a handler around each item's quad
       would cost a few percent of a small integral). Empty and infinite ranges are
       left to quad (0, and its own error), and a weight ignores the points. */
    if (!spec.points.empty() && spec.weight == Weight::None) {
        for (std::size_t item = first; item < first + count; ++item) {
            const double lo = a[item * a_stride], hi = b[item * b_stride];
            if (lo == hi || !std::isfinite(lo) || !std::isfinite(hi)) continue;
            try {
                interior_break_points(spec.points, std::min(lo, hi), std::max(lo, hi));
            } catch (const InvalidArgument &e) {
                throw InvalidArgument("quad_batch: integral " + std::to_string(item) + ": " + e.what());
            }
        }
    }
    if (workers < 1) workers = 1;
    parallel_for(
        count, workers,
        [&](std::size_t begin, std::size_t end, int) {
            /* The thread's pooled workspace, reused by every item of the chunk (and by
               later calls: a call allocates nothing once its threads have one). */
            PooledWorkspace work;
            for (std::size_t k = begin; k < end; ++k) {
                const std::size_t item = first + k;
                auto sampler = bind(item);
                QuadOutcome r = quad(Integrand::from_sampler(sampler), a[item * a_stride], b[item * b_stride], spec,
                                     *work);
                out.value[item] = r.result.value;
                out.abserr[item] = r.result.abserr;
                out.ier[item] = r.result.ier;
                if (out.neval) out.neval[item] = r.result.neval;
            }
        },
        detail::batch_grain(count, workers));
}

} // namespace nativecall::integrate
