// Line buffers and array-view helpers shared by the filters, the spline prefilter and the interpolation core.
#include "line_buffer.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace nativecall::ndimage {

const char *dtype_name(DType dtype) {
    switch (dtype) {
    case DType::Bool: return "bool";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Int16: return "int16";
    case DType::UInt16: return "uint16";
    case DType::Int32: return "int32";
    case DType::UInt32: return "uint32";
    case DType::Int64: return "int64";
    case DType::UInt64: return "uint64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    }
    return "?";
}

std::size_t dtype_size(DType dtype) {
    return visit_dtype(dtype, [](auto tag) { return sizeof(tag); });
}

DType dtype_from_typestr(const std::string &typestr) {
    // numpy's array interface: byte order, kind, item size ("<f8", "|u1").
    if (typestr.size() >= 3 && typestr[0] != '>') {
        char kind = typestr[1];
        int size = std::atoi(typestr.c_str() + 2);
        switch (kind) {
        case 'b': if (size == 1) return DType::Bool; break;
        case 'i':
            if (size == 1) return DType::Int8;
            if (size == 2) return DType::Int16;
            if (size == 4) return DType::Int32;
            if (size == 8) return DType::Int64;
            break;
        case 'u':
            if (size == 1) return DType::UInt8;
            if (size == 2) return DType::UInt16;
            if (size == 4) return DType::UInt32;
            if (size == 8) return DType::UInt64;
            break;
        case 'f':
            if (size == 4) return DType::Float32;
            if (size == 8) return DType::Float64;
            break;
        default: break;
        }
    }
    throw InvalidArgument("array type not supported: '" + typestr +
                          "'; expected bool, (u)int8..64, float32 or float64 in native byte order");
}

void check_rank(const ArrayView &view, int rank, const char *what) {
    if (view.rank() != rank)
        throw InvalidArgument(std::string(what) + " must have " + std::to_string(rank) + " axes, got " +
                              std::to_string(view.rank()));
}

namespace detail {

void read_line(const char *first, std::ptrdiff_t stride, std::ptrdiff_t length, DType dtype,
               double *destination) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if (stride == static_cast<std::ptrdiff_t>(sizeof(T))) {
            const T *p = reinterpret_cast<const T *>(first);
            for (std::ptrdiff_t i = 0; i < length; ++i) destination[i] = static_cast<double>(p[i]);
        } else {
            for (std::ptrdiff_t i = 0; i < length; ++i) destination[i] = load_value<T>(first + i * stride);
        }
    });
}

void write_line(const double *source, std::ptrdiff_t length, char *first, std::ptrdiff_t stride,
                DType dtype, StoreRule rule) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        for (std::ptrdiff_t i = 0; i < length; ++i)
            *reinterpret_cast<T *>(first + i * stride) = store_value<T>(source[i], rule);
    });
}

namespace {
/* Whether line l starts `l * step` bytes after line 0 for every l: the lines
   of a block along a leading axis of a C-ordered array do. Their elements
   then form a plain unit-stride run per sample, which the compiler vectorises. */
bool side_by_side(const std::ptrdiff_t *offsets, std::ptrdiff_t count, std::ptrdiff_t step) {
    for (std::ptrdiff_t l = 1; l < count; ++l)
        if (offsets[l] != offsets[0] + l * step) return false;
    return true;
}
} // namespace

void read_lines(const char *base, const std::ptrdiff_t *offsets, std::ptrdiff_t count, std::ptrdiff_t stride,
                std::ptrdiff_t length, DType dtype, double *destination) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const bool run = count > 0 && side_by_side(offsets, count, sizeof(T)) &&
                         reinterpret_cast<std::uintptr_t>(base + offsets[0]) % alignof(T) == 0 &&
                         stride % static_cast<std::ptrdiff_t>(alignof(T)) == 0;
        for (std::ptrdiff_t i = 0; i < length; ++i) {
            const char *row = base + i * stride;
            double *out = destination + i * count;
            if (run) {
                const T *values = reinterpret_cast<const T *>(row + offsets[0]);
                for (std::ptrdiff_t l = 0; l < count; ++l) out[l] = static_cast<double>(values[l]);
            } else {
                for (std::ptrdiff_t l = 0; l < count; ++l) out[l] = load_value<T>(row + offsets[l]);
            }
        }
    });
}

void write_lines(const double *source, char *base, const std::ptrdiff_t *offsets, std::ptrdiff_t count,
                 std::ptrdiff_t stride, std::ptrdiff_t length, DType dtype, StoreRule rule) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const bool run = count > 0 && side_by_side(offsets, count, sizeof(T)) &&
                         reinterpret_cast<std::uintptr_t>(base + offsets[0]) % alignof(T) == 0 &&
                         stride % static_cast<std::ptrdiff_t>(alignof(T)) == 0;
        for (std::ptrdiff_t i = 0; i < length; ++i) {
            char *row = base + i * stride;
            const double *in = source + i * count;
            if (run) {
                T *values = reinterpret_cast<T *>(row + offsets[0]);
                for (std::ptrdiff_t l = 0; l < count; ++l) values[l] = store_value<T>(in[l], rule);
            } else {
                for (std::ptrdiff_t l = 0; l < count; ++l)
                    *reinterpret_cast<T *>(row + offsets[l]) = store_value<T>(in[l], rule);
            }
        }
    });
}

void LineCache::reserve(std::size_t lines, std::ptrdiff_t span) {
    if (lines == held_.size() && span == span_) return;   // a later chunk of the same call keeps its lines
    span_ = span;
    storage_.assign(lines * static_cast<std::size_t>(span), 0.0);
    held_.assign(lines, kEmpty);
    wanted_.assign(lines, 0);
    found_.assign(lines, nullptr);
}

LineWalker::LineWalker(const std::vector<std::ptrdiff_t> &shape, int axis) : shape_(shape), axis_(axis) {
    length_ = shape.empty() ? 1 : shape[axis];
    for (std::size_t d = 0; d < shape.size(); ++d)
        if (static_cast<int>(d) != axis) count_ *= shape[d];
}

std::ptrdiff_t LineWalker::offset(std::ptrdiff_t line, const std::vector<std::ptrdiff_t> &strides) const {
    std::ptrdiff_t result = 0;
    for (int d = static_cast<int>(shape_.size()) - 1; d >= 0; --d) {
        if (d == axis_) continue;
        result += (line % shape_[d]) * strides[d];
        line /= shape_[d];
    }
    return result;
}

std::size_t grain_for(std::ptrdiff_t items, int workers) {
    return static_cast<std::size_t>(std::max<std::ptrdiff_t>(1, items / (16 * std::max(workers, 1))));
}

std::string shape_string(const std::vector<std::ptrdiff_t> &shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1) s += ",";
    return s + ")";
}

void check_same_shape(const ArrayView &a, const char *a_name, const ArrayView &b, const char *b_name) {
    if (a.shape != b.shape)
        throw InvalidArgument(std::string(a_name) + " shape " + shape_string(a.shape) + " does not match " +
                              b_name + " shape " + shape_string(b.shape));
}

} // namespace detail
} // namespace nativecall::ndimage
