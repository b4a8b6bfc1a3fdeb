// Line buffers: copy strided lines of any dtype into doubles and back, keep extended lines across rows, walk lines along an axis.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
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

/* Boundary-extended input lines kept from one output row to the next. A
   filter row reads the lines its footprint covers and the next row mostly the
   same ones, so each line is read and extended about once instead of once per
   footprint line. A line is named by its source: the byte offset of its first
   element in the input, or kCvalLine for a line wholly beyond a constant edge;
   its content depends on nothing else, so it stays valid for a whole call. */
class LineCache {
public:
    static constexpr std::ptrdiff_t kCvalLine = PTRDIFF_MIN;

    /* Room for `lines` lines of `span` doubles each (one slot per footprint line suffices). */
    void reserve(std::size_t lines, std::ptrdiff_t span);

    /* The buffer holding each of `sources` (one per footprint line, repeats
       allowed, no more than the lines reserved); fill(source, buffer) writes
       the extended line into a buffer for those not held. The pointers stay
       valid until the next fetch. */
    template <class Fill> double *const *fetch(const std::vector<std::ptrdiff_t> &sources, Fill &&fill);

private:
    static constexpr std::ptrdiff_t kEmpty = PTRDIFF_MAX;   // no byte offset is this large
    double *slot(std::size_t s) { return storage_.data() + s * static_cast<std::size_t>(span_); }

    std::ptrdiff_t span_ = 0;
    std::vector<double> storage_;
    std::vector<std::ptrdiff_t> held_;   // per slot: the source it holds, or kEmpty
    std::vector<char> wanted_;           // per slot: read by the current fetch
    std::vector<double *> found_;        // per requested source: its buffer
};

template <class Fill> double *const *LineCache::fetch(const std::vector<std::ptrdiff_t> &sources, Fill &&fill) {
    std::fill(wanted_.begin(), wanted_.end(), 0);
    const std::size_t slots = held_.size();
    // Lines already held first, so that no refill below overwrites one this row still reads.
    for (std::size_t g = 0; g < sources.size(); ++g) {
        found_[g] = nullptr;
        for (std::size_t s = 0; s < slots; ++s)
            if (held_[s] == sources[g]) {
                found_[g] = slot(s);
                wanted_[s] = 1;
                break;
            }
    }
    // Distinct sources never outnumber the slots, so a free slot is always left for a new one.
    std::size_t free = 0;
    for (std::size_t g = 0; g < sources.size(); ++g) {
        if (found_[g]) continue;
        for (std::size_t s = 0; s < slots && !found_[g]; ++s)   // a repeat of a line filled just now
            if (wanted_[s] && held_[s] == sources[g]) found_[g] = slot(s);
        if (found_[g]) continue;
        while (wanted_[free]) ++free;
        held_[free] = kEmpty;
        fill(sources[g], slot(free));
        held_[free] = sources[g];
        wanted_[free] = 1;
        found_[g] = slot(free);
    }
    return found_.data();
}

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
