// The batch driver: one quad per item, items handed out dynamically to the shared thread pool.
#include "nativecall/integrate/batch.h"

#include <algorithm>

namespace nativecall::integrate {

namespace detail {
std::size_t batch_grain(std::size_t count, int workers) {
    return std::max<std::size_t>(4, count / (256 * static_cast<std::size_t>(std::max(workers, 1))));
}
} // namespace detail

void quad_batch(const BatchIntegrand &f, std::size_t first, std::size_t count, const double *a,
                std::size_t a_stride, const double *b, std::size_t b_stride, const QuadSpec &spec, int workers,
                const BatchOutput &out) {
    auto bind = [&f](std::size_t item) {
        return [&f, item](const double *x, double *fx, std::size_t n) { f(item, x, fx, n); };
    };
    quad_batch_bound(bind, first, count, a, a_stride, b, b_stride, spec, workers, out);
}

} // namespace nativecall::integrate
