// ABI matching: platform aliases match, size/signedness/pointee differences do not, messages name the slot.
#include <gtest/gtest.h>

#include "nativecall/signature.h"

using namespace nativecall;

namespace {

struct MatchCase {
    const char *a, *b;
    bool same;
};
std::ostream &operator<<(std::ostream &os, const MatchCase &c) { return os << c.a << " ~ " << c.b; }

class AbiMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(AbiMatch, AsThePlatformLaysOut) {
    const auto &c = GetParam();
    EXPECT_EQ(parse_signature(c.a).same_abi(parse_signature(c.b)), c.same);
    EXPECT_EQ(parse_signature(c.b).same_abi(parse_signature(c.a)), c.same);
}

constexpr bool lp64 = sizeof(long) == 8;

INSTANTIATE_TEST_SUITE_P(
    Table, AbiMatch,
    ::testing::Values(
        MatchCase{"long (longlong *, double *, long, long, void *)",
                  "long long (intptr_t *, double *, npy_intp, Py_ssize_t, void *)", lp64},
        MatchCase{"int (intptr_t *, double *, int, int, void *)",
                  "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)", true},
        MatchCase{"int (intptr_t *, double *, int, int, void *)",
                  "long (longlong *, double *, long, long, void *)", false},
        MatchCase{"float64(float64)", "double (double x)", true},
        MatchCase{"double (double)", "float (float)", false},
        MatchCase{"int (int)", "unsigned int (int)", false},
        MatchCase{"void (double *)", "void (float *)", false},
        MatchCase{"void (double *)", "void (double **)", false},
        MatchCase{"void (void *)", "void (double *)", false},
        MatchCase{"void (const double *)", "void(CPointer(float64))", true},
        MatchCase{"double (double)", "double (double, double)", false},
        MatchCase{"bool (int)", "signed char (int)", false},
        MatchCase{"char_p (void)", "char *()", true}));

TEST(AbiMessages, NameTheFirstDifference) {
    auto given = parse_signature("long (longlong *, double *, long, long, void *)");
    auto want = parse_signature("int (intptr_t *, double *, int, int, void *)");
    EXPECT_EQ(given.first_difference(want),
              "return type: got 'long' (64-bit signed integer), expected 'int' (32-bit signed integer)");
    auto want_args = parse_signature("long (intptr_t *, double *, int, int, void *)");
    EXPECT_EQ(given.first_difference(want_args),
              "argument 3: got 'long' (64-bit signed integer), expected 'int' (32-bit signed integer)");
    EXPECT_EQ(parse_signature("double (double, double, void *, int)").first_difference(want),
              "expected 5 arguments, got 4");
    EXPECT_EQ(want.first_difference(want), "");
}

TEST(AbiMessages, SelectListsAcceptedAndClosest) {
    std::vector<Signature> accepted = {parse_signature("double (double)"),
                                       parse_signature("double (double, void *)")};
    EXPECT_EQ(select_signature(parse_signature("float64(float64, voidptr)"), accepted), 1u);
    try {
        select_signature(parse_signature("float (double, void *)"), accepted, "the integrand of quad");
        FAIL();
    } catch (const SignatureMismatch &e) {
        std::string m = e.what();
        EXPECT_NE(m.find("the integrand of quad has signature 'float (double, void *)'"), std::string::npos) << m;
        EXPECT_NE(m.find("'double (double)'"), std::string::npos) << m;
        EXPECT_NE(m.find("against 'double (double, void *)': return type: got 'float'"), std::string::npos) << m;
    }
}

TEST(CanonicalSpellings, MatchScipyAndNumba) {
    auto s = parse_signature("long (longlong *, double *, intc, int32, void *)");
    EXPECT_EQ(s.c_spelling(), "intptr_t (intptr_t *, double *, int, int, void *)");
    EXPECT_EQ(s.numba_spelling(), "int64(CPointer(int64), CPointer(float64), int32, int32, voidptr)");
    EXPECT_EQ(parse_signature("double (double **, void *)").c_spelling(), "double (double **, void *)");
    EXPECT_EQ(parse_signature("uint8(boolean, float32)").c_spelling(), "unsigned char (bool, float)");
    // The canonical spellings parse back to the same ABI.
    EXPECT_TRUE(parse_signature(s.c_spelling()).same_abi(s));
    EXPECT_TRUE(parse_signature(s.numba_spelling()).same_abi(s));
}

TEST(Describe, ReadsLikeEnglish) {
    EXPECT_EQ(parse_type("double **").describe(), "pointer to pointer to 64-bit float");
    EXPECT_EQ(parse_type("uint16").describe(), "16-bit unsigned integer");
}

} // namespace
