// The vectorised loop entry (CompiledFunction::many_address): its own exp against libm, and how many times it evaluates each point.
#include <gtest/gtest.h>

#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "codegen/vector_math_exp.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/runtime/error_record.h"

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

/* ---- the exp against the exact value: long double expl as the reference (64-bit
   significand on x86, 113 on AArch64: its own error is at most ~1/2000 of a double ulp). */

double fused(double a, double m, double c) { return std::fma(a, m, c); }
double unfused(double a, double m, double c) {
    volatile double product = a * m;   // no contraction into an fma by the compiler
    return product + c;
}

bool host_fuses() {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("fma");
#else
    return true;   // AArch64: part of the base architecture
#endif
}

/* |got - exp(x)| in units of the last place of the exact result (subnormal ulps below
   DBL_MIN); 0 when both overflow to +inf, 1e9 when only one does. */
double ulp_error(double got, double x) {
    const long double exact = expl(static_cast<long double>(x));
    const bool overflows = exact >= static_cast<long double>(DBL_MAX) + 0x1p970L;   // rounds to +inf
    if (std::isinf(got) || overflows)
        return std::isinf(got) == overflows ? 0.0 : 1e9;
    int e = 0;
    std::frexp(static_cast<double>(exact) == 0.0 ? DBL_MIN : static_cast<double>(exact), &e);
    const long double ulp = std::ldexp(1.0L, std::max(e - 53, -1074));
    return static_cast<double>(fabsl(static_cast<long double>(got) - exact) / ulp);
}

/* Arguments that exercise every path: the whole range, |r| near ln2/2 (where the
   polynomial's result is smallest relative to its ulp), subnormal results, near
   overflow, tiny |x|, and the thresholds and their neighbours. */
std::vector<double> exp_arguments(int per_kind) {
    std::vector<double> x;
    std::mt19937_64 random(11);
    std::uniform_real_distribution<double> whole(-746.0, 710.0), edge(0.30, 0.3466), subnormal(-745.2, -708.3),
        high(700.0, 709.79), tiny(-1e-8, 1e-8);
    std::uniform_int_distribution<int> n(-1070, 1020);
    for (int i = 0; i < per_kind; ++i) {
        x.push_back(whole(random));
        x.push_back(n(random) * 0.6931471805599453 + (i % 2 ? edge(random) : -edge(random)));
        x.push_back(subnormal(random));
        x.push_back(high(random));
        x.push_back(tiny(random));
    }
    for (double t : {709.782712893384, 709.78, 709.79, 710.0, -708.3964185322641, -708.4, -709.0895657128241,
                     -745.1332191019411, -745.1332191019412, -744.44007192138122, -745.2, -746.0, 0.5, 1.0, -1.0,
                     0.6931471805599453, -0.6931471805599453, 0.34657359027997264, -0.34657359027997264, 1e-300,
                     5e-324, -5e-324, 0.0}) {
        x.push_back(t);
        x.push_back(std::nextafter(t, -INFINITY));
        x.push_back(std::nextafter(t, INFINITY));
    }
    return x;
}

/* Both formulas, whatever this host has, against the exact value. An error budget
   bounds it, for normal results, by about 0.5 ulp (last rounding) + 0.35 (q's rounding times
   |r| <= 0.35) + 0.18 (r's rounding, where exp(r) < 1 has the finer ulp) = 1.03 ulp with
   fma, and 1.28 ulp without (the product q * r rounded too); measured over 2e7 points
   near |r| = ln2/2: 0.91 and 1.18. Subnormal results round p, already rounded, again:
   p's error is at most half a subnormal ulp, so below 1.02 (1.14) subnormal ulp. All
   below 1.5, so every result is the correctly rounded one or a neighbour, which is
   checked directly too. */
