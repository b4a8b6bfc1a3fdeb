// Object code as the compile cache uses it: reloaded without codegen, imports rebound at load, bad buffers refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>

#include "nativecall/errors.h"
#include "compile_support.h"
#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

using test_support::reload_request;

std::shared_ptr<CompiledFunction> build(const std::string &source, Globals globals = {}) {
    return test_support::compile_source(source, "double (double)", std::move(globals));
}

double call(const std::shared_ptr<CompiledFunction> &f, double x) {
    return reinterpret_cast<double (*)(double)>(f->address())(x);
}

TEST(ObjectCode, ReloadsWithoutRunningCodegen) {
    auto f = build("def f(x):\n    return math.exp(-x * x) / (1.0 + x)\n", {{"math", GlobalValue::of_module("math")}});
    std::uint64_t runs = codegen_runs();
    auto again = load_compiled(reload_request(*f));
    auto third = load_compiled(reload_request(*f));   // the same symbols, loaded twice more, do not clash
    EXPECT_EQ(codegen_runs(), runs);
    EXPECT_NE(again->address(), f->address());
    for (double x : {0.0, 0.5, 2.0, -0.25}) {
        EXPECT_EQ(call(again, x), std::exp(-x * x) / (1.0 + x));
        EXPECT_EQ(call(third, x), call(f, x));
    }
    double arg = 0.5, result = 0;
    void *args[1] = {&arg};
    reinterpret_cast<void (*)(void **, void *)>(again->thunk())(args, &result);
    EXPECT_EQ(result, call(f, 0.5));
}

TEST(ObjectCode, CallsGoThroughImportsBoundAtLoadTime) {
    auto square = build("def square(x):\n    return x * x\n");
    auto cube = build("def cube(x):\n    return x * x * x\n");
    Globals g;
    g["h"] = GlobalValue::of_external("h", reinterpret_cast<std::uintptr_t>(square->address()),
                                      parse_signature("double (double)"));
    auto f = build("def f(x):\n    return h(x) + 1.0\n", g);
    ASSERT_EQ(f->imports().size(), 1u);
    EXPECT_EQ(f->imports().begin()->second, reinterpret_cast<std::uintptr_t>(square->address()));
    EXPECT_EQ(call(f, 3.0), 10.0);
    LoadRequest request = reload_request(*f);
    request.imports.begin()->second = reinterpret_cast<std::uintptr_t>(cube->address());
    EXPECT_EQ(call(load_compiled(request), 3.0), 28.0);
}

/* Reloaded code with its source builds its loop entry on first use (one codegen run, none
   at load), with the callee's import bound in the loop's own JITDylib; without the source
   it has none. */
TEST(ObjectCode, ReloadedIntegrandsBuildTheirLoopEntryFromTheirSource) {
    auto square = build("def square(x):\n    return x * x\n");
    Globals g{{"math", GlobalValue::of_module("math")},
              {"h", GlobalValue::of_external("h", reinterpret_cast<std::uintptr_t>(square->address()),
                                             parse_signature("double (double)"))}};
    CompileRequest source;
    source.source = "def f(x):\n    return math.exp(-h(x)) + 1.0\n";
    source.filename = "test.py";
    source.signature = parse_signature("double (double)");
    source.globals = g;
    auto f = compile(source);
    EXPECT_EQ(load_compiled(reload_request(*f))->many_address(), nullptr);

    LoadRequest request = reload_request(*f);
    request.source = std::make_shared<const CompileRequest>(source);
    std::uint64_t runs = codegen_runs();
    auto loaded = load_compiled(request);
    EXPECT_EQ(codegen_runs(), runs);
    void *many = loaded->many_address();
    ASSERT_NE(many, nullptr);
    EXPECT_EQ(codegen_runs(), runs + 1);
    EXPECT_EQ(loaded->many_address(), many);   // built once
    EXPECT_EQ(codegen_runs(), runs + 1);
    double x[5] = {0.0, 0.5, -1.5, 2.0, 3.25}, fx[5] = {};
    reinterpret_cast<void (*)(const double *, double *, std::int64_t)>(many)(x, fx, 5);
    for (int i = 0; i < 5; ++i)
        EXPECT_NEAR(fx[i], std::exp(-x[i] * x[i]) + 1.0, 1e-14) << x[i];

    CompileRequest other = source;   // not this code's signature: no loop entry from it
    other.signature = parse_signature("double (double, void *)");
    request.source = std::make_shared<const CompileRequest>(other);
    EXPECT_EQ(load_compiled(request)->many_address(), nullptr);
}

using Loop = void(const double *, double *, std::int64_t);

/* A loop entry's object code, saved once built, loads into another copy of the function
   (a later process's, from the compile cache) without codegen, imports and libmvec bound
   there, and computes what the built loop computes, bit for bit. */
