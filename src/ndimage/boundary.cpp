// Boundary modes: parsing, index extension and line extension shared by every filter and the spline windows.
#include "nativecall/ndimage/boundary.h"

#include "nativecall/errors.h"

namespace nativecall::ndimage {

namespace {
struct ModeName {
    const char *name;
    BoundaryMode mode;
};
constexpr ModeName kModeNames[] = {
    {"reflect", BoundaryMode::Reflect},       {"constant", BoundaryMode::Constant},
    {"nearest", BoundaryMode::Nearest},       {"mirror", BoundaryMode::Mirror},
    {"wrap", BoundaryMode::Wrap},             {"grid-constant", BoundaryMode::GridConstant},
    {"grid-mirror", BoundaryMode::GridMirror}, {"grid-wrap", BoundaryMode::GridWrap},
};

/* Floor modulo: the result is in [0, period) for negative values too. */
std::ptrdiff_t positive_mod(std::ptrdiff_t value, std::ptrdiff_t period) {
    std::ptrdiff_t r = value % period;
    return r < 0 ? r + period : r;
}
} // namespace

BoundaryMode parse_boundary_mode(std::string_view name) {
    for (const auto &entry : kModeNames)
        if (name == entry.name) return entry.mode;
    std::string message = "boundary mode not supported: '" + std::string(name) + "'; expected one of ";
    bool first = true;
    for (const auto &entry : kModeNames) {
        message += (first ? "'" : ", '") + std::string(entry.name) + "'";
        first = false;
    }
    throw InvalidArgument(message);
}

const char *boundary_mode_name(BoundaryMode mode) {
    for (const auto &entry : kModeNames)
        if (entry.mode == mode) return entry.name;
    return "?";
}

BoundaryMode filter_mode(BoundaryMode mode) {
    switch (mode) {
    case BoundaryMode::GridConstant: return BoundaryMode::Constant;
    case BoundaryMode::GridMirror: return BoundaryMode::Reflect;
    case BoundaryMode::GridWrap: return BoundaryMode::Wrap;
    default: return mode;
    }
}

std::ptrdiff_t extend_index(std::ptrdiff_t index, std::ptrdiff_t length, BoundaryMode mode) {
    if (index >= 0 && index < length) return index;
    if (length <= 0) return kOutside;  // an empty line has nothing to extend
    switch (mode) {
    case BoundaryMode::Constant:
    case BoundaryMode::GridConstant:
        return kOutside;
    case BoundaryMode::Nearest:
        return index < 0 ? 0 : length - 1;
    case BoundaryMode::Wrap:
    case BoundaryMode::GridWrap:
        return positive_mod(index, length);
    case BoundaryMode::Reflect:
    case BoundaryMode::GridMirror: {
        // Symmetric about -1/2 and length-1/2: period 2*length.
        std::ptrdiff_t i = positive_mod(index, 2 * length);
        return i < length ? i : 2 * length - 1 - i;
    }
    case BoundaryMode::Mirror: {
        // Symmetric about 0 and length-1: period 2*length-2 (one sample repeats forever).
        if (length == 1) return 0;
        std::ptrdiff_t i = positive_mod(index, 2 * length - 2);
        return i < length ? i : 2 * length - 2 - i;
    }
    }
    return kOutside;
}

void extend_line(double *buffer, std::ptrdiff_t length, std::ptrdiff_t before, std::ptrdiff_t after,
                 BoundaryMode mode, double cval) {
    const double *line = buffer + before;
    for (std::ptrdiff_t k = 0; k < before; ++k) {
        std::ptrdiff_t source = extend_index(k - before, length, mode);
        buffer[k] = source == kOutside ? cval : line[source];
    }
    double *tail = buffer + before + length;
    for (std::ptrdiff_t k = 0; k < after; ++k) {
        std::ptrdiff_t source = extend_index(length + k, length, mode);
        tail[k] = source == kOutside ? cval : line[source];
    }
}

} // namespace nativecall::ndimage
