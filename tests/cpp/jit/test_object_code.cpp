// Object code as the compile cache uses it: reloaded without codegen, imports rebound at load, bad buffers refused.
#include <gtest/gtest.h>

#include <cmath>

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
