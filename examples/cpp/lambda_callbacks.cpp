// Uses the nativecall C++ library directly: integrals and an image filter driven by C++ lambdas, each result checked.
//
// Built and run by `make test` (ctest name: example_lambda_callbacks). It prints one
// line per check and exits with 1 if any result is wrong, so the test fails then.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "nativecall/errors.h"
#include "nativecall/integrate/batch.h"
#include "nativecall/integrate/quad.h"
#include "nativecall/integrate/quadpack.h"
#include "nativecall/ndimage/filters.h"
#include "nativecall/signature.h"

namespace integrate = nativecall::integrate;
namespace ndimage = nativecall::ndimage;

namespace {

int failures = 0;

/* One line per check: "ok" or "FAIL", what was checked, and the value behind it. */
void check(bool ok, const char *what, double got, double expected) {
    std::printf("%-4s %s: got %.17g, expected %.17g\n", ok ? "ok" : "FAIL", what, got, expected);
    if (!ok) ++failures;
}
void check(bool ok, const char *what) {
    std::printf("%-4s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) ++failures;
}

bool close(double got, double expected, double tolerance) {
    return std::fabs(got - expected) <= tolerance * std::fabs(expected);
}

const double pi = std::acos(-1.0);
const double inf = std::numeric_limits<double>::infinity();

/* 1. One integral through the scipy-style router: the routine is picked from
   the range (an infinite end means QAGI), exactly as scipy.integrate.quad picks it. */
void gaussian_with_quad() {
    const double a = 2.5;
    auto gaussian = [a](double x) { return std::exp(-a * x * x); };

    integrate::QuadSpec spec;                 // scipy's defaults: epsabs = epsrel = 1.49e-8, limit = 50
    integrate::Workspace work;                // reusable subinterval tables
    integrate::QuadOutcome outcome = integrate::quad(integrate::Integrand(gaussian), -inf, inf, spec, work);

    check(outcome.routine == integrate::Routine::Qagi, "quad picked QAGI for (-inf, inf)");
    check(outcome.result.ier == integrate::Converged && close(outcome.result.value, std::sqrt(pi / a), 1e-10),
          "quad: integral of exp(-2.5 x^2) over the real line", outcome.result.value, std::sqrt(pi / a));
}

/* 2. The QUADPACK routines themselves take any callable; this overload owns its workspace. */
void endpoint_singularity_with_qags() {
    integrate::Result r = integrate::qags([](double x) { return std::log(x) / std::sqrt(x); }, 0.0, 1.0);
    check(r.ier == integrate::Converged && close(r.value, -4.0, 1e-10), "qags: integral of log(x)/sqrt(x) on [0, 1]",
          r.value, -4.0);
}

/* 3. Many integrals at once on the shared thread pool: item i integrates
   exp(-a_i x^2). The lambda is called from several threads, each time for one item. */
void gaussians_with_quad_batch() {
    const std::size_t n = 2000;
    std::vector<double> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = 0.1 + 9.9 * static_cast<double>(i) / (n - 1);
    auto family = [&a](std::size_t item, const double *x, double *fx, std::size_t count) {
        for (std::size_t k = 0; k < count; ++k) fx[k] = std::exp(-a[item] * x[k] * x[k]);
    };

    const double lower = -inf, upper = inf;   // one pair of limits for every item (stride 0)
    std::vector<double> value(n), abserr(n), serial(n), serial_err(n);
    std::vector<int> ier(n), serial_ier(n);
    integrate::quad_batch(integrate::BatchIntegrand(family), 0, n, &lower, 0, &upper, 0, integrate::QuadSpec{},
                          /*workers=*/2, {value.data(), abserr.data(), ier.data()});
    integrate::quad_batch(integrate::BatchIntegrand(family), 0, n, &lower, 0, &upper, 0, integrate::QuadSpec{},
                          /*workers=*/1, {serial.data(), serial_err.data(), serial_ier.data()});

    double worst = 0.0;
    bool converged = true;
    for (std::size_t i = 0; i < n; ++i) {
        worst = std::max(worst, std::fabs(value[i] - std::sqrt(pi / a[i])) / std::sqrt(pi / a[i]));
        converged = converged && ier[i] == integrate::Converged;
    }
    check(converged && worst < 1e-9, "quad_batch: 2000 Gaussians, worst relative error (at most 1e-9)", worst, 0.0);
    check(value == serial, "quad_batch: 2 workers give the same bits as 1");
}

/* 4. generic_filter with a lambda kernel: the minimum over a cross-shaped
   footprint, 'reflect' boundaries, compared with a direct computation. */
void minimum_filter_with_generic_filter() {
    const std::ptrdiff_t rows = 64, cols = 48;
    std::vector<double> image(rows * cols), filtered(rows * cols);
    for (std::ptrdiff_t i = 0; i < rows * cols; ++i) image[i] = std::sin(0.37 * i) * std::cos(0.011 * i * i);

    auto minimum = [](double *values, std::intptr_t size, double *result) {
        *result = *std::min_element(values, values + size);
        return true;   // false would stop the filter with CallbackFailed
    };
    ndimage::Footprint cross{{3, 3}, {0, 1, 0,
                                      1, 1, 1,
                                      0, 1, 0}};
    ndimage::generic_filter(ndimage::view_of(image.data(), {rows, cols}), ndimage::filter_kernel(minimum), cross,
                            ndimage::view_of(filtered.data(), {rows, cols}), ndimage::BoundaryMode::Reflect,
                            /*cval=*/0.0, /*origins=*/{0, 0}, /*workers=*/2);

    // 'reflect' repeats the edge sample: index -1 reads 0 and index n reads n - 1.
    auto at = [&](std::ptrdiff_t r, std::ptrdiff_t c) {
        r = r < 0 ? -r - 1 : r >= rows ? 2 * rows - r - 1 : r;
        c = c < 0 ? -c - 1 : c >= cols ? 2 * cols - c - 1 : c;
        return image[r * cols + c];
    };
    std::ptrdiff_t wrong = 0;
    for (std::ptrdiff_t r = 0; r < rows; ++r)
        for (std::ptrdiff_t c = 0; c < cols; ++c) {
            double expected = std::min({at(r, c), at(r - 1, c), at(r + 1, c), at(r, c - 1), at(r, c + 1)});
            wrong += filtered[r * cols + c] != expected;
        }
    check(wrong == 0, "generic_filter: cross-shaped minimum, pixels that differ from a direct loop", static_cast<double>(wrong), 0);
}

/* 5. Signatures are compared by ABI, not by text: on LP64 every spelling
   below is the geometric_transform callback type. */
void signatures_match_by_abi() {
    nativecall::Signature expected = nativecall::signature_of<ndimage::MappingFunction>();
    const char *spellings[] = {
        "int (intptr_t *, double *, int, int, void *)",
        "int (long long *output_coordinates, double *input_coordinates, int, int, void *data)",
        "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)",
    };
    for (const char *text : spellings)
        check(nativecall::parse_signature(text).same_abi(expected), text);
    nativecall::Signature wrong = nativecall::parse_signature("long (long *, double *, long, long, void *)");
    std::string difference = wrong.first_difference(expected);
    check(!difference.empty(), ("no match, " + difference).c_str());
}

/* 6. Failures: a kernel that returns false stops the filter with CallbackFailed,
   and an exception thrown by a lambda leaves the routine unchanged. */
void failures_propagate() {
    std::vector<double> image(16, 1.0), filtered(16);
    auto refuse = [](double *, std::intptr_t, double *) { return false; };
    ndimage::Footprint box{{3, 3}, std::vector<std::uint8_t>(9, 1)};
    bool stopped = false;
    try {
        ndimage::generic_filter(ndimage::view_of(image.data(), {4, 4}), ndimage::filter_kernel(refuse), box,
                                ndimage::view_of(filtered.data(), {4, 4}), ndimage::BoundaryMode::Reflect, 0.0,
                                {0, 0}, 1);
    } catch (const nativecall::CallbackFailed &) {
        stopped = true;
    }
    check(stopped, "a kernel returning false: nativecall::CallbackFailed");

    struct OutOfDomain : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    bool propagated = false;
    try {
        integrate::qags([](double x) -> double { if (x > 0.5) throw OutOfDomain("x > 0.5"); return x; }, 0.0, 1.0);
    } catch (const OutOfDomain &) {
        propagated = true;
    }
    check(propagated, "an exception thrown by the integrand reaches the caller");
}

} // namespace

int main() {
    gaussian_with_quad();
    endpoint_singularity_with_qags();
    gaussians_with_quad_batch();
    minimum_filter_with_generic_filter();
    signatures_match_by_abi();
    failures_propagate();
    std::printf("%s\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
    return failures == 0 ? 0 : 1;
}
