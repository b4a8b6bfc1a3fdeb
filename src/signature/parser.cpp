// Recursive-descent parser from C, ctypes, cffi and numba signature spellings to the ABI model.
#include <climits>
#include <cstddef>
#include <cwchar>
#include <optional>
#include <unordered_map>

#include "nativecall/signature.h"
#include "signature/lexer.h"

namespace nativecall {

using namespace signature_detail;

namespace {

/* Deep pointer chains only come from broken or hostile text; bounding them
   keeps the parser's recursion (and the pointee chain's destruction) shallow. */
constexpr int max_pointer_depth = 16;

CType int_type(std::size_t size, bool is_signed) {
    return detail::make_int(static_cast<std::uint8_t>(size), is_signed, nullptr);
}

/* Single-word type names that are not C keyword combinations: C typedefs,
   NumPy and CPython typedefs, ctypes' short names ("longlong", "char_p") and
   numba's names ("float64", "intp", "voidptr"). Sizes come from this
   compiler, so they are this platform's. */
const std::unordered_map<std::string_view, CType> &named_types() {
    static const auto *table = [] {
        auto *t = new std::unordered_map<std::string_view, CType>();
        auto add_int = [&](std::initializer_list<std::string_view> names, std::size_t size, bool s) {
            for (auto n : names) (*t)[n] = int_type(size, s);
        };
        auto add_float = [&](std::initializer_list<std::string_view> names, std::size_t size) {
            for (auto n : names) (*t)[n] = detail::make_float(static_cast<std::uint8_t>(size), nullptr);
        };
        add_int({"int8_t", "int8", "i1", "npy_int8", "npy_byte", "int_least8_t", "int_fast8_t"}, 1, true);
        add_int({"uint8_t", "uint8", "u1", "ubyte", "uchar", "npy_uint8", "npy_ubyte", "uint_least8_t",
                 "uint_fast8_t"}, 1, false);
        add_int({"int16_t", "int16", "i2", "npy_int16", "npy_short", "int_least16_t"}, 2, true);
        add_int({"uint16_t", "uint16", "u2", "ushort", "npy_uint16", "npy_ushort", "uint_least16_t",
                 "char16_t"}, 2, false);
        add_int({"int32_t", "int32", "i4", "intc", "npy_int32", "npy_int", "int_least32_t"}, 4, true);
        add_int({"uint32_t", "uint32", "u4", "uintc", "npy_uint32", "npy_uint", "uint_least32_t",
                 "char32_t"}, 4, false);
        add_int({"int64_t", "int64", "i8", "npy_int64", "int_least64_t", "int_fast64_t", "intmax_t"}, 8, true);
        add_int({"uint64_t", "uint64", "u8", "npy_uint64", "uint_least64_t", "uint_fast64_t", "uintmax_t"}, 8,
                false);
        /* The fast 16- and 32-bit types are as wide as a pointer on LP64 glibc. */
        add_int({"int_fast16_t", "int_fast32_t"}, sizeof(std::int_fast16_t), true);
        add_int({"uint_fast16_t", "uint_fast32_t"}, sizeof(std::uint_fast16_t), false);
        add_int({"intptr_t", "intp", "int_", "ssize_t", "ptrdiff_t", "Py_ssize_t", "Py_intptr_t",
                 "npy_intp"}, sizeof(std::intptr_t), true);
        add_int({"uintptr_t", "uintp", "size_t", "Py_uintptr_t", "npy_uintp"}, sizeof(std::uintptr_t), false);
        add_int({"long_", "npy_long"}, sizeof(long), true);
        add_int({"ulong", "npy_ulong"}, sizeof(unsigned long), false);
        add_int({"longlong", "npy_longlong"}, sizeof(long long), true);
        add_int({"ulonglong", "npy_ulonglong"}, sizeof(unsigned long long), false);
        add_int({"wchar", "wchar_t"}, sizeof(wchar_t), WCHAR_MIN != 0);
        add_float({"float32", "f4", "npy_float32", "npy_float", "float_"}, 4);
        add_float({"float64", "f8", "npy_float64", "npy_double"}, 8);
        add_float({"longdouble", "npy_longdouble"}, sizeof(long double));
        for (auto n : {"boolean", "bool_", "b1", "bool", "_Bool", "npy_bool"})
            (*t)[n] = detail::make_bool();
        for (auto n : {"voidptr", "void_p"}) (*t)[n] = detail::make_pointer(detail::make_void());
        (*t)["none"] = detail::make_void();
        (*t)["char_p"] = detail::make_pointer(int_type(1, CHAR_MIN != 0));
        (*t)["wchar_p"] = detail::make_pointer(int_type(sizeof(wchar_t), WCHAR_MIN != 0));
        return t;
    }();
    return *table;
}

/* Names that look like types but that no callback signature can carry. */
bool is_unsupported_type_name(std::string_view w) {
    return w == "complex64" || w == "complex128" || w == "c8" || w == "c16" || w == "complex" ||
           w == "_Complex" || w == "_Imaginary" || w == "imaginary" || w == "struct" || w == "union" ||
           w == "enum" || w == "pyobject";
}

/* Words only numba's spelling uses; one of them in a signature makes it numba-style. */
bool is_numba_word(std::string_view w) {
    auto digits_after = [&](std::string_view prefix) {
        if (w.size() <= prefix.size() || w.substr(0, prefix.size()) != prefix) return false;
        for (char c : w.substr(prefix.size()))
            if (c < '0' || c > '9') return false;
        return true;
    };
    return digits_after("int") || digits_after("uint") || digits_after("float") || w == "CPointer" ||
           w == "voidptr" || w == "intp" || w == "uintp" || w == "intc" || w == "uintc" || w == "boolean" ||
           w == "bool_" || w == "float_" || w == "long_" || w == "none";
}

/* "uint" and "byte" mean different types to ctypes (c_uint, c_byte) and to
   numba (uint64, uint8): the signature's dialect decides. */
std::optional<CType> dialect_type(std::string_view w, bool numba_dialect) {
    if (w == "uint") return int_type(numba_dialect ? sizeof(std::uintptr_t) : sizeof(unsigned), false);
    if (w == "byte") return int_type(1, !numba_dialect);
    return std::nullopt;
}

/* The C keywords a base type is spelled with; they combine ("unsigned long long int"). */
struct CKeywords {
    int n_signed = 0, n_unsigned = 0, n_short = 0, n_long = 0;
    int n_int = 0, n_char = 0, n_float = 0, n_double = 0, n_void = 0;
    int total() const {
        return n_signed + n_unsigned + n_short + n_long + n_int + n_char + n_float + n_double + n_void;
    }
    bool add(std::string_view w) {
        if (w == "signed") ++n_signed;
        else if (w == "unsigned") ++n_unsigned;
        else if (w == "short") ++n_short;
        else if (w == "long") ++n_long;
        else if (w == "int") ++n_int;
        else if (w == "char") ++n_char;
        else if (w == "float") ++n_float;
        else if (w == "double") ++n_double;
        else if (w == "void") ++n_void;
        else return false;
        return true;
    }
    /* The type these keywords name, or nullopt with `why` set when they do not combine. */
    std::optional<CType> resolve(std::string &why) const {
        bool sign_given = n_signed || n_unsigned;
        if (n_signed + n_unsigned > 1) { why = "conflicting 'signed'/'unsigned'"; return std::nullopt; }
        if (n_void) {
            if (total() == 1) return detail::make_void();
            why = "'void' combined with other type words"; return std::nullopt;
        }
        if (n_float || n_double) {
            bool ok = !sign_given && !n_short && !n_int && !n_char && n_float + n_double == 1 &&
                      (n_long == 0 || (n_long == 1 && n_double));
            if (!ok) { why = "invalid combination of floating-point type words"; return std::nullopt; }
            if (n_float) return detail::make_float(4, nullptr);
            if (n_long) return detail::make_float(sizeof(long double), nullptr);
            return detail::make_float(8, nullptr);
        }
        bool is_signed = !n_unsigned;
        if (n_char) {
            if (n_char > 1 || n_short || n_long || n_int) { why = "invalid use of 'char'"; return std::nullopt; }
            return int_type(1, sign_given ? is_signed : CHAR_MIN != 0);
        }
        if (n_int > 1 || n_long > 2 || (n_short && n_long) || n_short > 1) {
            why = "invalid combination of integer type words"; return std::nullopt;
        }
        if (n_short) return int_type(sizeof(short), is_signed);
        if (n_long == 2) return int_type(sizeof(long long), is_signed);
        if (n_long == 1) return int_type(sizeof(long), is_signed);
        return int_type(sizeof(int), is_signed);  // "int", "signed", "unsigned"
    }
};

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text), tokens_(tokenize(text)) {
        for (const Token &t : tokens_)
            if (t.kind == TokenKind::Word && is_numba_word(t.text)) numba_dialect_ = true;
    }

