// Boundary modes and the one routine that extends a line (or maps an index) beyond an array's edge.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nativecall::ndimage {

/* scipy.ndimage's boundary modes, named as scipy names them. */
enum class BoundaryMode {
    Reflect,        // d c b a | a b c d | d c b a   (half-sample symmetric)
    Constant,       // k k k k | a b c d | k k k k   (interpolation: cval beyond the edges, no blending)
    Nearest,        // a a a a | a b c d | d d d d
    Mirror,         //   d c b | a b c d | c b a     (whole-sample symmetric)
    Wrap,           // a b c d | a b c d | a b c d   (interpolation: scipy's legacy period of len-1)
    GridConstant,   // as Constant, but interpolation blends cval in beyond the edges
    GridMirror,     // same as Reflect
    GridWrap,       // periodic with period len, for filters and interpolation alike
};

/* "reflect" → BoundaryMode::Reflect; throws InvalidArgument listing the valid
   names otherwise. */
BoundaryMode parse_boundary_mode(std::string_view name);
const char *boundary_mode_name(BoundaryMode mode);

/* What a filter does with each mode: scipy's filters treat grid-constant as
   constant, grid-mirror as reflect and grid-wrap as wrap. */
BoundaryMode filter_mode(BoundaryMode mode);

/* Sentinel returned by extend_index for "outside; use cval". */
constexpr std::ptrdiff_t kOutside = -1;

/* The index inside [0, length) whose value sits at `index` when a line of
   `length` samples is extended by `mode`, or kOutside for Constant and
   GridConstant. Wrap and GridWrap both use period `length` (the integer
   sample grid). Works for any distance from the edge. */
std::ptrdiff_t extend_index(std::ptrdiff_t index, std::ptrdiff_t length, BoundaryMode mode);

/* Extends, in place, a line buffer whose samples are buffer[before, before+length):
   fills buffer[0, before) and buffer[before+length, before+length+after) as
   `mode` says, with `cval` for the constant modes. Every filter builds its
   boundaries through this routine. */
void extend_line(double *buffer, std::ptrdiff_t length, std::ptrdiff_t before, std::ptrdiff_t after,
                 BoundaryMode mode, double cval);

} // namespace nativecall::ndimage
