// The vectorised loop entry (CompiledFunction::many_address): its own exp against libm, and how many times it evaluates each point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

using ScalarLoop = void(const double *, double *, std::int64_t);
using PackedLoop = void(const double *, double *, std::int64_t, int, double *);

std::shared_ptr<CompiledFunction> build(const std::string &source, const char *signature) {
    CompileRequest request;
    request.source = source;
    request.filename = "test.py";
    request.signature = parse_signature(signature);
    request.globals = {{"math", GlobalValue::of_module("math")}};
    return compile(request);
}

template <class Loop> Loop *loop_of(const std::shared_ptr<CompiledFunction> &f) {
    return reinterpret_cast<Loop *>(f->many_address());
}

/* Doubles between a and b, counting along the number line (a and b not NaN). */
std::uint64_t ulps_apart(double a, double b) {
    auto ordered = [](double v) {
        std::int64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        return bits < 0 ? std::numeric_limits<std::int64_t>::min() - bits : bits;
    };
    std::int64_t d = ordered(a) - ordered(b);
    return static_cast<std::uint64_t>(d < 0 ? -d : d);
}

TEST(LoopEntry, ExpIsWithinOneUlpOfLibm) {
    auto f = build("def f(x):\n    return math.exp(x)\n", "double (double)");
    ScalarLoop *many = loop_of<ScalarLoop>(f);
    ASSERT_NE(many, nullptr);
    std::vector<double> x;
    for (int i = 0; i <= 400000; ++i)   // the whole range, every 1/275
        x.push_back(-746.0 + 1456.0 * i / 400000.0);
    std::mt19937_64 random(3);
    std::uniform_real_distribution<double> subnormal(-745.2, -708.3), reduced(-0.35, 0.35);
    for (int i = 0; i < 50000; ++i) {
        x.push_back(subnormal(random));
        x.push_back(reduced(random));
    }
    const double inf = std::numeric_limits<double>::infinity();
    for (double v : {0.0, -0.0, inf, -inf, 709.782712893384, 709.7827128933841, -745.1332191019411,
                     -745.1332191019412, -708.3964185322641, 1e300, -1e300, 5e-324})
        x.push_back(v);
    std::vector<double> fx(x.size());
    many(x.data(), fx.data(), static_cast<std::int64_t>(x.size()));
    std::uint64_t worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::uint64_t d = ulps_apart(fx[i], std::exp(x[i]));
        EXPECT_LE(d, 1u) << "exp(" << x[i] << ") = " << fx[i] << ", libm " << std::exp(x[i]);
        worst = std::max(worst, d);
    }
    EXPECT_LE(worst, 1u);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    double special[2] = {nan, -nan}, out[2] = {0, 0};
    many(special, out, 2);
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
}

/* A body that writes through its argument pointer sees every point once, in order,
   whatever n is relative to the vector blocks. */
TEST(LoopEntry, EvaluatesEachPointOnceWhenTheBodyWritesMemory) {
    auto f = build("def f(n, xx):\n    xx[1] = xx[1] + 1.0\n    return xx[1] * 1000.0 + xx[0]\n",
                   "double (int, double *)");
    PackedLoop *many = loop_of<PackedLoop>(f);
    ASSERT_NE(many, nullptr);
    for (int n = 0; n <= 40; ++n) {
        std::vector<double> x(n), fx(n + 1, -1.0);
        for (int i = 0; i < n; ++i)
            x[i] = 0.25 * i;
        double xx[2] = {-3.5, 0.0};
        many(x.data(), fx.data(), n, 2, xx);
        for (int i = 0; i < n; ++i)
            EXPECT_EQ(fx[i], 1000.0 * (i + 1) + x[i]) << "n = " << n << ", point " << i;
        EXPECT_EQ(fx[n], -1.0);
        EXPECT_EQ(xx[0], -3.5);   // the scratch slot is restored
        EXPECT_EQ(xx[1], n);
    }
}

/* A body without side effects may see the last points twice; its results are still the
   scalar entry's, and nothing past fx[n - 1] is written. */
TEST(LoopEntry, SideEffectFreeBodiesFillExactlyNResults) {
    auto f = build("def f(x):\n    if x > 1.0:\n        return 1.0 / (x * x)\n    return (3.0 + x * x) * math.sqrt(x * x + 1.0)\n",
                   "double (double)");
    ScalarLoop *many = loop_of<ScalarLoop>(f);
    ASSERT_NE(many, nullptr);
    auto scalar = reinterpret_cast<double (*)(double)>(f->address());
    for (int n = 0; n <= 40; ++n) {
        std::vector<double> x(n + 8), fx(n + 8, -7.0);
        for (int i = 0; i < n + 8; ++i)
            x[i] = -2.0 + 0.15 * i;
        many(x.data(), fx.data(), n);
        for (int i = 0; i < n; ++i)
            EXPECT_EQ(fx[i], scalar(x[i])) << "n = " << n << ", point " << i;
        for (int i = n; i < n + 8; ++i)
            EXPECT_EQ(fx[i], -7.0) << "n = " << n << ", written past the end at " << i;
    }
}

} // namespace
} // namespace nativecall::jit