TEST(ObjectCode, ABuiltLoopEntryIsAdoptedByAReloadedCopyWithoutCodegen) {
    auto square = build("def square(x):\n    return x * x\n");
    Globals g{{"math", GlobalValue::of_module("math")},
              {"h", GlobalValue::of_external("h", reinterpret_cast<std::uintptr_t>(square->address()),
                                             parse_signature("double (double)"))}};
    /* One loop calls the import, the other is widened with libmvec's cos. */
    auto imported = build("def f(x):\n    return math.exp(-h(x)) + 1.0\n", g);
    auto widened = build("def f(x):\n    return math.cos(3.0 * x) * math.exp(-x * x)\n", g);
    double x[9] = {0.0, 0.5, -1.5, 2.0, 3.25, -0.125, 7.0, 1e-3, -2.5};
    for (const auto &f : {imported, widened}) {
        for (LoopValue value : {LoopValue::Value, LoopValue::MirroredSum}) {
            EXPECT_FALSE(f->loop_object(value).has_value());   // never built by asking
            void *built = value == LoopValue::Value ? f->many_address() : f->mirrored_sum_address();
            ASSERT_NE(built, nullptr);
            std::optional<LoopObject> object = f->loop_object(value);
            ASSERT_TRUE(object.has_value());
            EXPECT_FALSE(object->object_code.empty());
            EXPECT_EQ(object->imports, f->imports());

            auto loaded = load_compiled(reload_request(*f));   // no source: it could not build a loop
            const std::uint64_t runs = codegen_runs();
            void *adopted = loaded->adopt_loop(value, *object);
            ASSERT_NE(adopted, nullptr);
            EXPECT_EQ(codegen_runs(), runs);
            EXPECT_EQ(value == LoopValue::Value ? loaded->many_address() : loaded->mirrored_sum_address(), adopted);
            EXPECT_EQ(loaded->adopt_loop(value, *object), adopted);   // once adopted, kept
            ASSERT_TRUE(loaded->loop_object(value).has_value());
            EXPECT_EQ(loaded->loop_object(value)->symbol, object->symbol);
            double built_fx[9], adopted_fx[9];
            reinterpret_cast<Loop *>(built)(x, built_fx, 9);
            reinterpret_cast<Loop *>(adopted)(x, adopted_fx, 9);
            for (int i = 0; i < 9; ++i)
                EXPECT_EQ(std::memcmp(&built_fx[i], &adopted_fx[i], sizeof(double)), 0) << x[i];
            /* The other loop is still the loaded copy's own: none without the source. */
            EXPECT_EQ(value == LoopValue::Value ? loaded->mirrored_sum_address() : loaded->many_address(), nullptr);
        }
    }
}

/* Object code that does not load throws and leaves the loop to be built on first use; a
   loop already asked for is kept; a function without loop entries adopts none. */
TEST(ObjectCode, AdoptingALoopThatDoesNotLoadLeavesTheLoopToBeBuilt) {
    CompileRequest source;
    source.source = "def f(x):\n    return x * x + 1.0\n";
    source.filename = "test.py";
    source.signature = parse_signature("double (double)");
    auto f = compile(source);
    ASSERT_NE(f->many_address(), nullptr);
    const LoopObject good = *f->loop_object(LoopValue::Value);

    LoadRequest request = reload_request(*f);
    request.source = std::make_shared<const CompileRequest>(source);
    auto loaded = load_compiled(request);
    LoopObject garbage = good;
    garbage.object_code = "not an object file";
    EXPECT_THROW(loaded->adopt_loop(LoopValue::Value, garbage), Error);
    LoopObject unknown_symbol = good;
    unknown_symbol.symbol = "no_such_loop";
    EXPECT_THROW(loaded->adopt_loop(LoopValue::Value, unknown_symbol), Error);
    EXPECT_FALSE(loaded->loop_object(LoopValue::Value).has_value());
    const std::uint64_t runs = codegen_runs();
    void *built = loaded->many_address();
    ASSERT_NE(built, nullptr);
    EXPECT_EQ(codegen_runs(), runs + 1);
    EXPECT_EQ(loaded->adopt_loop(LoopValue::Value, good), built);   // already built: kept

    auto no_loops = test_support::compile_source("def f(x, y):\n    return x * y\n", "double (double, double)", {});
    EXPECT_EQ(no_loops->adopt_loop(LoopValue::Value, good), nullptr);
}

TEST(ObjectCode, RefusesWhatIsNotLoadableObjectCode) {
    auto f = build("def f(x):\n    return x + 1.0\n");
    const std::string &object = f->object_code();
    for (std::string bad : {std::string(), std::string("not an object file at all"), object.substr(0, 64),
                            object.substr(0, object.size() / 2)}) {
        LoadRequest request = reload_request(*f);
        request.object_code = bad;
        EXPECT_THROW(load_compiled(request), Error) << bad.size() << " bytes";
    }
    LoadRequest missing_symbol = reload_request(*f);
    missing_symbol.function_symbol = "no_such_function";
    EXPECT_THROW(load_compiled(missing_symbol), Error);
}

TEST(ObjectCode, HostIdNamesLlvmAndTheCpu) {
    std::string id = host_id();
    EXPECT_EQ(id.rfind("LLVM 19.", 0), 0u) << id;
    EXPECT_EQ(id, host_id());
}

TEST(ObjectCode, HostKeyNamesLlvmAndTheTargetAsHostIdDoes) {
    std::string key = host_key(), id = host_id();
    EXPECT_EQ(key, host_key());
    std::size_t target_end = id.find("; ", id.find("; ") + 2);   // "LLVM <version>; <triple>"
    EXPECT_EQ(key.substr(0, target_end), id.substr(0, target_end)) << key;
}

} // namespace
} // namespace nativecall::jit
