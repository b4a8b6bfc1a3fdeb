// Signature parser: every supported spelling parses to the expected ABI; malformed text fails with a position.
#include <gtest/gtest.h>

#include <cstdint>

#include "nativecall/signature.h"

using namespace nativecall;

namespace {

struct SpellingCase {
    const char *text;
    Signature expected;
};

std::ostream &operator<<(std::ostream &os, const SpellingCase &c) { return os << c.text; }

class ParsesAs : public ::testing::TestWithParam<SpellingCase> {};

TEST_P(ParsesAs, SameAbiAsCxxType) {
    const auto &c = GetParam();
    Signature parsed = parse_signature(c.text);
    EXPECT_TRUE(parsed.same_abi(c.expected))
        << c.text << " parsed as " << parsed.c_spelling() << ", expected " << c.expected.c_spelling()
        << ": " << parsed.first_difference(c.expected);
    EXPECT_EQ(parsed.spelling, c.text);
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, ParsesAs,
    ::testing::Values(
        // scipy's own spellings
        SpellingCase{"double (double)", signature_of<double(double)>()},
        SpellingCase{"double (double, void *)", signature_of<double(double, void *)>()},
        SpellingCase{"double (int, double *)", signature_of<double(int, double *)>()},
        SpellingCase{"double (int, double *, void *)", signature_of<double(int, double *, void *)>()},
        SpellingCase{"int (intptr_t *, double *, int, int, void *)",
                     signature_of<int(std::intptr_t *, double *, int, int, void *)>()},
        SpellingCase{"int (npy_intp *, double *, int, int, void *)",
                     signature_of<int(std::intptr_t *, double *, int, int, void *)>()},
        SpellingCase{"int (long long *, double *, int, int, void *)",
                     signature_of<int(long long *, double *, int, int, void *)>()},
        SpellingCase{"int (double *, intptr_t, double *, void *)",
                     signature_of<int(double *, std::intptr_t, double *, void *)>()},
        // ctypes-derived spellings
        SpellingCase{"long (longlong *, double *, long, long, void *)",
                     signature_of<long(long long *, double *, long, long, void *)>()},
        SpellingCase{"ulong (char_p, ubyte, ushort, uint)",
                     signature_of<unsigned long(char *, unsigned char, unsigned short, unsigned)>()},
        SpellingCase{"void (double **, void_p)", signature_of<void(double **, void *)>()},
        // cffi-derived spellings
        SpellingCase{"double(*)(double, void *)", signature_of<double(double, void *)>()},
        SpellingCase{"double(double)", signature_of<double(double)>()},
        // typedefs, qualifiers, names, whitespace, arrays, (void)
        SpellingCase{"Py_ssize_t (size_t, ssize_t, ptrdiff_t, uintptr_t)",
                     signature_of<std::intptr_t(std::size_t, std::intptr_t, std::ptrdiff_t, std::uintptr_t)>()},
        SpellingCase{"double (const double *x, double * const y, void *data)",
                     signature_of<double(const double *, double *, void *)>()},
        SpellingCase{"  double\t(\n double   x ,void*data )  ", signature_of<double(double, void *)>()},
        SpellingCase{"double f(double x)", signature_of<double(double)>()},
        SpellingCase{"void (double x[], int n)", signature_of<void(double *, int)>()},
        SpellingCase{"int (void)", signature_of<int()>()},
        SpellingCase{"unsigned long long int (signed char, unsigned, short int, long double)",
                     signature_of<unsigned long long(signed char, unsigned, short, long double)>()},
        SpellingCase{"bool (_Bool, bool)", signature_of<bool(bool, bool)>()},
        SpellingCase{"int8_t (uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t)",
                     signature_of<std::int8_t(std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                                              std::uint32_t, std::int64_t, std::uint64_t)>()},
        // numba-style spellings
        SpellingCase{"float64(float64, float64)", signature_of<double(double, double)>()},
        SpellingCase{"float64(float64, voidptr)", signature_of<double(double, void *)>()},
        SpellingCase{"intc(CPointer(float64), intp, CPointer(float64), voidptr)",
                     signature_of<int(double *, std::intptr_t, double *, void *)>()},
        SpellingCase{"intc(CPointer(intp), CPointer(double), intc, intc, voidptr)",
                     signature_of<int(std::intptr_t *, double *, int, int, void *)>()},
        SpellingCase{"int32(float64*, intp, float64*, voidptr)",
                     signature_of<int(double *, std::intptr_t, double *, void *)>()},
        SpellingCase{"void(CPointer(CPointer(float32)), uintc, boolean, int8, uint64)",
                     signature_of<void(float **, unsigned, bool, std::int8_t, std::uint64_t)>()},
        SpellingCase{"float64()", signature_of<double()>()},
        // array sizes are ignored as in C; type-like parameter names are names
        SpellingCase{"double (int x[10], double i1, float none)", signature_of<double(int *, double, float)>()},
        // "uint" and "byte": ctypes' meaning in C-style text, numba's in numba-style text
        SpellingCase{"ulong (uint, byte)", signature_of<unsigned long(unsigned, signed char)>()},
        SpellingCase{"float64(uint, byte)", signature_of<double(std::uint64_t, std::uint8_t)>()},
        SpellingCase{"intmax_t (char16_t, char32_t, int_least8_t, uint_fast64_t)",
                     signature_of<std::intmax_t(char16_t, char32_t, std::int_least8_t, std::uint_fast64_t)>()}));

struct MalformedCase {
    const char *text;
    std::size_t position;
    const char *message_part;
};

std::ostream &operator<<(std::ostream &os, const MalformedCase &c) { return os << "'" << c.text << "'"; }

class RejectsMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(RejectsMalformed, WithPositionAndReason) {
    const auto &c = GetParam();
    try {
        parse_signature(c.text);
        FAIL() << "parsed malformed text " << c.text;
    } catch (const SignatureSyntaxError &e) {
        EXPECT_EQ(e.position(), c.position) << e.what();
        EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("^"), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RejectsMalformed,
    ::testing::Values(
        MalformedCase{"", 0, "expected a type"},
        MalformedCase{"double", 6, "expected '(' to open the parameter list"},
        MalformedCase{"double (double,, void *)", 15, "expected a type"},
        MalformedCase{"double (double", 14, "expected ',' or ')'"},
        MalformedCase{"double (doubel)", 8, "unknown type name 'doubel'"},
        MalformedCase{"double (double) x", 16, "expected end of signature"},
        MalformedCase{"double (double, void)", 16, "type 'void'"},
        MalformedCase{"double (double; void *)", 14, "unexpected character ';'"},
        MalformedCase{"double (complex128)", 8, "cannot appear in a native callback signature"},
        MalformedCase{"unsigned double (int)", 0, "invalid combination of floating-point"},
        MalformedCase{"int (long long long)", 5, "invalid combination of integer"},
        MalformedCase{"int (signed unsigned)", 5, "conflicting"},
        MalformedCase{"int (CPointer(float64)", 22, "expected ',' or ')'"},
        MalformedCase{"int (CPointer float64)", 14, "'(' after CPointer"},
        MalformedCase{"double complex (double)", 7, "cannot appear in a native callback signature"},
        MalformedCase{"double (double _Complex x)", 15, "cannot appear in a native callback signature"},
        MalformedCase{"double f[] (double)", 8, "a function cannot return an array"},
        MalformedCase{"int (double x[3)", 15, "']' to close the array parameter"},
        MalformedCase{"int (\x01)", 5, "byte 0x01"}));

TEST(SignatureParser, DeepPointerNestingIsAnErrorNotACrash) {
    std::string text = "void (double " + std::string(10000, '*') + ")";
    EXPECT_THROW(parse_signature(text), SignatureSyntaxError);
    std::string nested = "void (";
    for (int i = 0; i < 5000; ++i) nested += "CPointer(";
    nested += "float64";
    nested += std::string(5000, ')') + ")";
    EXPECT_THROW(parse_signature(nested), SignatureSyntaxError);
}

TEST(SignatureParser, KeepsParameterNamesAndSpelling) {
    Signature s = parse_signature("double (double x, void *user_data)");
    ASSERT_EQ(s.param_names.size(), 2u);
    EXPECT_EQ(s.param_names[0], "x");
    EXPECT_EQ(s.param_names[1], "user_data");
    EXPECT_EQ(s.params[1].spelling, "void *");
    EXPECT_EQ(s.result.spelling, "double");
}

TEST(SignatureParser, ParseTypeAlone) {
    EXPECT_TRUE(parse_type("const double *").same_abi(detail::CTypeOf<double *>::get()));
    EXPECT_TRUE(parse_type("CPointer(intp)").same_abi(detail::CTypeOf<std::intptr_t *>::get()));
    EXPECT_THROW(parse_type("double x"), SignatureSyntaxError);
}

} // namespace