    Signature parse_signature() {
        Signature sig;
        sig.spelling = std::string(text_);
        std::string function_name;  // "double f(double)" names the function; not needed
        sig.result = parse_type(&function_name, /*depth=*/0, /*array_allowed=*/false);
        /* cffi spells function pointer types "double(*)(double)". */
        if (peek().kind == TokenKind::LParen && peek(1).kind == TokenKind::Star &&
            peek(2).kind == TokenKind::RParen)
            pos_ += 3;
        expect(TokenKind::LParen, "'(' to open the parameter list");
        if (peek().kind != TokenKind::RParen) {
            for (;;) {
                std::size_t start = peek().position;
                std::string name;
                CType param = parse_type(&name, 0);
                if (param.kind == TypeKind::Void) {
                    /* "double (void)" is C's way to say "no parameters". */
                    if (sig.params.empty() && name.empty() && peek().kind == TokenKind::RParen) break;
                    fail(start, "parameter " + std::to_string(sig.params.size() + 1) +
                                    " has type 'void', which only a return type or a pointee can have");
                }
                sig.params.push_back(std::move(param));
                sig.param_names.push_back(std::move(name));
                if (peek().kind == TokenKind::Comma) {
                    ++pos_;
                    continue;
                }
                break;
            }
        }
        expect(TokenKind::RParen, "',' or ')' in the parameter list");
        if (peek().kind != TokenKind::End)
            fail(peek().position, "expected end of signature, found " + describe_token(peek()));
        return sig;
    }

