// The ABI model of C types: equality by layout, canonical spellings, and mismatch messages.
#include <algorithm>
#include <climits>

#include "nativecall/signature.h"

namespace nativecall {

namespace detail {

CType make_int(std::uint8_t size, bool is_signed, const char *spelling) {
    CType t;
    t.kind = TypeKind::Int;
    t.size = size;
    t.is_signed = is_signed;
    t.spelling = spelling ? spelling : t.c_name();
    return t;
}
CType make_float(std::uint8_t size, const char *spelling) {
    CType t;
    t.kind = TypeKind::Float;
    t.size = size;
    t.spelling = spelling ? spelling : t.c_name();
    return t;
}
CType make_pointer(CType pointee) {
    CType t;
    t.kind = TypeKind::Pointer;
    t.size = sizeof(void *);
    t.pointee = std::make_shared<const CType>(std::move(pointee));
    t.spelling = t.c_name();
    return t;
}
CType make_void() {
    CType t;
    t.spelling = "void";
    return t;
}
CType make_bool() {
    CType t;
    t.kind = TypeKind::Bool;
    t.size = sizeof(bool);
    t.spelling = "bool";
    return t;
}

} // namespace detail

bool CType::same_abi(const CType &other) const {
    if (kind != other.kind || size != other.size) return false;
    switch (kind) {
    case TypeKind::Int: return is_signed == other.is_signed;
    case TypeKind::Pointer: return pointee->same_abi(*other.pointee);
    default: return true;
    }
}

std::string CType::describe() const {
    switch (kind) {
    case TypeKind::Void: return "void";
    case TypeKind::Bool: return "bool";
    case TypeKind::Int:
        return std::to_string(size * CHAR_BIT) + "-bit " + (is_signed ? "signed" : "unsigned") + " integer";
    case TypeKind::Float: return std::to_string(size * CHAR_BIT) + "-bit float";
    case TypeKind::Pointer: return "pointer to " + pointee->describe();
    }
    return "?";
}

std::string CType::c_name() const {
    switch (kind) {
    case TypeKind::Void: return "void";
    case TypeKind::Bool: return "bool";
    case TypeKind::Int:
        /* The names scipy's accepted-signature lists use, so c_spelling() of an
           ABI-equal signature is the exact string scipy compares against. */
        switch (size) {
        case 1: return is_signed ? "signed char" : "unsigned char";
        case 2: return is_signed ? "short" : "unsigned short";
        case 4: return is_signed ? "int" : "unsigned int";
        case 8: return is_signed ? "intptr_t" : "size_t";
        }
        break;
    case TypeKind::Float:
        if (size == 4) return "float";
        if (size == 8) return "double";
        return "long double";
    case TypeKind::Pointer: {
        int depth = 0;
        const CType *base = this;
        while (base->kind == TypeKind::Pointer) {
            base = base->pointee.get();
            ++depth;
        }
        return base->c_name() + " " + std::string(depth, '*');
    }
    }
    return "?";
}

std::string CType::numba_name() const {
    switch (kind) {
    case TypeKind::Void: return "void";
    case TypeKind::Bool: return "boolean";
    case TypeKind::Int: return (is_signed ? "int" : "uint") + std::to_string(size * CHAR_BIT);
    case TypeKind::Float:
        return size <= 8 ? "float" + std::to_string(size * CHAR_BIT) : "longdouble";
    case TypeKind::Pointer:
        if (pointee->kind == TypeKind::Void) return "voidptr";
        return "CPointer(" + pointee->numba_name() + ")";
    }
    return "?";
}

bool Signature::same_abi(const Signature &other) const {
    if (params.size() != other.params.size() || !result.same_abi(other.result)) return false;
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].same_abi(other.params[i])) return false;
    return true;
}

namespace {
std::string got_expected(const CType &got, const CType &expected) {
    return "got '" + got.spelling + "' (" + got.describe() + "), expected '" + expected.spelling + "' (" +
           expected.describe() + ")";
}
std::size_t count_differences(const Signature &a, const Signature &b) {
    if (a.params.size() != b.params.size()) return SIZE_MAX;
    std::size_t n = a.result.same_abi(b.result) ? 0 : 1;
    for (std::size_t i = 0; i < a.params.size(); ++i) n += a.params[i].same_abi(b.params[i]) ? 0 : 1;
    return n;
}
} // namespace

std::string Signature::first_difference(const Signature &expected) const {
    if (params.size() != expected.params.size())
        return "expected " + std::to_string(expected.params.size()) + " argument" +
               (expected.params.size() == 1 ? "" : "s") + ", got " + std::to_string(params.size());
    if (!result.same_abi(expected.result)) return "return type: " + got_expected(result, expected.result);
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].same_abi(expected.params[i]))
            return "argument " + std::to_string(i + 1) + ": " + got_expected(params[i], expected.params[i]);
    return {};
}

std::string Signature::c_spelling() const {
    std::string s = result.c_name() + " (";
    for (std::size_t i = 0; i < params.size(); ++i) s += (i ? ", " : "") + params[i].c_name();
    return s + ")";
}

std::string Signature::numba_spelling() const {
    std::string s = result.numba_name() + "(";
    for (std::size_t i = 0; i < params.size(); ++i) s += (i ? ", " : "") + params[i].numba_name();
    return s + ")";
}

std::size_t select_signature(const Signature &given, const std::vector<Signature> &accepted,
                             std::string_view what) {
    for (std::size_t i = 0; i < accepted.size(); ++i)
        if (given.same_abi(accepted[i])) return i;
    if (accepted.empty()) throw SignatureMismatch(std::string(what) + " cannot take a native callback");
    /* Explain against the closest candidate: same arity and fewest differing slots. */
    std::size_t closest = 0, best = SIZE_MAX;
    for (std::size_t i = 0; i < accepted.size(); ++i) {
        std::size_t d = count_differences(given, accepted[i]);
        if (d < best) best = d, closest = i;
    }
    std::string message = std::string(what) + " has signature '" + given.spelling +
                          "', which matches none of the accepted signatures:";
    for (const auto &s : accepted) message += "\n  '" + s.spelling + "'";
    message += "\nagainst '" + accepted[closest].spelling + "': " + given.first_difference(accepted[closest]);
    throw SignatureMismatch(message);
}

} // namespace nativecall
