// Type model and inference tests: interning, promotion at joins, forward typing from the signature, typing errors.
#include <gtest/gtest.h>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/frontend.h"

namespace nativecall::jit {
namespace {

TypedFunction infer(const std::string &text, const std::string &sig, Globals globals = {}) {
    auto file = std::make_shared<SourceFile>();
    file->text = text;
    file->filename = "t.py";
    auto module = std::make_shared<Module>(parse_module(file));
    return infer_types(module, "", parse_signature(sig), globals);
}

TEST(Types, InternedAndNamedLikeNumba) {
    EXPECT_EQ(types::integer(64, true), types::int64());
    EXPECT_EQ(types::pointer(types::float64()), types::pointer(types::floating(64)));
    EXPECT_EQ(types::pointer(types::float64())->str(), "CPointer(float64)");
    EXPECT_EQ(types::voidptr()->str(), "voidptr");
    EXPECT_EQ(types::array(types::float64(), 2, 'F')->str(), "array(float64, 2d, F)");
    EXPECT_EQ(types::tuple({types::int64(), types::float64()})->str(), "Tuple(int64, float64)");
    EXPECT_EQ(types::from_ctype(parse_type("int")), types::integer(32, true));
    EXPECT_EQ(types::from_ctype(parse_type("double *")), types::pointer(types::float64()));
}

TEST(Types, PromotionAtJoins) {
    EXPECT_EQ(types::unify(types::int64(), types::float64()), types::float64());
    EXPECT_EQ(types::unify(types::integer(32, true), types::int64()), types::int64());
    EXPECT_EQ(types::unify(types::boolean(), types::boolean()), types::boolean());
    EXPECT_EQ(types::unify(types::floating(32), types::floating(32)), types::floating(32));
    EXPECT_EQ(types::unify(types::floating(32), types::int64()), types::float64());
    EXPECT_EQ(types::unify(types::float64(), types::voidptr()), nullptr);
    EXPECT_EQ(types::unify(types::tuple({types::int64()}), types::tuple({types::float64()})),
              types::tuple({types::float64()}));
    EXPECT_EQ(types::arithmetic_result(types::integer(8, false), types::integer(16, false)), types::integer(64, false));
    EXPECT_EQ(types::arithmetic_result(types::boolean(), types::boolean()), types::int64());
}

TEST(Inference, ForwardFromTheSignatureAndWideningInLoops) {
    TypedFunction f = infer("def f(n, x):\n    acc = 0\n    for i in range(n):\n        acc = acc + x\n"
                            "    k = n // 2\n    ok = acc > 1 and k < 3\n    return acc\n",
                            "double (int, double)");
    EXPECT_EQ(f.variables.at("n"), types::integer(32, true));
    EXPECT_EQ(f.variables.at("acc"), types::float64());   // int literal joined with float64
    EXPECT_EQ(f.variables.at("i"), types::int64());
    EXPECT_EQ(f.variables.at("k"), types::int64());
    EXPECT_EQ(f.variables.at("ok"), types::boolean());
    EXPECT_EQ(f.result, types::float64());
}

TEST(Inference, ArraysTuplesAndGlobals) {
    Globals g;
    g["carray"] = GlobalValue::of_function("carray");
    g["np"] = GlobalValue::of_module("numpy");
    g["SCALE"] = GlobalValue::of_constant(ConstantValue{2.5});
    g["SHAPE"] = GlobalValue::of_constant(ConstantValue{std::vector<ConstantValue>{{std::int64_t{2}}, {std::int64_t{3}}}});
    TypedFunction f = infer("def f(p, data):\n    a = carray(p, SHAPE)\n    m, n = a.shape\n"
                            "    s = carray(data, (1,), dtype=np.float64)[0]\n    a[1, 2] = s * SCALE\n"
                            "    return np.sqrt(a[0, 0]) + m\n",
                            "double (double *, void *)", g);
    EXPECT_EQ(f.variables.at("a"), types::array(types::float64(), 2, 'C'));
    EXPECT_EQ(f.variables.at("m"), types::int64());
    EXPECT_EQ(f.variables.at("s"), types::float64());
}

struct TypingErrorCase {
    const char *source;
    const char *signature;
    int line, column;
    const char *message_part;
};
class TypingErrors : public ::testing::TestWithParam<TypingErrorCase> {};

TEST_P(TypingErrors, SayWhatAndWhere) {
    const TypingErrorCase &c = GetParam();
    try {
        infer(c.source, c.signature);
        FAIL() << "expected a CompileError: " << c.source;
    } catch (const CompileError &e) {
        EXPECT_EQ(e.line(), c.line) << e.what();
        EXPECT_EQ(e.column(), c.column) << e.what();
        EXPECT_NE(e.message().find(c.message_part), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TypingErrors,
    ::testing::Values(
        TypingErrorCase{"def f(x, p):\n    return x + p\n", "double (double, double *)", 2, 12,
                        "cannot add float64 and CPointer(float64)"},
        TypingErrorCase{"def f(x, p):\n    y = x\n    y = p\n    return x\n", "double (double, void *)", 3, 9,
                        "variable 'y' holds float64 elsewhere and cannot also hold voidptr"},
        TypingErrorCase{"def f(x):\n    return y\n", "double (double)", 2, 12, "name 'y' is not defined"},
        TypingErrorCase{"def f(x):\n    return x.real\n", "double (double)", 2, 12, "float64 has no attribute 'real'"},
        TypingErrorCase{"def f(p):\n    return p[0]\n", "double (void *)", 2, 12, "cannot index a voidptr"},
        TypingErrorCase{"def f(p):\n    return p\n", "double (void *)", 2, 12, "cannot return voidptr"},
        TypingErrorCase{"def f(x):\n    return\n", "double (double)", 2, 5, "return without a value"},
        TypingErrorCase{"def f(x):\n    break\n", "double (double)", 2, 5, "'break' outside a loop"},
        TypingErrorCase{"def f(x):\n    y = y + 1.0\n    return y\n", "double (double)", 2, 9,
                        "used before it is assigned"},
        TypingErrorCase{"def f(x):\n    return x(1)\n", "double (double)", 2, 12, "'float64' object is not callable"},
        TypingErrorCase{"def f(x):\n    return abs(x, x)\n", "double (double)", 2, 12, "cannot call abs() with arguments"},
        TypingErrorCase{"def f(x):\n    return round(x, 2)\n", "double (double)", 2, 12, "ndigits is not supported"},
        TypingErrorCase{"def f(x):\n    a, b = x\n    return a\n", "double (double)", 2, 12, "cannot unpack float64"},
        TypingErrorCase{"def f(x, y):\n    return x\n", "double (double)", 1, 1, "takes 2 parameter(s)"},
        TypingErrorCase{"def f(x):\n    return 'a'\n", "double (double)", 2, 12, "string literals are not supported"}));

} // namespace
} // namespace nativecall::jit
