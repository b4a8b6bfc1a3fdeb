// The batch driver: one quad per item, items handed out dynamically to the shared thread pool.
#include "nativecall/integrate/batch.h"

#include <algorithm>
#include <vector>

#include "nativecall/runtime/thread_pool.h"

namespace nativecall::integrate {

void quad_batch(const BatchIntegrand &f, std::size_t first, std::size_t count, const double *a,
                std::size_t a_stride, const double *b, std::size_t b_stride, const QuadSpec &spec, int workers,
                const BatchOutput &out) {
    if (workers < 1) workers = 1;
    /* One workspace per thread, reused by all the items it takes. */
    std::vector<Workspace> work(static_cast<std::size_t>(workers));
    parallel_for(
        count, workers,
        [&](std::size_t begin, std::size_t end, int worker) {
            for (std::size_t k = begin; k < end; ++k) {
                const std::size_t item = first + k;
                auto sampler = [&f, item](const double *x, double *fx, std::size_t n) { f(item, x, fx, n); };
                QuadOutcome r = quad(Integrand::from_sampler(sampler), a[item * a_stride], b[item * b_stride], spec,
                                     work[static_cast<std::size_t>(worker)]);
                out.value[item] = r.result.value;
                out.abserr[item] = r.result.abserr;
                out.ier[item] = r.result.ier;
                if (out.neval) out.neval[item] = r.result.neval;
            }
        },
        /* Small chunks, since integrals differ widely in cost, but about 256 per
           worker at most: thousands of cheap items would otherwise make the
           workers contend for the shared cursor (and output cache lines) every few items. */
        std::max<std::size_t>(4, count / (256 * static_cast<std::size_t>(workers))));
}

} // namespace nativecall::integrate
