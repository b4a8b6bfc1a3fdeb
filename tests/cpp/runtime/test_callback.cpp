// Callback: typed access only after an ABI match, and the generic libffi call for every scalar kind.
#include <gtest/gtest.h>

#include <cstdint>

#include "nativecall/callback.h"

using namespace nativecall;

namespace {
double scaled(double x, void *data) { return x * *static_cast<double *>(data); }
std::int8_t narrow_sum(std::int8_t a, std::uint16_t b, float c, std::int64_t d) {
    return static_cast<std::int8_t>(a + b + static_cast<int>(c) + d);
}
bool negate(bool b) { return !b; }
void store(double *out, int i, double v) { out[i] = v; }
} // namespace

TEST(Callback, TypedPointerOnlyAfterMatch) {
    double factor = 3.0;
    Callback cb(reinterpret_cast<void *>(&scaled), &factor, parse_signature("float64(float64, voidptr)"));
    EXPECT_TRUE((cb.matches<double(double, void *)>()));
    EXPECT_FALSE((cb.matches<double(double)>()));
    auto fn = cb.get<double(double, void *)>();
    EXPECT_DOUBLE_EQ(fn(2.0, cb.user_data()), 6.0);
    EXPECT_THROW(cb.get<double(double)>(), SignatureMismatch);
    EXPECT_EQ(cb.select({signature_of<double(double)>(), signature_of<double(double, void *)>()}), 1u);
}

TEST(Callback, InvokeThroughLibffi) {
    double factor = 0.5;
    Callback a(reinterpret_cast<void *>(&scaled), &factor, parse_signature("double (double, void *)"));
    CallValue x, data;
    x.d = 8.0;
    data.p = &factor;
    EXPECT_DOUBLE_EQ(a.invoke({x, data}).d, 4.0);

    Callback b(reinterpret_cast<void *>(&narrow_sum), nullptr,
               parse_signature("int8 (int8, uint16, float32, int64)"));
    CallValue p, q, r, s;
    p.i = -100; q.i = 20; r.d = 3.75; s.i = -50;
    EXPECT_EQ(b.invoke({p, q, r, s}).i, -127);  // ints sign-extend back to 64 bits

    Callback c(reinterpret_cast<void *>(&negate), nullptr, parse_signature("bool (bool)"));
    CallValue t;
    t.i = 1;
    EXPECT_EQ(c.invoke({t}).i, 0);

    double buf[3] = {0, 0, 0};
    Callback d(reinterpret_cast<void *>(&store), nullptr, parse_signature("void (double *, int, double)"));
    CallValue ptr, idx, val;
    ptr.p = buf; idx.i = 2; val.d = 7.5;
    d.invoke({ptr, idx, val});
    EXPECT_EQ(buf[2], 7.5);

    EXPECT_THROW(a.invoke({x}), InvalidArgument);
    EXPECT_THROW(Callback(nullptr, nullptr, parse_signature("void ()")).invoke({}), InvalidArgument);
}

TEST(Callback, DisplayName) {
    Callback named(nullptr, nullptr, parse_signature("void ()"), false, "nbmin");
    EXPECT_EQ(named.display_name(), "callback 'nbmin'");
    Callback anon(nullptr, nullptr, parse_signature("void ()"));
    EXPECT_EQ(anon.display_name(), "callback with signature 'void ()'");
}