TEST(LoopEntry, ExpFormulasAreAccurateAgainstTheExactValueWithAndWithoutFma) {
    ASSERT_GE(LDBL_MANT_DIG, 64) << "the reference needs a long double wider than double";
    using exp_kernel::exp_model;
    struct Worst {
        double error = 0, at = 0;
        void see(double e, double x) {
            if (e > error)
                error = e, at = x;
        }
    };
    Worst fused_normal, fused_subnormal, unfused_normal, unfused_subnormal;
    for (double v : exp_arguments(100000)) {
        const bool subnormal = v < -708.3964185322641;   // exp(v) < DBL_MIN
        const double f = exp_model(v, fused), u = exp_model(v, unfused);
        (subnormal ? fused_subnormal : fused_normal).see(ulp_error(f, v), v);
        (subnormal ? unfused_subnormal : unfused_normal).see(ulp_error(u, v), v);
        const double correctly_rounded = static_cast<double>(expl(static_cast<long double>(v)));
        EXPECT_LE(ulps_apart(f, correctly_rounded), 1u) << "fused, x = " << v;
        EXPECT_LE(ulps_apart(u, correctly_rounded), 1u) << "unfused, x = " << v;
    }
    EXPECT_LT(fused_normal.error, 1.03) << "fused, at x = " << fused_normal.at;
    EXPECT_LT(fused_subnormal.error, 1.02) << "fused, at x = " << fused_subnormal.at;
    EXPECT_LT(unfused_normal.error, 1.28) << "unfused, at x = " << unfused_normal.at;
    EXPECT_LT(unfused_subnormal.error, 1.14) << "unfused, at x = " << unfused_subnormal.at;
    /* Exactly representable or limiting cases, both ways. */
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    for (auto mul_add : {fused, unfused}) {
        EXPECT_EQ(exp_model(0.0, mul_add), 1.0);
        EXPECT_EQ(exp_model(-0.0, mul_add), 1.0);
        EXPECT_EQ(exp_model(5e-324, mul_add), 1.0);
        EXPECT_EQ(exp_model(-5e-324, mul_add), 1.0);
        EXPECT_EQ(exp_model(inf, mul_add), inf);
        EXPECT_EQ(exp_model(-inf, mul_add), 0.0);
        EXPECT_FALSE(std::signbit(exp_model(-inf, mul_add)));
        EXPECT_EQ(exp_model(-745.1332191019411, mul_add), 5e-324);   // just above half the smallest subnormal
        EXPECT_EQ(exp_model(-745.1332191019412, mul_add), 0.0);      // just below
        for (double below_clamp : {std::nextafter(exp_kernel::kClampLow, -inf), -1e4, -1e300}) {
            EXPECT_EQ(exp_model(below_clamp, mul_add), 0.0) << below_clamp;   // zeroed, not scaled
            EXPECT_FALSE(std::signbit(exp_model(below_clamp, mul_add))) << below_clamp;
        }
        EXPECT_EQ(exp_model(709.782712893384, mul_add), std::exp(709.782712893384));
        EXPECT_EQ(exp_model(std::nextafter(709.782712893384, inf), mul_add), inf);
        EXPECT_TRUE(std::isnan(exp_model(nan, mul_add)));
    }
}

/* The loop entry computes what the model computes on this host, bit for bit (so the
   test above covers the IR), NaN payloads and signs included. */
TEST(LoopEntry, ExpInTheLoopEntryIsTheModelBitForBit) {
    auto f = build("def f(x):\n    return math.exp(x)\n", "double (double)");
    ScalarLoop *many = loop_of<ScalarLoop>(f);
    ASSERT_NE(many, nullptr);
    std::vector<double> x = exp_arguments(20000);
    for (std::uint64_t bits : {0x7ff8000000000001ull, 0xfff8000000000123ull, 0x7ff4000000000abcull,
                               0x7ff0000000000000ull, 0xfff0000000000000ull, 0x8000000000000000ull}) {
        double v;
        std::memcpy(&v, &bits, sizeof v);
        x.push_back(v);
    }
    std::vector<double> fx(x.size());
    many(x.data(), fx.data(), static_cast<std::int64_t>(x.size()));
    const bool fuses = host_fuses();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double model = fuses ? exp_kernel::exp_model(x[i], fused) : exp_kernel::exp_model(x[i], unfused);
        std::uint64_t got_bits, model_bits;
        std::memcpy(&got_bits, &fx[i], sizeof got_bits);
        std::memcpy(&model_bits, &model, sizeof model_bits);
        if (!std::isnan(model))
            EXPECT_EQ(got_bits, model_bits) << "exp(" << x[i] << ")";
        /* NaN in, the same NaN out (quietened), as libm and the scalar entry. */
        const double libm = std::exp(x[i]);
        if (std::isnan(libm)) {
            std::memcpy(&model_bits, &libm, sizeof model_bits);
            EXPECT_EQ(got_bits, model_bits) << "exp(NaN)";
        }
    }
}

