// Strided n-dimensional views of numeric arrays, their element types, and the double<->element conversions ndimage uses.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "nativecall/errors.h"

namespace nativecall::ndimage {

/* The element types ndimage reads and writes (numpy's real numeric types). */
enum class DType : std::uint8_t {
    Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64,
};

/* numpy-style name ("float64", "uint8") for messages. */
const char *dtype_name(DType dtype);
/* Parse a numpy array-interface type string ("<f8", "|u1", "|b1"); throws
   InvalidArgument naming the string when ndimage cannot handle the type. */
DType dtype_from_typestr(const std::string &typestr);
std::size_t dtype_size(DType dtype);

/* A strided view over memory someone else owns. Strides are in bytes, as numpy
   keeps them, so any slicing or transposition works without a copy. */
struct ArrayView {
    char *data = nullptr;
    std::vector<std::ptrdiff_t> shape;
    std::vector<std::ptrdiff_t> strides;   // bytes
    DType dtype = DType::Float64;

    int rank() const { return static_cast<int>(shape.size()); }
    std::ptrdiff_t size() const {
        std::ptrdiff_t n = 1;
        for (auto s : shape) n *= s;
        return n;
    }
};

/* A C-contiguous view over a caller's buffer of T (for C++ users and tests). */
template <class T> ArrayView view_of(T *data, std::vector<std::ptrdiff_t> shape);

/* Calls f(T{}) with T the C++ element type of `dtype`: one template body serves
   every dtype instead of a hand-written switch per routine. */
template <class F> decltype(auto) visit_dtype(DType dtype, F &&f) {
    switch (dtype) {
    case DType::Bool: return f(bool{});
    case DType::Int8: return f(std::int8_t{});
    case DType::UInt8: return f(std::uint8_t{});
    case DType::Int16: return f(std::int16_t{});
    case DType::UInt16: return f(std::uint16_t{});
    case DType::Int32: return f(std::int32_t{});
    case DType::UInt32: return f(std::uint32_t{});
    case DType::Int64: return f(std::int64_t{});
    case DType::UInt64: return f(std::uint64_t{});
    case DType::Float32: return f(float{});
    case DType::Float64: break;
    }
    return f(double{});
}

template <class T> constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, bool>) return DType::Bool;
    else if constexpr (std::is_same_v<T, std::int8_t>) return DType::Int8;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return DType::UInt8;
    else if constexpr (std::is_same_v<T, std::int16_t>) return DType::Int16;
    else if constexpr (std::is_same_v<T, std::uint16_t>) return DType::UInt16;
    else if constexpr (std::is_same_v<T, std::int32_t>) return DType::Int32;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return DType::UInt32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return DType::Int64;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return DType::UInt64;
    else if constexpr (std::is_same_v<T, float>) return DType::Float32;
    else {
        static_assert(std::is_same_v<T, double>, "ndimage handles numpy's real numeric types");
        return DType::Float64;
    }
}

template <class T> ArrayView view_of(T *data, std::vector<std::ptrdiff_t> shape) {
    ArrayView v;
    v.data = reinterpret_cast<char *>(data);
    v.shape = std::move(shape);
    v.strides.assign(v.shape.size(), 0);
    std::ptrdiff_t stride = sizeof(T);
    for (int d = v.rank() - 1; d >= 0; --d) {
        v.strides[d] = stride;
        stride *= v.shape[d];
    }
    v.dtype = dtype_of<T>();
    return v;
}

/* How a double result becomes an element of the output. scipy's filters store
   with a plain C cast; its interpolation rounds half away from zero and clips
   to the type's range. */
enum class StoreRule { Truncate, RoundClip };

namespace detail {
/* The x86-64 conversion instruction (cvttsd2si) of `Wide` bits: truncation in
   range, the "integer indefinite" value (the type's minimum) for NaN and
   anything out of range. */
template <class Wide> Wide hardware_truncate(double v) {
    constexpr double lo = static_cast<double>(std::numeric_limits<Wide>::min());
    constexpr double hi_exclusive = -lo;
    if (!(v > lo - 1.0 && v < hi_exclusive)) return std::numeric_limits<Wide>::min();
    return static_cast<Wide>(v);
}

/* What scipy's filters store for `(T)v` as compiled for x86-64 (gcc/clang):
   types narrower than 32 bits and int32 go through a 32-bit conversion and
   keep its low bits (a uint8 output of 300.5 is 44), uint32 and int64 through
   a 64-bit one, uint64 through the 64-bit one on v and on v - 2^63. This is
   the platform's answer where C leaves the cast undefined, kept so that
   filters equal scipy for NaN, infinities and out-of-range values too (all
   but uint64 outputs of values below -2^63, where compilers differ). */
template <class T> T c_cast(double v) {
    if constexpr (sizeof(T) < 4 || std::is_same_v<T, std::int32_t>) {
        return static_cast<T>(hardware_truncate<std::int32_t>(v));
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        constexpr double two63 = 9223372036854775808.0;
        if (!(v >= two63)) return static_cast<T>(hardware_truncate<std::int64_t>(v));
        return static_cast<T>(hardware_truncate<std::int64_t>(v - two63)) ^ (T(1) << 63);
    } else {
        return static_cast<T>(hardware_truncate<std::int64_t>(v));
    }
}

/* scipy's interpolation store: round half away from zero (unsigned: negatives
   to 0), then clip by comparisons with the type's bounds as doubles, which NaN
   fails: a signed type takes its bound itself, an unsigned one the bound as a
   double through the cast (so 2^64 and beyond give uint64 0, as in scipy). */
template <class T> T round_clip(double v) {
    constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
    if constexpr (std::is_unsigned_v<T>) {
        v = v > 0 ? v + 0.5 : 0.0;
        return c_cast<T>(v > hi ? hi : v);
    } else {
        constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
        v = v > 0 ? v + 0.5 : v - 0.5;
        if (v > hi) return std::numeric_limits<T>::max();
        if (v < lo) return std::numeric_limits<T>::min();
        return c_cast<T>(v);
    }
}
} // namespace detail

template <class T> inline T store_value(double v, StoreRule rule) {
    if constexpr (std::is_same_v<T, bool>) {
        // numpy's bool is a byte that scipy stores with a plain cast, neither
        // rounded nor clipped, under both rules: 0.5 and 256 are False, -300 True.
        return detail::c_cast<std::uint8_t>(v) != 0;
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(v);
    } else {
        return rule == StoreRule::RoundClip ? detail::round_clip<T>(v) : detail::c_cast<T>(v);
    }
}

template <class T> inline double load_value(const char *p) {
    return static_cast<double>(*reinterpret_cast<const T *>(p));
}

/* Throws InvalidArgument unless `view` has `rank` axes ("input must have 2 axes, got 3"). */
void check_rank(const ArrayView &view, int rank, const char *what);

} // namespace nativecall::ndimage
