// Tests that workspaces grow only as far as a routine subdivides, and that reused moment tables are validated.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nativecall/integrate/quad.h"
#include "nativecall/integrate/quadpack.h"

namespace ni = nativecall::integrate;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

struct BudgetCase {
    const char *name;
    ni::Weight weight;
    double a, b, wvar0, wvar1;
};

class HugeBudget : public ::testing::TestWithParam<BudgetCase> {};

/* A limit of a billion intervals must not allocate a billion: the tables hold
   what the routine used, and the result equals the one with the default limit. */
TEST_P(HugeBudget, TablesHoldOnlyWhatWasUsed) {
    const BudgetCase &c = GetParam();
    auto f = [](double x) { return std::exp(-x) * std::cos(3.0 * x) + 1.0 / (1.0 + x * x); };
    ni::QuadSpec spec;
    spec.weight = c.weight;
    spec.wvar[0] = c.wvar0;
    spec.wvar[1] = c.wvar1;
    ni::Workspace reference_work;
    ni::QuadOutcome reference = ni::quad(ni::Integrand(f), c.a, c.b, spec, reference_work);
    spec.options.limit = 1000000000;
    spec.limlst = 1000000000;
    spec.maxp1 = 1000000000;
    ni::Workspace work;
    ni::QuadOutcome huge = ni::quad(ni::Integrand(f), c.a, c.b, spec, work);
    EXPECT_EQ(huge.result.value, reference.result.value);
    EXPECT_EQ(huge.result.ier, reference.result.ier);
    EXPECT_LT(work.alist.size(), 1000u);
    EXPECT_LT(work.chebmo.size(), 25u * 100u);
    EXPECT_LT(work.rslst.size(), 1000u);
}

INSTANTIATE_TEST_SUITE_P(
    EveryRoutine, HugeBudget,
    ::testing::Values(BudgetCase{"qags", ni::Weight::None, 0.0, 10.0, 0, 0},
                      BudgetCase{"qagi", ni::Weight::None, 0.0, kInf, 0, 0},
                      BudgetCase{"qawo", ni::Weight::Cos, 0.0, 10.0, 300.0, 0},
                      BudgetCase{"qawf", ni::Weight::Sin, 0.0, kInf, 2.0, 0},
                      BudgetCase{"qaws", ni::Weight::AlgLog, 0.0, 1.0, -0.5, 0.3},
                      BudgetCase{"qawc", ni::Weight::Cauchy, -1.0, 2.0, 0.5, 0}),
    [](const ::testing::TestParamInfo<BudgetCase> &info) { return std::string(info.param.name); });

TEST(Workspace, EnsureGrowsEveryTableTogether) {
    ni::Workspace work;
    work.prepare(1000000000);
    EXPECT_LE(work.alist.size(), 1000u);
    work.ensure(5000);
    for (std::size_t size : {work.alist.size(), work.blist.size(), work.rlist.size(), work.elist.size(),
                             work.iord.size(), work.level.size(), work.nnlog.size()})
        EXPECT_GE(size, 5000u);
}

/* scipy's wopts: a momcom outside [0, maxp1) or too few moments would index
   the table out of bounds, so QAWO answers InvalidInput without sampling f. */
TEST(Qawo, ReusedMomentsOutOfRangeAreInvalidInput) {
    int calls = 0;
    auto f = [&calls](double x) {
        ++calls;
        return std::exp(-x);
    };
    const int maxp1 = 5;
    for (int momcom : {-5, -1, maxp1, 1000000000}) {
        ni::Workspace work;
        work.chebmo.assign(25 * maxp1, 1.0);
        work.momcom = momcom;
        ni::Result r = ni::qawo(ni::Integrand(f), 0.0, 10.0, 300.0, 1, ni::Options{}, maxp1, true, work);
        EXPECT_EQ(r.ier, ni::InvalidInput) << "momcom " << momcom;
    }
    ni::Workspace short_table;
    short_table.chebmo.assign(25, 0.0);
    short_table.momcom = 3;
    EXPECT_EQ(ni::qawo(ni::Integrand(f), 0.0, 10.0, 300.0, 1, ni::Options{}, maxp1, true, short_table).ier,
              ni::InvalidInput);
    EXPECT_EQ(calls, 0);
}

/* Moments computed by one call and reused by the next give the same result. */
TEST(Qawo, MomentsReusedFromAnEarlierCallGiveTheSameResult) {
    auto f = [](double x) { return 1.0 / (1.0 + x * x); };
    ni::Workspace work;
    ni::Result first = ni::qawo(ni::Integrand(f), 0.0, 10.0, 300.0, 2, ni::Options{}, 50, false, work);
    ni::Result again = ni::qawo(ni::Integrand(f), 0.0, 10.0, 300.0, 2, ni::Options{}, 50, true, work);
    EXPECT_EQ(first.value, again.value);
    EXPECT_EQ(first.ier, ni::Converged);
}

} // namespace
