// Boundary modes: index extension patterns for every mode, any distance from the edge, and line extension.
#include <gtest/gtest.h>

#include <vector>

#include "nativecall/errors.h"
#include "nativecall/ndimage/boundary.h"

using namespace nativecall::ndimage;

namespace {
/* Indices -6..9 of a line of 4 samples, as the documented patterns draw them. */
std::vector<std::ptrdiff_t> pattern(BoundaryMode mode, std::ptrdiff_t length = 4) {
    std::vector<std::ptrdiff_t> out;
    for (std::ptrdiff_t i = -6; i < 10; ++i) out.push_back(extend_index(i, length, mode));
    return out;
}
} // namespace

TEST(Boundary, ReflectIsHalfSampleSymmetric) {
    // d c b a | a b c d | d c b a
    EXPECT_EQ(pattern(BoundaryMode::Reflect),
              (std::vector<std::ptrdiff_t>{2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1}));
    EXPECT_EQ(pattern(BoundaryMode::GridMirror), pattern(BoundaryMode::Reflect));
}

TEST(Boundary, MirrorIsWholeSampleSymmetric) {
    // d c b | a b c d | c b a
    EXPECT_EQ(pattern(BoundaryMode::Mirror),
              (std::vector<std::ptrdiff_t>{0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3}));
}

TEST(Boundary, WrapNearestConstant) {
    EXPECT_EQ(pattern(BoundaryMode::Wrap),
              (std::vector<std::ptrdiff_t>{2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1}));
    EXPECT_EQ(pattern(BoundaryMode::GridWrap), pattern(BoundaryMode::Wrap));
    EXPECT_EQ(pattern(BoundaryMode::Nearest),
              (std::vector<std::ptrdiff_t>{0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3}));
    for (auto mode : {BoundaryMode::Constant, BoundaryMode::GridConstant}) {
        auto p = pattern(mode);
        for (int i = 0; i < 16; ++i) EXPECT_EQ(p[i], (i >= 6 && i < 10) ? i - 6 : kOutside);
    }
}

TEST(Boundary, SingleSampleLinesRepeatTheirSample) {
    for (auto mode : {BoundaryMode::Reflect, BoundaryMode::Mirror, BoundaryMode::Wrap, BoundaryMode::Nearest,
                      BoundaryMode::GridWrap, BoundaryMode::GridMirror})
        for (std::ptrdiff_t i = -5; i < 5; ++i) EXPECT_EQ(extend_index(i, 1, mode), 0) << boundary_mode_name(mode);
}

TEST(Boundary, ExtendLineFillsBothSides) {
    std::vector<double> buffer{0, 0, 0, 1, 2, 3, 0, 0};
    extend_line(buffer.data(), 3, 3, 2, BoundaryMode::Mirror, 0.0);
    EXPECT_EQ(buffer, (std::vector<double>{2, 3, 2, 1, 2, 3, 2, 1}));
    extend_line(buffer.data(), 3, 3, 2, BoundaryMode::Constant, -1.0);
    EXPECT_EQ(buffer, (std::vector<double>{-1, -1, -1, 1, 2, 3, -1, -1}));
}

TEST(Boundary, ParseNamesEveryModeAndRejectsOthers) {
    for (const char *name : {"reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror",
                             "grid-wrap"})
        EXPECT_STREQ(boundary_mode_name(parse_boundary_mode(name)), name);
    try {
        parse_boundary_mode("mirrored");
        FAIL();
    } catch (const nativecall::InvalidArgument &e) {
        EXPECT_NE(std::string(e.what()).find("'mirrored'"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("'grid-wrap'"), std::string::npos);
    }
}