    CType parse_single_type() {
        CType t = parse_type(nullptr, 0);
        if (peek().kind != TokenKind::End)
            fail(peek().position, "expected end of type, found " + describe_token(peek()));
        return t;
    }

private:
    const Token &peek(std::size_t ahead = 0) const {
        std::size_t i = pos_ + ahead;
        return i < tokens_.size() ? tokens_[i] : tokens_.back();
    }
    [[noreturn]] void fail(std::size_t position, const std::string &what) const {
        throw SignatureSyntaxError(syntax_message(text_, position, what), position);
    }
    void expect(TokenKind kind, const char *what) {
        if (peek().kind != kind)
            fail(peek().position, std::string("expected ") + what + ", found " + describe_token(peek()));
        ++pos_;
    }

    /* A type: qualifiers and base words, or CPointer(T), then '*'s, then an
       optional parameter name and '[]'. `name` receives the parameter name
       (nullptr where none is allowed). */
    CType parse_type(std::string *name, int depth, bool array_allowed = true) {
        if (depth > max_pointer_depth) fail(peek().position, "too many nested pointer levels");
        std::size_t start = peek().position;
        std::optional<CType> base;
        std::string spelled;
        CKeywords keywords;
        auto append = [&](std::string_view w) {
            if (!spelled.empty()) spelled += ' ';
            spelled += w;
        };
        while (peek().kind == TokenKind::Word) {
            std::string_view w = peek().text;
            if (w == "const" || w == "volatile" || w == "restrict") {
                ++pos_;
                continue;
            }
            if (keywords.add(w)) {
                if (base) fail(peek().position, "'" + std::string(w) + "' cannot follow the type name '" + spelled + "'");
                append(w);
                ++pos_;
                continue;
            }
            if (base || keywords.total()) {
                if (is_unsupported_type_name(w))  // "double complex" is not a double named 'complex'
                    fail(peek().position, "type '" + spelled + " " + std::string(w) +
                                              "' cannot appear in a native callback signature (scalars and pointers only)");
                break;  // a parameter name
            }
            if (w == "CPointer") {
                std::size_t at = peek().position;
                ++pos_;
                expect(TokenKind::LParen, "'(' after CPointer");
                CType inner = parse_type(nullptr, depth + 1);
                expect(TokenKind::RParen, "')' to close CPointer(");
                base = detail::make_pointer(std::move(inner));
                spelled = std::string(text_.substr(at, tokens_[pos_ - 1].position + 1 - at));
                continue;
            }
            if (is_unsupported_type_name(w))
                fail(peek().position, "type '" + std::string(w) + "' cannot appear in a native callback signature "
                                      "(scalars and pointers only)");
            if (auto dialect = dialect_type(w, numba_dialect_)) {
                base = std::move(*dialect);
            } else {
                auto found = named_types().find(w);
                if (found == named_types().end())
                    fail(peek().position, "unknown type name '" + std::string(w) + "'");
                base = found->second;
            }
            append(w);
            ++pos_;
        }
        if (!base) {
            if (!keywords.total()) fail(start, "expected a type, found " + describe_token(peek()));
            std::string why;
            base = keywords.resolve(why);
            if (!base) fail(start, why + " in '" + spelled + "'");
        }
        CType type = std::move(*base);
        int stars = 0;
        for (;;) {
            if (peek().kind == TokenKind::Star) {
                if (depth + ++stars > max_pointer_depth) fail(peek().position, "too many pointer levels");
                type = detail::make_pointer(std::move(type));
                ++pos_;
            } else if (peek().kind == TokenKind::Word &&
                       (peek().text == "const" || peek().text == "volatile" || peek().text == "restrict")) {
                ++pos_;
            } else {
                break;
            }
        }
        if (name && peek().kind == TokenKind::Word) {
            if (is_unsupported_type_name(peek().text))
                fail(peek().position, "type '" + std::string(peek().text) +
                                          "' cannot appear in a native callback signature (scalars and pointers only)");
            *name = std::string(peek().text);
            ++pos_;
        }
        /* "double x[]" and "double x[10]" are pointer parameters in C: the size is ignored. */
        if (name && peek().kind == TokenKind::LBracket) {
            if (!array_allowed) fail(peek().position, "a function cannot return an array");
            ++pos_;
            if (peek().kind == TokenKind::Number) ++pos_;
            expect(TokenKind::RBracket, "']' to close the array parameter");
            type = detail::make_pointer(std::move(type));
            ++stars;
        }
        type.spelling = spelled + (stars ? " " + std::string(stars, '*') : "");
        return type;
    }

    std::string_view text_;
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
    bool numba_dialect_ = false;
};

} // namespace

Signature parse_signature(std::string_view text) { return Parser(text).parse_signature(); }

CType parse_type(std::string_view text) { return Parser(text).parse_single_type(); }

} // namespace nativecall
