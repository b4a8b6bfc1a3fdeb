// The extension layer: builtins first, copy-on-write snapshots, C++ registrations and overloads used by compile().
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "jitable_sources.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/jit/extending.h"

namespace nativecall::jit {
namespace {

std::shared_ptr<CompiledFunction> build(const std::string &source, const std::string &sig, Globals globals = {}) {
    CompileRequest request;
    request.source = source;
    request.filename = "test.py";
    request.signature = parse_signature(sig);
    request.globals = std::move(globals);
    return compile(request);
}

std::optional<CallSignature> resolve(const Registry &r, const std::string &name, std::vector<TypeRef> types) {
    CallArgs args{types, std::vector<std::optional<std::int64_t>>(types.size())};
    return r.resolve(name, args);
}

/* twice(x) = x + x for float64, lowered through the abstract ir::Builder. */
void add_twice(Registry &r, const std::string &name) {
    r.add_typer(name, [](const CallArgs &a) -> std::optional<CallSignature> {
        if (a.types.size() != 1 || !a.types[0]->is_number())
            return std::nullopt;
        return CallSignature{types::float64(), {types::float64()}};
    });
    r.add_lowering(name, {TypePattern::exactly(types::float64())},
                   [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                       return {ctx.b().binary(ir::BinaryOp::FAdd, a[0][0], a[0][0])};
                   });
}

TEST(Extending, ALayerConsultsTheBuiltinsFirstAndPairsTypersWithTheirLowerings) {
    Registry layer(&Registry::builtins());
    /* "+" on pointers: the builtins decline, so the layer's typer serves it. */
    layer.add_typer("+", [](const CallArgs &a) -> std::optional<CallSignature> {
        if (a.types[0]->kind != Kind::Pointer)
            return std::nullopt;
        return CallSignature{types::int64(), a.types};
    });
    layer.add_lowering("+", {TypePattern::any()},
                       [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &) -> Lowered { return {}; },
                       true);
    /* An extension typer that accepts everything never shadows a builtin. */
    layer.add_typer("abs", [](const CallArgs &a) -> std::optional<CallSignature> {
        return CallSignature{types::boolean(), a.types};
    });

    auto numbers = resolve(layer, "+", {types::float64(), types::int64()});
    ASSERT_TRUE(numbers);
    EXPECT_EQ(numbers->result, types::float64());
    EXPECT_EQ(numbers->typed_by, &Registry::builtins());
    EXPECT_EQ(resolve(layer, "abs", {types::int64()})->result, types::int64());

    auto pointers = resolve(layer, "+", {types::voidptr(), types::voidptr()});
    ASSERT_TRUE(pointers);
    EXPECT_EQ(pointers->typed_by, &layer);
    /* The builtin "+" lowering is for numbers; the layer's own lowering is found first. */
    EXPECT_NE(layer.lowering_for("+", *pointers), nullptr);
    EXPECT_EQ(layer.lowering_for("+", *numbers), Registry::builtins().lowering_for("+", *numbers));

    EXPECT_TRUE(layer.knows("math.exp"));   // through the base
    EXPECT_FALSE(resolve(Registry::builtins(), "+", {types::voidptr(), types::voidptr()}));   // untouched
    EXPECT_NE(layer.find_cast(types::int64(), types::float64()), nullptr);
    EXPECT_NE(layer.parameter_names("carray"), nullptr);
}

TEST(Extending, ExtendPublishesANewSnapshotAndLeavesTheBuiltinsAlone) {
    const Registry &before = active_registry();
    extend([](Registry &r) { add_twice(r, "ext_test.twice"); });
    const Registry &after = active_registry();
    EXPECT_NE(&before, &after);
    EXPECT_TRUE(after.knows("ext_test.twice"));
    EXPECT_FALSE(before.knows("ext_test.twice"));   // a compile that started earlier keeps its view
    EXPECT_FALSE(Registry::builtins().knows("ext_test.twice"));

    auto f = build("def f(x):\n    return ext_test_twice(x) + 1.0\n", "float64(float64)",
                   {{"ext_test_twice", GlobalValue::of_function("ext_test.twice")}});
    EXPECT_EQ(reinterpret_cast<double (*)(double)>(f->address())(2.5), 6.0);

    /* A bare name registered in the layer is visible without a global. */
    extend([](Registry &r) { add_twice(r, "ext_test_bare_twice"); });
    auto g = build("def g(n):\n    return ext_test_bare_twice(n)\n", "float64(int32)");
    EXPECT_EQ(reinterpret_cast<double (*)(int)>(g->address())(21), 42.0);
}

TEST(Extending, ARegistrationThatThrowsPublishesNothing) {
    const Registry &before = active_registry();
    EXPECT_THROW(extend([](Registry &r) {
                     add_twice(r, "ext_test.half_registered");
                     throw std::runtime_error("changed my mind");
                 }),
                 std::runtime_error);
    EXPECT_EQ(&before, &active_registry());
    EXPECT_FALSE(active_registry().knows("ext_test.half_registered"));
}

using test_support::jitable_source;

TEST(Extending, OverloadsChooseAnImplementationByArgumentTypesOnce) {
    auto square = jitable_source("square", "def square(x):\n    return x * x\n");
    auto sum3 = jitable_source("sum3", "def sum3(t):\n    return t[0] + t[1] + t[2]\n");
    std::atomic<int> asked{0};
    extend([&](Registry &r) {
        add_overload(r, "ext_test.norm1", [&](const std::vector<TypeRef> &types) -> std::shared_ptr<const JitableSource> {
            ++asked;
            if (types.size() == 1 && types[0]->is_number())
                return square;
            if (types.size() == 1 && types[0]->kind == Kind::Tuple)
                return sum3;
            return nullptr;   // declined: "cannot call"
        });
    });
    Globals globals{{"norm1", GlobalValue::of_function("ext_test.norm1")}};
    auto f = build("def f(x):\n    return norm1(x) + norm1((x, 1.0, 2.0))\n", "float64(float64)", globals);
    EXPECT_EQ(reinterpret_cast<double (*)(double)>(f->address())(3.0), 9.0 + 6.0);
    int after_first = asked.load();
    EXPECT_EQ(after_first, 2);   // once per distinct argument types, not per inference pass

    std::size_t specialisations = jitable_specialisation_count();
    for (int i = 0; i < 20; ++i)
        build("def f(x):\n    return norm1(x) + norm1((x, 1.0, 2.0))\n", "float64(float64)", globals);
    EXPECT_EQ(asked.load(), after_first);
    EXPECT_EQ(jitable_specialisation_count(), specialisations);

    try {
        build("def f(p):\n    return norm1(p)\n", "float64(voidptr)", globals);
        FAIL() << "a declined overload compiled";
    } catch (const CompileError &e) {
        EXPECT_NE(std::string(e.what()).find("cannot call ext_test.norm1() with arguments (voidptr)"), std::string::npos)
            << e.what();
    }
}

TEST(Extending, CompilesRunWhileAnotherThreadRegisters) {
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    std::thread compiler([&] {
        while (!stop) {
            auto f = build("def f(x):\n    return x * 2.0\n", "float64(float64)");
            if (reinterpret_cast<double (*)(double)>(f->address())(4.0) != 8.0)
                ++wrong;
        }
    });
    for (int i = 0; i < 50; ++i)
        extend([i](Registry &r) { add_twice(r, "ext_test.concurrent" + std::to_string(i)); });
    stop = true;
    compiler.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_TRUE(active_registry().knows("ext_test.concurrent49"));
    EXPECT_TRUE(active_registry().knows("ext_test.concurrent0"));
}

} // namespace
} // namespace nativecall::jit
