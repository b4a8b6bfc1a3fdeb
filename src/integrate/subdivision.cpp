// Error-ordered subinterval list and bisection bookkeeping shared by the adaptive drivers.
#include "subdivision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace nativecall::integrate::detail {

void reorder_by_error(int limit, int last, int &maxerr, double &errmax, const double *elist, int *iord,
                      int &nrmax) {
    if (last <= 2) {
        iord[0] = 0;
        iord[1] = 1;
    } else {
        double errmax_value = elist[maxerr];
        /* After extrapolation nrmax may point below the top; an interval whose
           error grew moves up past smaller ones first (only past smaller ones: a
           NaN error stays, as in SciPy's QUADPACK). */
        for (int steps = nrmax; steps > 0; --steps) {
            int above = iord[nrmax - 1];
            if (!(errmax_value > elist[above])) break;
            iord[nrmax] = above;
            --nrmax;
        }
        /* Positions at and past `bottom` can never be reached by later bisections. */
        int bottom = last - 1;  // last position that must stay ordered (0-based)
        if (last > limit / 2 + 2) bottom = limit + 2 - last;
        double errmin = elist[last - 1];
        int end = bottom - 1;
        int insert_at = -1;
        for (int i = nrmax + 1; i <= end; ++i) {
            int next = iord[i];
            if (errmax_value >= elist[next]) {
                insert_at = i;
                break;
            }
            iord[i - 1] = next;
        }
        if (insert_at < 0) {
            iord[end] = maxerr;
            iord[bottom] = last - 1;
        } else {
            iord[insert_at - 1] = maxerr;
            int k = end;
            bool placed = false;
            for (int j = insert_at; j <= end; ++j, --k) {
                int next = iord[k];
                if (errmin < elist[next]) {
                    iord[k + 1] = last - 1;
                    placed = true;
                    break;
                }
                iord[k + 1] = next;
            }
            if (!placed) iord[insert_at] = last - 1;
        }
    }
    maxerr = iord[nrmax];
    errmax = elist[maxerr];
}

void store_halves(Workspace &work, int maxerr, int last, double a1, double b1, double area1,
                  double error1, double a2, double b2, double area2, double error2) {
    int fresh = last - 1;
    if (error2 > error1) {
        work.alist[maxerr] = a2;
        work.alist[fresh] = a1;
        work.blist[fresh] = b1;
        work.rlist[maxerr] = area2;
        work.rlist[fresh] = area1;
        work.elist[maxerr] = error2;
        work.elist[fresh] = error1;
    } else {
        work.alist[fresh] = a2;
        work.blist[maxerr] = b1;
        work.blist[fresh] = b2;
        work.rlist[maxerr] = area1;
        work.rlist[fresh] = area2;
        work.elist[maxerr] = error1;
        work.elist[fresh] = error2;
    }
}

double sum_of_results(const Workspace &work, int last) {
    double sum = 0.0;
    for (int k = 0; k < last; ++k) sum += work.rlist[k];
    return sum;
}

bool too_small_to_bisect(double a1, double a2, double b2, double floor) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    return std::max(std::fabs(a1), std::fabs(b2)) <= (1.0 + 100.0 * epmach) * (std::fabs(a2) + floor);
}

bool tolerances_invalid(double epsabs, double epsrel) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    return epsabs <= 0.0 && epsrel < std::max(50.0 * epmach, 0.5e-28);
}

} // namespace nativecall::integrate::detail

namespace nativecall::integrate {

void Workspace::prepare(int limit) {
    /* A first allocation of at most kFirstIntervals: scipy users pass limits
       like 10**9 as "no limit", and most integrals need a few dozen intervals. */
    constexpr int kFirstIntervals = 128;
    ensure(std::min(std::max(limit, 1), kFirstIntervals));
}

void Workspace::grow(std::size_t needed) {
    /* Grow only, geometrically: every routine writes an entry before reading
       it, and a reused workspace (batches, repeated quad calls) then costs
       nothing. */
    const std::size_t n = std::max(needed, 2 * alist.size());
    alist.resize(n);
    blist.resize(n);
    rlist.resize(n);
    elist.resize(n);
    iord.resize(n);
    level.resize(n);
    nnlog.resize(n);
}

namespace {

constexpr std::size_t kPooledWorkspaces = 16;

/* The free workspaces of this thread; a few are kept (nquad holds one per
   level), more are released so a deep recursion does not pin memory. */
std::vector<std::unique_ptr<Workspace>> &free_workspaces() {
    /* Reserved up front, so returning a workspace never allocates (and never
       throws from a destructor). */
    thread_local std::vector<std::unique_ptr<Workspace>> pool = [] {
        std::vector<std::unique_ptr<Workspace>> reserved;
        reserved.reserve(kPooledWorkspaces);
        return reserved;
    }();
    return pool;
}

} // namespace

PooledWorkspace::PooledWorkspace() {
    auto &pool = free_workspaces();
    if (pool.empty()) {
        work_ = std::make_unique<Workspace>();
    } else {
        work_ = std::move(pool.back());
        pool.pop_back();
    }
}

PooledWorkspace::~PooledWorkspace() {
    auto &pool = free_workspaces();
    if (pool.size() < kPooledWorkspaces) pool.push_back(std::move(work_));
}

} // namespace nativecall::integrate
