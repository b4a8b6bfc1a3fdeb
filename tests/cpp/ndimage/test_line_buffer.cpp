// The filters' line cache: every requested line arrives with the right content, and each is read only when not held.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "line_buffer.h"

using nativecall::ndimage::detail::LineCache;

namespace {

/* Fetches `sources` and checks each buffer holds its source's line (every
   sample equal to the source); returns the sources that had to be read. */
std::vector<std::ptrdiff_t> fetch_and_check(LineCache &cache, const std::vector<std::ptrdiff_t> &sources,
                                            std::ptrdiff_t span) {
    std::vector<std::ptrdiff_t> read;
    double *const *lines = cache.fetch(sources, [&](std::ptrdiff_t source, double *buffer) {
        read.push_back(source);
        std::fill(buffer, buffer + span, static_cast<double>(source));
    });
    for (std::size_t g = 0; g < sources.size(); ++g)
        for (std::ptrdiff_t k = 0; k < span; ++k)
            EXPECT_EQ(lines[g][k], static_cast<double>(sources[g])) << "line " << g << " sample " << k;
    return read;
}

} // namespace

TEST(LineCache, SlidingFootprintReadsEachLineOnce) {
    const std::ptrdiff_t span = 5, rows = 8, row_bytes = 40;
    LineCache cache;
    cache.reserve(3, span);
    std::vector<std::ptrdiff_t> read;
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
        std::vector<std::ptrdiff_t> sources;   // rows r-1, r, r+1 at the edges' nearest rows
        for (std::ptrdiff_t k = -1; k <= 1; ++k) sources.push_back(std::clamp<std::ptrdiff_t>(r + k, 0, rows - 1) * row_bytes);
        auto now = fetch_and_check(cache, sources, span);
        read.insert(read.end(), now.begin(), now.end());
    }
    std::vector<std::ptrdiff_t> each_once;
    for (std::ptrdiff_t r = 0; r < rows; ++r) each_once.push_back(r * row_bytes);
    EXPECT_EQ(read, each_once);
}

TEST(LineCache, RepeatsShareABufferAndRefillsSpareTheLinesStillRead) {
    const std::ptrdiff_t span = 3;
    LineCache cache;
    cache.reserve(3, span);
    EXPECT_EQ(fetch_and_check(cache, {LineCache::kCvalLine, LineCache::kCvalLine, 0}, span),
              (std::vector<std::ptrdiff_t>{LineCache::kCvalLine, 0}));
    EXPECT_TRUE(fetch_and_check(cache, {0, 0, LineCache::kCvalLine}, span).empty());
    EXPECT_EQ(fetch_and_check(cache, {-16, 8, 16}, span), (std::vector<std::ptrdiff_t>{-16, 8, 16}));
    // 24 and 32 are new: they may only replace lines this fetch does not read (only 8 here).
    EXPECT_EQ(fetch_and_check(cache, {16, 24, -16}, span), (std::vector<std::ptrdiff_t>{24}));
    EXPECT_EQ(fetch_and_check(cache, {32, 24, 24}, span), (std::vector<std::ptrdiff_t>{32}));
    // Another size empties the cache.
    cache.reserve(3, span + 1);
    EXPECT_EQ(fetch_and_check(cache, {32, 32, 32}, span + 1), (std::vector<std::ptrdiff_t>{32}));
}
