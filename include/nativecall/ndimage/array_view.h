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
   with a plain C cast (truncation toward zero); its interpolation rounds half
   away from zero and clips to the type's range. */
enum class StoreRule { Truncate, RoundClip };

namespace detail {
/* Double to integer without undefined behaviour: NaN gives 0, out-of-range
   values saturate. In range it is exactly C's truncating cast. */
template <class T> T saturating_cast(double v) {
    if (std::isnan(v)) return T(0);
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    // 2^bits is exactly representable; anything at or above it saturates.
    constexpr double hi_exclusive = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
    if (v <= lo) return std::numeric_limits<T>::min();
    if (v >= hi_exclusive) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
}
} // namespace detail

template <class T> inline T store_value(double v, StoreRule rule) {
    if constexpr (std::is_same_v<T, bool>) {
        // numpy's bool is a byte: scipy's cast truncates first, so 0.5 is False.
        return std::trunc(v) != 0.0;
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(v);
    } else if constexpr (std::is_unsigned_v<T>) {
        if (rule == StoreRule::RoundClip) return detail::saturating_cast<T>(v > 0 ? v + 0.5 : 0.0);
        // A plain C cast of a negative double to an unsigned type wraps on
        // this platform (through a 64-bit signed conversion): keep that.
        if (v < 0 && sizeof(T) < 8) return static_cast<T>(detail::saturating_cast<std::int64_t>(v));
        return detail::saturating_cast<T>(v);
    } else {
        if (rule == StoreRule::RoundClip) return detail::saturating_cast<T>(v > 0 ? v + 0.5 : v - 0.5);
        if (sizeof(T) < 8) return static_cast<T>(detail::saturating_cast<std::int64_t>(v));
        return detail::saturating_cast<T>(v);
    }
}

template <class T> inline double load_value(const char *p) {
    return static_cast<double>(*reinterpret_cast<const T *>(p));
}

/* Throws InvalidArgument unless `view` has `rank` axes ("input must have 2 axes, got 3"). */
void check_rank(const ArrayView &view, int rank, const char *what);

} // namespace nativecall::ndimage
