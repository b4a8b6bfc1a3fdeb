// Iterated integration: each level's integrand is the next level's quad, all in one C++ call stack.
#include "nativecall/integrate/nquad.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>

#include "nativecall/errors.h"

namespace nativecall::integrate {

namespace {

class IteratedIntegral {
public:
    IteratedIntegral(const MultiIntegrand &f, const std::vector<NquadLevel> &levels, const std::vector<double> &args)
        : f_(f), levels_(levels), dims_(levels.size()), x_(levels.size() + args.size()),
          work_(new PooledWorkspace[levels.size()]) {
        std::copy(args.begin(), args.end(), x_.begin() + static_cast<std::ptrdiff_t>(dims_));
    }

    /* ∫ over level `depth` (and, inside, every level below it) at the outer
       coordinates currently in x_. */
    double integrate(std::size_t depth) {
        const NquadLevel &level = levels_[depth];
        const double *outer = x_.data() + depth + 1;
        const std::size_t outer_count = x_.size() - depth - 1;
        double lo = level.lo, hi = level.hi;
        if (level.range) std::tie(lo, hi) = level.range(outer, outer_count);
        /* The level's own spec is used in place (this runs once per outer
           sample); a copy is made only when it is computed or must be trimmed. */
        const QuadSpec *spec = &level.spec;
        QuadSpec varying;
        if (level.spec_at) {
            varying = level.spec_at(outer, outer_count);
            spec = &varying;
        }
        /* A level's workspace is pooled and reused by every quad at that level. */
        if (spec->reuse_moments)
            throw InvalidArgument("nquad: the options for ranges[" + std::to_string(depth) +
                                  "] set QuadSpec::reuse_moments, but each level's quads share one pooled "
                                  "workspace, whose moments belong to other integrals; reuse moments with quad() "
                                  "and a Workspace of your own");
        /* scipy keeps only the break points inside this level's current range. */
        if (!spec->points.empty()) {
            std::vector<double> kept;
            for (double p : spec->points)
                if (std::min(lo, hi) <= p && p <= std::max(lo, hi)) kept.push_back(p);
            if (spec != &varying) varying = *spec;
            varying.points = std::move(kept);
            spec = &varying;
        }
        LevelSampler sampler{this, depth};
        QuadOutcome outcome = quad(Integrand::from_sampler(sampler), lo, hi, *spec, *work_[depth]);
        /* Invalid options stay invalid at every call: stop at the first. */
        if (outcome.result.ier == InvalidInput) throw InvalidLevelOptions(depth, *spec, lo, hi);
        if (depth == 0) result_.neval += outcome.result.neval;
        result_.abserr = std::max(result_.abserr, outcome.result.abserr);
        if (outcome.result.ier != 0 && result_.first_failure_ier == 0) {
            result_.first_failure_ier = outcome.result.ier;
            result_.first_failure_level = static_cast<int>(depth);
            result_.first_failure_routine = outcome.routine;
        }
        return outcome.result.value;
    }

    NquadResult run() {
        result_.value = integrate(dims_ - 1);
        return result_;
    }

private:
    /* Level `depth`'s integrand: the innermost level hands the whole rule to f at
       once (and, over (-inf, inf), asks f for the mirrored sums when it offers them);
       the others integrate the level below at each point. */
    struct LevelSampler {
        IteratedIntegral *self;
        std::size_t depth;
        void operator()(const double *t, double *ft, std::size_t n) const {
            if (depth == 0) return self->f_(self->x_.data(), self->x_.size(), t, ft, n);
            for (std::size_t i = 0; i < n; ++i) {
                self->x_[depth] = t[i];
                ft[i] = self->integrate(depth - 1);
            }
        }
        bool has_mirrored_sum() const { return depth == 0 && self->f_.has_mirrored_sum(); }
        void mirrored_sum(const double *t, double *ft, std::size_t n) const {
            self->f_.mirrored_sum(self->x_.data(), self->x_.size(), t, ft, n);
        }
    };

    const MultiIntegrand &f_;
    const std::vector<NquadLevel> &levels_;
    std::size_t dims_;
    std::vector<double> x_;          // coordinates x0..x_{n-1}, then the arguments
    /* One per level (levels are active at the same time), from the thread's
       pool: repeated nquads reuse tables already grown. */
    std::unique_ptr<PooledWorkspace[]> work_;
    NquadResult result_;
};

} // namespace

NquadResult nquad(const MultiIntegrand &f, const std::vector<NquadLevel> &levels, const std::vector<double> &args) {
    if (levels.empty()) throw InvalidArgument("nquad: 'ranges' is empty; expected one range per dimension");
    return IteratedIntegral(f, levels, args).run();
}

} // namespace nativecall::integrate