/* ---- what a caller observes besides fx */

/* Errors the body records: the loop entry records the first one, as the scalar entry
   called point by point in order does, and returns the same values. */
TEST(LoopEntry, RecordsTheSameFirstErrorAsTheScalarEntryInOrder) {
    auto f = build("def f(x):\n    k = int(x)\n    if k < 0:\n        return float(2 ** k)\n"
                   "    return x + float(7 // k)\n",
                   "double (double)");
    ScalarLoop *many = loop_of<ScalarLoop>(f);
    ASSERT_NE(many, nullptr);
    auto scalar = reinterpret_cast<double (*)(double)>(f->address());
    std::mt19937_64 random(5);
    std::uniform_real_distribution<double> fine(1.0, 9.0), any(-2.5, 9.0);
    for (int n = 1; n <= 40; ++n) {
        for (int trial = 0; trial < 8; ++trial) {
            /* Mostly valid points, with k = 0 (ZeroDivision) and k < 0 (NegativePower) at random places. */
            std::vector<double> x(n), fx(n);
            for (double &v : x)
                v = trial % 2 ? fine(random) : any(random);
            if (trial >= 2)
                x[random() % n] = trial % 3 ? -0.5 : -1.5;
            take_runtime_error();
            std::vector<double> expected(n);
            for (int i = 0; i < n; ++i)
                expected[i] = scalar(x[i]);
            const RuntimeErrorCode scalar_error = take_runtime_error();
            many(x.data(), fx.data(), n);
            EXPECT_EQ(take_runtime_error(), scalar_error) << "n = " << n;
            for (int i = 0; i < n; ++i)
                EXPECT_EQ(fx[i], expected[i]) << "n = " << n << ", point " << i;
        }
    }
    take_runtime_error();
}

/* x and fx end (or start) at a page that cannot be touched: the loop entry reads
   x[0 .. n - 1] and writes fx[0 .. n - 1] only, padded short calls and recomputed
   last blocks included, for bodies with and without side effects. */
