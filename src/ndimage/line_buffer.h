// Line buffers: copy one strided line of any dtype into doubles and back, and walk all lines along an axis.
#pragma once

#include <cstddef>
#include <vector>

#include "nativecall/ndimage/array_view.h"

namespace nativecall::ndimage::detail {

/* Reads `length` elements of `dtype` starting at `first`, `stride` bytes apart, as doubles. */
void read_line(const char *first, std::ptrdiff_t stride, std::ptrdiff_t length, DType dtype,
               double *destination);

/* Writes `length` doubles as elements of `dtype`, converting by `rule`. */
void write_line(const double *source, std::ptrdiff_t length, char *first, std::ptrdiff_t stride,
                DType dtype, StoreRule rule);

/* Reads `count` lines at once, interleaved: destination[i * count + l] is
   element i of the line that starts at base + offsets[l]. Lines along a
   leading axis of a C-ordered array lie side by side, so this reads memory in
   order where line-at-a-time reading would stride through it. */
void read_lines(const char *base, const std::ptrdiff_t *offsets, std::ptrdiff_t count, std::ptrdiff_t stride,
                std::ptrdiff_t length, DType dtype, double *destination);
/* The inverse of read_lines, converting by `rule`. */
void write_lines(const double *source, char *base, const std::ptrdiff_t *offsets, std::ptrdiff_t count,
                 std::ptrdiff_t stride, std::ptrdiff_t length, DType dtype, StoreRule rule);

/* The lines of an array along one axis: line i starts at byte offset offset(i)
   for each of the strided views that share the shape. */
class LineWalker {
public:
    LineWalker(const std::vector<std::ptrdiff_t> &shape, int axis);

    std::ptrdiff_t count() const { return count_; }
    std::ptrdiff_t length() const { return length_; }
    /* Byte offset of the first element of line `line` in a view with `strides`. */
    std::ptrdiff_t offset(std::ptrdiff_t line, const std::vector<std::ptrdiff_t> &strides) const;

private:
    std::vector<std::ptrdiff_t> shape_;
    int axis_;
    std::ptrdiff_t count_ = 1;
    std::ptrdiff_t length_ = 1;
};

/* Chunk size for parallel_for over `items` rows or lines: enough chunks per
   worker that uneven rows balance, few enough that handing them out is free. */
std::size_t grain_for(std::ptrdiff_t items, int workers);

/* Same shapes, or InvalidArgument naming both ("output shape (3, 4) does not match input shape (4, 3)"). */
void check_same_shape(const ArrayView &a, const char *a_name, const ArrayView &b, const char *b_name);
std::string shape_string(const std::vector<std::ptrdiff_t> &shape);

} // namespace nativecall::ndimage::detail
