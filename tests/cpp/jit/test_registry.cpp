// Registry tests: pattern matching, typer order, lowering selection by argument types, the data model.
#include <gtest/gtest.h>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

/* A lowering whose only job is to be told apart from the others. */
Lowerer tagged(int tag) {
    return [tag](LoweringContext &, const CallSignature &, const std::vector<Lowered> &) -> Lowered {
        return {ir::Value{reinterpret_cast<void *>(static_cast<std::uintptr_t>(tag))}};
    };
}

TEST(Registry, TypePatterns) {
    EXPECT_TRUE(TypePattern::any().matches(types::voidptr()));
    EXPECT_TRUE(TypePattern::of(Kind::Int).matches(types::integer(8, false)));
    EXPECT_FALSE(TypePattern::of(Kind::Int).matches(types::float64()));
    EXPECT_TRUE(TypePattern::exactly(types::float64()).matches(types::float64()));
    EXPECT_FALSE(TypePattern::exactly(types::float64()).matches(types::floating(32)));
    EXPECT_TRUE(TypePattern::number().matches(types::boolean()));
    EXPECT_FALSE(TypePattern::number().matches(types::pointer(types::float64())));
    EXPECT_TRUE(TypePattern::iterator_over(Kind::Range).matches(types::iterator(types::range())));
    EXPECT_FALSE(TypePattern::iterator_over(Kind::Array).matches(types::iterator(types::range())));
}

TEST(Registry, FirstAcceptingTyperWinsAndLiteralsReachTheSignature) {
    Registry r;
    r.add_typer("op", [](const CallArgs &a) -> std::optional<CallSignature> {
        if (a.types[0] != types::float64())
            return std::nullopt;
        return CallSignature{types::float64(), a.types};
    });
    r.add_typer("op", [](const CallArgs &a) -> std::optional<CallSignature> {
        return CallSignature{types::int64(), a.types};
    });
    EXPECT_EQ(r.resolve("op", {{types::float64()}, {std::nullopt}})->result, types::float64());
    auto sig = r.resolve("op", {{types::int64()}, {std::int64_t{7}}});
    EXPECT_EQ(sig->result, types::int64());
    EXPECT_EQ(sig->literal_ints.at(0), 7);
    EXPECT_FALSE(r.resolve("unknown", {{types::int64()}, {std::nullopt}}).has_value());
    EXPECT_TRUE(r.knows("op"));
}

TEST(Registry, TypingFailuresCarryTheirReason) {
    Registry r;
    r.add_typer("picky", [](const CallArgs &) -> std::optional<CallSignature> { throw TypingFailure("needs a tuple"); });
    try {
        r.resolve("picky", {{types::int64()}, {std::nullopt}});
        FAIL();
    } catch (const TypingFailure &e) {
        EXPECT_STREQ(e.what(), "needs a tuple");
    }
}

TEST(Registry, LoweringIsSelectedByArgumentTypesAndArity) {
    Registry r;
    r.add_lowering("f", {TypePattern::of(Kind::Pointer)}, tagged(1));
    r.add_lowering("f", {TypePattern::number(), TypePattern::number()}, tagged(2));
    r.add_lowering("f", {TypePattern::of(Kind::Tuple), TypePattern::any()}, tagged(3), true);
    const Lowerer *pointer = r.find_lowering("f", {types::voidptr()});
    const Lowerer *numbers = r.find_lowering("f", {types::int64(), types::float64()});
    const Lowerer *variadic = r.find_lowering("f", {types::tuple({}), types::int64(), types::int64(), types::voidptr()});
    ASSERT_TRUE(pointer && numbers && variadic);
    EXPECT_NE(pointer, numbers);
    EXPECT_NE(numbers, variadic);
    EXPECT_EQ(r.find_lowering("f", {types::int64()}), nullptr);                    // arity
    EXPECT_EQ(r.find_lowering("f", {types::voidptr(), types::int64()}), nullptr);  // pattern
}

TEST(Registry, BuiltinsCoverOperatorsCastsAndConstants) {
    const Registry &b = Registry::builtins();
    for (const char *name : {"+", "-", "*", "/", "//", "%", "**", "<", "==", "bool", "not", "abs", "min", "max", "round",
                             "int", "float", "len", "range", "carray", "farray", "getitem", "setitem", "iter",
                             "math.exp", "numpy.sqrt", "enumerate", "zip", "pow"})
        EXPECT_TRUE(b.knows(name)) << name;
    EXPECT_NE(b.find_cast(types::int64(), types::float64()), nullptr);
    EXPECT_NE(b.find_cast(types::tuple({types::int64()}), types::tuple({types::float64()})), nullptr);
    EXPECT_EQ(b.find_cast(types::voidptr(), types::float64()), nullptr);
    EXPECT_NE(b.find_constant(types::tuple({types::float64()})), nullptr);
    ASSERT_NE(b.parameter_names("carray"), nullptr);
    EXPECT_EQ(b.parameter_names("carray")->at(2), "dtype");
}

TEST(DataModel, PartsOfEachKind) {
    using T = ir::Type;
    EXPECT_EQ(LoweringContext::parts(types::boolean()), std::vector<T>{T::I1});
    EXPECT_EQ(LoweringContext::memory_type(types::boolean()), T::I8);
    EXPECT_EQ(LoweringContext::parts(types::array(types::float64(), 2, 'C')), (std::vector<T>{T::Ptr, T::I64, T::I64}));
    EXPECT_EQ(LoweringContext::parts(types::tuple({types::integer(32, true), types::float64()})),
              (std::vector<T>{T::I32, T::F64}));
    EXPECT_EQ(LoweringContext::parts(types::iterator(types::range())), (std::vector<T>{T::I64, T::I64, T::I64}));
    EXPECT_EQ(LoweringContext::parts(types::iterator(types::array(types::float64(), 1, 'C'))),
              (std::vector<T>{T::Ptr, T::I64, T::I64}));
    TypeRef zipped = types::combined("enumerate", {types::range()});
    EXPECT_EQ(LoweringContext::parts(types::iterator(zipped)), (std::vector<T>{T::I64, T::I64, T::I64, T::I64}));
    EXPECT_TRUE(LoweringContext::parts(types::module("math")).empty());
}

} // namespace
} // namespace nativecall::jit