class GuardedArray {
public:
    explicit GuardedArray(std::size_t n, bool guard_after) {
        page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        const std::size_t bytes = (n * sizeof(double) + page_ - 1) / page_ * page_;
        map_ = static_cast<char *>(mmap(nullptr, bytes + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        size_ = bytes + page_;
        if (map_ == MAP_FAILED)
            throw std::runtime_error("mmap of a guarded array failed");
        if (guard_after) {
            mprotect(map_ + bytes, page_, PROT_NONE);
            data_ = reinterpret_cast<double *>(map_ + bytes) - n;
        } else {
            mprotect(map_, page_, PROT_NONE);
            data_ = reinterpret_cast<double *>(map_ + page_);
        }
    }
    ~GuardedArray() { munmap(map_, size_); }
    GuardedArray(const GuardedArray &) = delete;
    GuardedArray &operator=(const GuardedArray &) = delete;
    double *data() { return data_; }

private:
    std::size_t page_ = 0, size_ = 0;
    char *map_ = nullptr;
    double *data_ = nullptr;
};

TEST(LoopEntry, TouchesNoMemoryBeyondTheNPoints) {
    auto pure = build("def f(x):\n    return math.exp(-x * x) + 1.0 / (1.0 + x * x)\n", "double (double)");
    auto writes = build("def f(n, xx):\n    xx[1] = xx[1] + 1.0\n    return math.exp(-xx[0] * xx[0]) + xx[1]\n",
                        "double (int, double *)");
    ScalarLoop *pure_many = loop_of<ScalarLoop>(pure);
    PackedLoop *writes_many = loop_of<PackedLoop>(writes);
    ASSERT_NE(pure_many, nullptr);
    ASSERT_NE(writes_many, nullptr);
    auto pure_scalar = reinterpret_cast<double (*)(double)>(pure->address());
    for (int n = 1; n <= 40; ++n) {
        for (bool after : {true, false}) {
            GuardedArray x(n, after), fx(n, after);
            for (int i = 0; i < n; ++i) {
                x.data()[i] = 0.1 * i - 1.0;
                fx.data()[i] = -9.0;
            }
            pure_many(x.data(), fx.data(), n);   // a fault ends the test binary
            for (int i = 0; i < n; ++i)
                EXPECT_EQ(fx.data()[i], pure_scalar(x.data()[i])) << "n = " << n;
            double xx[2] = {0.0, 0.0};
            writes_many(x.data(), fx.data(), n, 2, xx);
            EXPECT_EQ(xx[1], n);
        }
    }
}

/* Points repeated or padded in a block are points the call already has: the loop entry
   of a body without side effects raises no floating-point exception flag that evaluating
   its n points in turn does not raise. */
TEST(LoopEntry, PaddingRaisesNoFloatingPointFlagsOfItsOwn) {
    auto f = build("def f(x):\n    return math.exp(x) / x\n", "double (double)");
    ScalarLoop *many = loop_of<ScalarLoop>(f);
    ASSERT_NE(many, nullptr);
    auto scalar = reinterpret_cast<double (*)(double)>(f->address());
    const int flags = FE_DIVBYZERO | FE_INVALID | FE_OVERFLOW | FE_UNDERFLOW;
    for (int n = 1; n <= 20; ++n) {
        std::vector<double> x(n, 0.75), fx(n);   // exp(0.75) / 0.75: inexact only
        std::feclearexcept(FE_ALL_EXCEPT);
        for (int i = 0; i < n; ++i)
            fx[i] = scalar(x[i]);
        const int scalar_flags = std::fetestexcept(flags);
        std::feclearexcept(FE_ALL_EXCEPT);
        many(x.data(), fx.data(), n);
        EXPECT_EQ(std::fetestexcept(flags), scalar_flags) << "n = " << n;
    }
    std::feclearexcept(FE_ALL_EXCEPT);
}

/* A check that fails for every point of a call or for none (carray's NULL check on
   user_data) lets the body be evaluated again: with a NULL pointer every point records
   the same error and returns 0, as in the scalar entry; with a valid one, the points
   not filling a block go through the recomputed last block or the padded copy, not
   through masked lanes (whose inactive lanes divided by 0 and raised FE_DIVBYZERO). */
TEST(LoopEntry, AnErrorCheckTheSameForEveryPointKeepsTheBodyRepeatable) {
    CompileRequest request;
    request.source = "def f(x, data):\n    return carray(data, (1,), dtype=float64)[0] / x\n";
    request.filename = "test.py";
    request.signature = parse_signature("double (double, void *)");
    request.globals = {{"carray", GlobalValue::of_function("carray")}, {"float64", GlobalValue::of_dtype("float64")}};
    auto f = compile(request);
    using DataLoop = void(const double *, double *, std::int64_t, void *);
    auto *many = reinterpret_cast<DataLoop *>(f->many_address());
    ASSERT_NE(many, nullptr);
    auto scalar = reinterpret_cast<double (*)(double, void *)>(f->address());
    double a = 2.0;
    const int flags = FE_DIVBYZERO | FE_INVALID | FE_OVERFLOW | FE_UNDERFLOW;
    for (int n = 1; n <= 40; ++n) {
        std::vector<double> x(n), fx(n, -1.0), expected(n);
        for (int i = 0; i < n; ++i)
            x[i] = 0.25 + 0.5 * i;
        std::feclearexcept(FE_ALL_EXCEPT);
        for (int i = 0; i < n; ++i)
            expected[i] = scalar(x[i], &a);
        const int scalar_flags = std::fetestexcept(flags);
        std::feclearexcept(FE_ALL_EXCEPT);
        many(x.data(), fx.data(), n, &a);
        EXPECT_EQ(std::fetestexcept(flags), scalar_flags) << "n = " << n;
        EXPECT_EQ(fx, expected) << "n = " << n;
        take_runtime_error();
        many(x.data(), fx.data(), n, nullptr);
        EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::NullView);
        for (int i = 0; i < n; ++i)
            expected[i] = scalar(x[i], nullptr);
        EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::NullView);
        EXPECT_EQ(fx, expected) << "n = " << n;
    }
    std::feclearexcept(FE_ALL_EXCEPT);
}

