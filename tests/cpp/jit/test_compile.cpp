// End-to-end compiles: Python semantics of the generated code, arrays, runtime errors, threads, code lifetime.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "compile_support.h"
#include "jitable_sources.h"
#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

std::shared_ptr<CompiledFunction> build(const std::string &source, const std::string &sig, Globals globals = {},
                                        bool debug = false) {
    CompileOptions options;
    options.debug = debug;
    return test_support::compile_source(source, sig, std::move(globals), options);
}

template <class Fn> Fn *as(const std::shared_ptr<CompiledFunction> &f) { return reinterpret_cast<Fn *>(f->address()); }

/* Python's floor division and modulo for ints, computed the slow, obvious way. */
std::int64_t py_floordiv(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if (q * b != a && ((a < 0) != (b < 0)))
        --q;
    return q;
}
std::int64_t py_mod(std::int64_t a, std::int64_t b) { return a - py_floordiv(a, b) * b; }

TEST(Compile, IntegerFloorDivisionAndModuloFollowPython) {
    auto div = build("def f(a, b):\n    return a // b\n", "int64(int64, int64)");
    auto mod = build("def f(a, b):\n    return a % b\n", "int64(int64, int64)");
    for (std::int64_t a : {-7, -6, -1, 0, 1, 6, 7, 100})
        for (std::int64_t b : {-3, -2, -1, 1, 2, 3, 7}) {
            EXPECT_EQ(as<std::int64_t(std::int64_t, std::int64_t)>(div)(a, b), py_floordiv(a, b)) << a << " // " << b;
            EXPECT_EQ(as<std::int64_t(std::int64_t, std::int64_t)>(mod)(a, b), py_mod(a, b)) << a << " % " << b;
        }
    EXPECT_EQ(as<std::int64_t(std::int64_t, std::int64_t)>(div)(INT64_MIN, -1), INT64_MIN);   // wraps, no trap
}

TEST(Compile, IntegerDivisionByZeroSetsTheRuntimeErrorAndReturnsZero) {
    auto div = build("def f(a, b):\n    return a // b\n", "int64(int64, int64)");
    take_runtime_error();
    EXPECT_EQ(as<std::int64_t(std::int64_t, std::int64_t)>(div)(5, 0), 0);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::ZeroDivision);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::None);
}

TEST(Compile, FloatSemantics) {
    auto f = build("import math\ndef f(x, y):\n    return x // y + x % y * 0.5 + x / y + x ** 2\n", "double (double, double)");
    for (double x : {-7.5, -1.0, 0.25, 3.0, 10.5})
        for (double y : {-2.0, -0.5, 0.75, 4.0}) {
            double mod = std::fmod(x, y);
            if (mod != 0 && ((y < 0) != (mod < 0)))
                mod += y;
            double floordiv = std::floor(x / y);
            double expected = floordiv + mod * 0.5 + x / y + x * x;
            EXPECT_DOUBLE_EQ(as<double(double, double)>(f)(x, y), expected) << x << ", " << y;
        }
    auto inv = build("def f(x):\n    return 1.0 / x\n", "double (double)");
    EXPECT_TRUE(std::isinf(as<double(double)>(inv)(0.0)));   // float division by zero is IEEE
}

TEST(Compile, LoopsBranchesAndMath) {
    Globals g;
    g["math"] = GlobalValue::of_module("math");
    auto f = build("def f(n):\n    total = 0.0\n    i = 0\n    while True:\n        i += 1\n        if i > n:\n"
                   "            break\n        elif i % 2 == 0:\n            continue\n        total += math.sqrt(i)\n"
                   "    for k in range(n, 0, -3):\n        total -= k if k > 2 else 0\n    return total\n",
                   "double (int)", g);
    for (int n : {0, 1, 5, 10}) {
        double expected = 0;
        for (int i = 1; i <= n; ++i)
            if (i % 2 != 0)
                expected += std::sqrt(i);
        for (int k = n; k > 0; k -= 3)
            expected -= k > 2 ? k : 0;
        EXPECT_DOUBLE_EQ(as<double(int)>(f)(n), expected) << n;
    }
}

TEST(Compile, CArrayViewsIndexingAndIteration) {
    Globals g;
    g["carray"] = GlobalValue::of_function("carray");
    g["farray"] = GlobalValue::of_function("farray");
    auto f = build("def f(p, m, n, out):\n    a = carray(p, (m, n))\n    b = farray(p, (n, m))\n    s = 0.0\n"
                   "    for row in a:\n        for v in row:\n            s += v\n"
                   "    out[0] = a[m - 1, n - 1] + a[-1, 0] * 10.0 + b[1, 0] * 100.0 + len(a) * 1000.0 + a.ndim * 10000.0\n"
                   "    return s\n",
                   "double (double *, int64, int64, double *)", g);
    double data[6] = {1, 2, 3, 4, 5, 6};   // 2x3 C order; as 3x2 F order b[1,0] = data[1]
    double out = 0;
    EXPECT_DOUBLE_EQ(as<double(double *, std::int64_t, std::int64_t, double *)>(f)(data, 2, 3, &out), 21.0);
    EXPECT_DOUBLE_EQ(out, 6.0 + 4.0 * 10 + 2.0 * 100 + 2 * 1000.0 + 2 * 10000.0);
}

