// C callback signatures: parsed from any common spelling, modelled by their ABI, matched by ABI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nativecall/errors.h"

namespace nativecall {

/* What a value is at the machine level; enough to decide ABI compatibility. */
enum class TypeKind : std::uint8_t {
    Void,     // only as a return type or a pointee
    Bool,     // C _Bool / C++ bool
    Int,      // any integer (char, short, int, long, long long, their typedefs)
    Float,    // float, double, long double
    Pointer,  // data pointer; `pointee` says to what
};

/* One C type as this platform lays it out. Two CTypes with equal ABI are
   interchangeable in a call whatever their spelling ("long" and "long long" on LP64). */
struct CType {
    TypeKind kind = TypeKind::Void;
    std::uint8_t size = 0;                  // bytes; 0 for void
    bool is_signed = false;                 // Int only
    std::shared_ptr<const CType> pointee;   // Pointer only
    std::string spelling;                   // as the user wrote it, for messages

    /* True when both pass and return through a call identically, recursively
       through pointees. const/volatile qualifiers and spelling are ignored. */
    bool same_abi(const CType &other) const;

    /* "64-bit signed integer", "pointer to double": an ABI description for messages. */
    std::string describe() const;
    /* The canonical C spelling ("intptr_t", "double *"), as scipy's lists use it. */
    std::string c_name() const;
    /* The numba-style name ("int64", "CPointer(float64)", "voidptr"). */
    std::string numba_name() const;
};

/* A function signature: return type, parameter types (and names, when given). */
struct Signature {
    CType result;
    std::vector<CType> params;
    std::vector<std::string> param_names;   // "" where the text named none
    std::string spelling;                   // the text it was parsed from

    /* Equal ABI for the result and every parameter. */
    bool same_abi(const Signature &other) const;
    /* The first difference against `expected`, phrased for a user
       ("argument 3: got 'long' (64-bit signed integer), expected 'int' (32-bit signed integer)");
       empty when the two match. */
    std::string first_difference(const Signature &expected) const;

    /* "int (intptr_t *, double *, int, int, void *)": the spelling scipy compares against. */
    std::string c_spelling() const;
    /* "int32(CPointer(int64), CPointer(float64), int32, int32, voidptr)". */
    std::string numba_spelling() const;
};

/* Parse C ("double (double x, void *data)", "long (longlong *, double *)"),
   ctypes-derived, cffi-derived ("double(*)(double)") and numba-style
   ("float64(float64, voidptr)", "intc(CPointer(float64), intp)") spellings.
   Throws SignatureSyntaxError naming the position for malformed text. */
Signature parse_signature(std::string_view text);

/* Parse a single type ("const double *", "CPointer(int64)", "npy_intp"). */
CType parse_type(std::string_view text);

/* Index in `accepted` of the first signature `given` matches by ABI.
   Throws SignatureMismatch listing the accepted spellings and the first
   difference against the closest candidate. `what` names the callback's role
   in the message ("the integrand of quad"). */
std::size_t select_signature(const Signature &given, const std::vector<Signature> &accepted,
                             std::string_view what = "callback");

namespace detail {
/* Builds the CType of a C++ type at compile time, so routines state the
   signatures they accept as plain C++ function types. */
template <class T, class = void> struct CTypeOf;
CType make_int(std::uint8_t size, bool is_signed, const char *spelling);
CType make_float(std::uint8_t size, const char *spelling);
CType make_pointer(CType pointee);
CType make_void();
CType make_bool();

template <> struct CTypeOf<void> { static CType get() { return make_void(); } };
template <> struct CTypeOf<bool> { static CType get() { return make_bool(); } };
template <> struct CTypeOf<float> { static CType get() { return make_float(4, "float"); } };
template <> struct CTypeOf<double> { static CType get() { return make_float(8, "double"); } };
template <> struct CTypeOf<long double> {
    static CType get() { return make_float(sizeof(long double), "long double"); }
};
template <class T>
struct CTypeOf<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
    static CType get() {
        return make_int(sizeof(T), std::is_signed_v<T>, nullptr);
    }
};
template <class T> struct CTypeOf<T *> {
    static CType get() { return make_pointer(CTypeOf<std::remove_cv_t<T>>::get()); }
};
} // namespace detail

/* The Signature of a C++ function type: signature_of<int(double *, intptr_t, double *, void *)>(). */
template <class Fn> struct SignatureOf;
template <class R, class... A> struct SignatureOf<R(A...)> {
    static Signature get() {
        Signature s;
        s.result = detail::CTypeOf<R>::get();
        s.params = {detail::CTypeOf<A>::get()...};
        s.param_names.assign(sizeof...(A), std::string());
        s.spelling = s.c_spelling();
        return s;
    }
};
template <class Fn> Signature signature_of() { return SignatureOf<Fn>::get(); }

} // namespace nativecall