/* ---- the mirrored-sum loop (CompiledFunction::mirrored_sum_address) */

/* The same bits, NaN matching NaN. */
bool same_bits(double a, double b) {
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/* fx[i] = f(x[i]) + f(-x[i]) with the plain loop's f bit for bit: for bodies even in x
   (whose two evaluations the compiler merges), odd or neither, with and without
   parameters in xx, at every length around the blocks, on ordinary and special points. */
TEST(LoopEntry, MirroredSumIsThePlainLoopAtXPlusAtMinusX) {
    const char *bodies[] = {
        "def f(n, xx):\n    return math.exp(-xx[1] * xx[0] * xx[0])\n",
        "def f(n, xx):\n    return math.exp(-2.0 * xx[0] * xx[0]) * math.cos(xx[1] * xx[0]) / (1.0 + xx[0] ** 2)\n",
        "def f(n, xx):\n    return xx[0] * math.exp(-abs(xx[0])) + xx[1] / (1.0 - xx[0] * xx[1])\n",
        "def f(n, xx):\n    return math.exp(-(xx[0] - xx[1]) ** 2) if xx[0] < 3.0 else -xx[0] / xx[1]\n",
        "def f(n, xx):\n    return math.exp(xx[0] * -xx[1] * xx[0]) + math.exp((-xx[0]) * xx[1] / (-xx[0]))\n",
    };
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> points = {0.0, -0.0, inf, -inf, nan, 1e-310, -5e-324, 27.0, 1e200, -1e-200};
    std::mt19937_64 random(11);
    std::uniform_real_distribution<double> spread(-40.0, 40.0);
    while (points.size() < 80)
        points.push_back(spread(random));
    for (const char *body : bodies) {
        auto f = build(body, "double (int, double *)");
        PackedLoop *many = loop_of<PackedLoop>(f);
        auto *mirrored = reinterpret_cast<PackedLoop *>(f->mirrored_sum_address());
        ASSERT_NE(many, nullptr);
        ASSERT_NE(mirrored, nullptr);
        for (double parameter : {0.5, -1.75, 0.0}) {
            for (std::size_t n = 0; n <= points.size(); n += (n < 20 ? 1 : 13)) {
                std::vector<double> x(points.begin(), points.begin() + n), negated(n), fx(n), fminus(n), sum(n + 1, 7.0);
                for (std::size_t i = 0; i < n; ++i)
                    negated[i] = -x[i];
                double xx[2] = {1.25, parameter};
                many(x.data(), fx.data(), n, 2, xx);
                many(negated.data(), fminus.data(), n, 2, xx);
                mirrored(x.data(), sum.data(), n, 2, xx);
                EXPECT_EQ(xx[0], 1.25);   // the scratch slot is restored
                for (std::size_t i = 0; i < n; ++i)
                    EXPECT_TRUE(same_bits(sum[i], fx[i] + fminus[i]))
                        << body << "at x = " << x[i] << " (parameter " << parameter << "): " << sum[i] << " vs "
                        << fx[i] + fminus[i];
                EXPECT_EQ(sum[n], 7.0) << "written past the end, n = " << n;
            }
        }
    }
    /* The scalar form too. */
    auto g = build("def f(x):\n    return 1.0 / (1.0 + x * x) + math.sin(x)\n", "double (double)");
    auto *plain = loop_of<ScalarLoop>(g);
    auto *summed = reinterpret_cast<ScalarLoop *>(g->mirrored_sum_address());
    ASSERT_NE(summed, nullptr);
    std::vector<double> x(points.begin(), points.end()), negated(x.size()), fx(x.size()), fminus(x.size()),
        sum(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        negated[i] = -x[i];
    plain(x.data(), fx.data(), x.size());
    plain(negated.data(), fminus.data(), x.size());
    summed(x.data(), sum.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        EXPECT_TRUE(same_bits(sum[i], fx[i] + fminus[i])) << "at x = " << x[i];
}

/* A body with side effects sees x then -x for each point in turn, each once. */
TEST(LoopEntry, MirroredSumEvaluatesEachSignOnceInOrderWhenTheBodyWritesMemory) {
    auto f = build("def f(n, xx):\n    xx[1] = xx[1] + 1.0\n    return xx[1] * 1000.0 + xx[0]\n",
                   "double (int, double *)");
    auto *mirrored = reinterpret_cast<PackedLoop *>(f->mirrored_sum_address());
    ASSERT_NE(mirrored, nullptr);
    for (int n = 0; n <= 20; ++n) {
        std::vector<double> x(n), fx(n);
        for (int i = 0; i < n; ++i)
            x[i] = 0.25 * (i + 1);
        double xx[2] = {-3.5, 0.0};
        mirrored(x.data(), fx.data(), n, 2, xx);
        for (int i = 0; i < n; ++i)   // calls 2i + 1 (at x) and 2i + 2 (at -x)
            EXPECT_EQ(fx[i], (1000.0 * (2 * i + 1) + x[i]) + (1000.0 * (2 * i + 2) - x[i])) << "n = " << n;
        EXPECT_EQ(xx[1], 2 * n);
    }
}

/* Each loop entry is built on its own first use: asking for one does not build the other. */
TEST(LoopEntry, EachLoopIsBuiltOnlyWhenAskedFor) {
    auto f = build("def f(x):\n    return math.exp(-x * x)\n", "double (double)");
    const auto before = codegen_runs();
    ASSERT_NE(f->many_address(), nullptr);
    EXPECT_EQ(codegen_runs(), before + 1);
    ASSERT_NE(f->many_address(), nullptr);
    EXPECT_EQ(codegen_runs(), before + 1);
    ASSERT_NE(f->mirrored_sum_address(), nullptr);
    EXPECT_EQ(codegen_runs(), before + 2);
    ASSERT_NE(f->mirrored_sum_address(), nullptr);
    EXPECT_EQ(codegen_runs(), before + 2);
}

/* First uses from several threads at once: each loop is built once, and every thread
   gets it (the two builds may run side by side). */
TEST(LoopEntry, BothLoopsBuildOnceUnderConcurrentFirstUse) {
    for (int trial = 0; trial < 3; ++trial) {
        auto f = build("def f(x):\n    return math.exp(-x * x) * math.cos(x)\n", "double (double)");
        const auto before = codegen_runs();
        std::vector<void *> seen(8, nullptr);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] { seen[t] = t % 2 ? f->mirrored_sum_address() : f->many_address(); });
        for (std::thread &thread : threads)
            thread.join();
        EXPECT_EQ(codegen_runs(), before + 2);
        for (int t = 0; t < 8; ++t) {
            EXPECT_NE(seen[t], nullptr);
            EXPECT_EQ(seen[t], seen[t % 2]);
        }
        EXPECT_NE(seen[0], seen[1]);
    }
}

} // namespace
} // namespace nativecall::jit