TEST(Compile, BoundsChecksInDebugMode) {
    Globals g;
    g["carray"] = GlobalValue::of_function("carray");
    auto f = build("def f(p, i):\n    return carray(p, (3,))[i]\n", "double (double *, int64)", g, true);
    double data[3] = {1, 2, 3};
    take_runtime_error();
    EXPECT_DOUBLE_EQ(as<double(double *, std::int64_t)>(f)(data, -1), 3.0);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::None);
    as<double(double *, std::int64_t)>(f)(data, 3);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::IndexOutOfBounds);
}

TEST(Compile, ThunkCallsWithArgumentSlots) {
    auto f = build("def f(flag, x, n):\n    return flag and x * n > 1.0\n", "bool (bool, float, int16)");
    std::uint64_t slots[3] = {1, 0, 0};
    float x = 0.75f;
    std::memcpy(&slots[1], &x, sizeof x);
    std::int16_t n = 2;
    std::memcpy(&slots[2], &n, sizeof n);
    void *args[3] = {&slots[0], &slots[1], &slots[2]};
    std::uint8_t result = 7;
    reinterpret_cast<void (*)(void **, void *)>(f->thunk())(args, &result);
    EXPECT_EQ(result, 1);
}

TEST(Compile, CallsAnotherCompiledFunction) {
    auto square = build("def square(x):\n    return x * x\n", "double (double)");
    Globals g;
    g["square"] = GlobalValue::of_external("square", reinterpret_cast<std::uintptr_t>(square->address()),
                                           parse_signature("double (double)"));
    auto f = build("def f(x):\n    return square(x) + square(2)\n", "double (double)", g);
    EXPECT_DOUBLE_EQ(as<double(double)>(f)(3.0), 13.0);
}

using test_support::jitable_source;

TEST(Compile, JitableHelpersAreTypedPerCallSiteAndInlined) {
    Globals g;
    g["clamp"] = GlobalValue::of_jitable(jitable_source("clamp", "def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n"
                                                         "    if x > hi:\n        return hi\n    return x\n"));
    auto f = build("def f(x, n):\n    return clamp(x, -1.0, 1.0) + clamp(n, 0, 10) * 100\n", "float64(float64, int64)", g);
    auto call = as<double(double, std::int64_t)>(f);
    EXPECT_EQ(call(0.5, 3), 300.5);
    EXPECT_EQ(call(-4.0, 42), 999.0);
    EXPECT_EQ(call(7.0, -2), 1.0);
    /* Inlined: the module defines the function and its thunk, no helper function. */
    const std::string &ir = f->llvm_ir();
    std::size_t defines = 0;
    for (std::size_t at = ir.find("define "); at != std::string::npos; at = ir.find("define ", at + 1))
        ++defines;
    EXPECT_EQ(defines, 2u) << ir;
}

TEST(Compile, RecursiveJitableIsACompileError) {
    auto h = jitable_source("down", "def down(n):\n    return down(n - 1) if n > 0 else 0\n");
    Globals g;
    g["down"] = GlobalValue::of_jitable(h);
    h->globals["down"] = GlobalValue::of_jitable(h);   // the helper sees itself
    try {
        build("def f(n):\n    return down(n)\n", "int64(int64)", g);
        FAIL() << "expected a CompileError";
    } catch (const CompileError &e) {
        EXPECT_NE(std::string(e.what()).find("recursion between jitable functions is not supported"), std::string::npos)
            << e.what();
    }
    h->globals.clear();   // break the reference cycle
}

TEST(Compile, ConcurrentCompilesFromSeveralThreads) {
    std::vector<std::thread> threads;
    std::vector<double> results(8);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([t, &results] {
            auto f = build("def f(x):\n    return x * " + std::to_string(t) + " + 1\n", "double (double)");
            results[static_cast<std::size_t>(t)] = as<double(double)>(f)(2.0);
        });
    for (auto &th : threads)
        th.join();
    for (int t = 0; t < 8; ++t)
        EXPECT_DOUBLE_EQ(results[static_cast<std::size_t>(t)], 2.0 * t + 1);
}

TEST(Compile, ManyCompilesFreeTheirCode) {
    for (int i = 0; i < 200; ++i) {
        auto f = build("def f(x):\n    return x + " + std::to_string(i) + "\n", "int64(int64)");
        ASSERT_EQ(as<std::int64_t(std::int64_t)>(f)(1), i + 1);
    }   // each function's ResourceTracker is removed as it goes out of scope
}

TEST(Compile, OptimisedIrIsAvailable) {
    auto f = build("def f(t):\n    return t ** 2\n", "double (double)");
    EXPECT_NE(f->llvm_ir().find("fmul double"), std::string::npos) << f->llvm_ir();   // pow(t, 2) became t*t
}

TEST(Compile, UnreturnedPathIsACompileError) {
    EXPECT_THROW(build("def f(x):\n    if x > 0:\n        return x\n", "double (double)"), CompileError);
}

} // namespace
} // namespace nativecall::jit
