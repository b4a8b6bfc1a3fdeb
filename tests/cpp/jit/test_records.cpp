// Record types: layouts checked against the C++ compiler's offsetof/sizeof, field reads and writes in compiled code, errors.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

/* The C layouts the tests describe; the compiler building this file is the oracle. */
struct Inner {
    char tag;
    double value;
};
struct Outer {
    std::int8_t flag;
    Inner inner;
    std::int16_t counts[2][3];
    float *data;
    bool ok;
};

TypeRef inner_type() {
    return types::record("struct Inner",
                         {{"tag", offsetof(Inner, tag), types::integer(8, true), {}},
                          {"value", offsetof(Inner, value), types::float64(), {}}},
                         sizeof(Inner), alignof(Inner));
}

TypeRef outer_type() {
    return types::record("struct Outer",
                         {{"flag", offsetof(Outer, flag), types::integer(8, true), {}},
                          {"inner", offsetof(Outer, inner), inner_type(), {}},
                          {"counts", offsetof(Outer, counts), types::integer(16, true), {2, 3}},
                          {"data", offsetof(Outer, data), types::pointer(types::floating(32)), {}},
                          {"ok", offsetof(Outer, ok), types::boolean(), {}}},
                         sizeof(Outer), alignof(Outer));
}

std::shared_ptr<CompiledFunction> build(const std::string &source, const std::string &sig, TypeRef record) {
    CompileRequest request;
    request.source = source;
    request.filename = "records.py";
    request.signature = parse_signature(sig);
    request.parameter_types.assign(request.signature.params.size(), nullptr);
    request.parameter_types[0] = types::pointer(record);
    request.globals["carray"] = GlobalValue::of_function("carray");
    return compile(request);
}

TEST(Records, InternedWithNumbasSpellingAndCLayout) {
    EXPECT_EQ(inner_type(), inner_type());
    EXPECT_EQ(inner_type()->str(), "Record(tag[type=int8;offset=0],value[type=float64;offset=8];16;8)");
    TypeRef outer = outer_type();
    EXPECT_EQ(types::size_of(outer), sizeof(Outer));
    EXPECT_EQ(types::align_of(outer), alignof(Outer));
    ASSERT_NE(outer->field("counts"), nullptr);
    EXPECT_EQ(outer->field("counts")->offset, offsetof(Outer, counts));
    EXPECT_EQ(outer->field("missing"), nullptr);
    EXPECT_NE(outer->str().find("counts[type=nestedarray(int16, (2,3));offset=" +
                                std::to_string(offsetof(Outer, counts)) + "]"),
              std::string::npos);
}

TEST(Records, LayoutsNoCompilerProducesAreRefused) {
    auto f64 = types::float64();
    EXPECT_THROW(types::record("packed", {{"c", 0, types::integer(8, true), {}}, {"d", 1, f64, {}}}, 9, 1),
                 InvalidArgument);   // misaligned double
    EXPECT_THROW(types::record("union", {{"a", 0, f64, {}}, {"b", 0, f64, {}}}, 8, 8), InvalidArgument);
    EXPECT_THROW(types::record("short", {{"a", 0, f64, {4}}}, 16, 8), InvalidArgument);   // past the end
    EXPECT_THROW(types::record("dup", {{"a", 0, f64, {}}, {"a", 8, f64, {}}}, 16, 8), InvalidArgument);
    EXPECT_THROW(types::record("align", {{"a", 0, f64, {}}}, 8, 3), InvalidArgument);
    EXPECT_THROW(types::record("void", {{"a", 0, types::void_(), {}}}, 8, 8), InvalidArgument);
}

TEST(Records, FieldsReadAndWrittenThroughPointersAndArrays) {
    auto f = build("def f(p, n):\n"
                   "    total = 0.0\n"
                   "    for r in carray(p, n):\n"
                   "        total += r.inner.value * r.flag + r.counts[1, 2] + r.data[1] + len(r.counts)\n"
                   "        r.inner.value = r.inner.value * 2\n"
                   "        r.counts[0, 1] += 7\n"
                   "        r.data[0] = r.inner.tag\n"
                   "        r.ok = total > 50\n"
                   "        r.flag = 300\n"   // stored as int8, wrapped as C does
                   "    return total\n",
                   "double (void *, int64)", outer_type());
    float data[2][2] = {{0, 1.5f}, {0, -2.0f}};
    Outer rows[2] = {};
    for (int i = 0; i < 2; ++i) {
        rows[i].flag = static_cast<std::int8_t>(i + 2);
        rows[i].inner = Inner{static_cast<char>('a' + i), 10.0 * (i + 1)};
        rows[i].counts[1][2] = static_cast<std::int16_t>(5 * i);
        rows[i].data = data[i];
    }
    double expected = (10.0 * 2 + 0 + 1.5 + 2) + (20.0 * 3 + 5 - 2.0 + 2);
    EXPECT_DOUBLE_EQ(reinterpret_cast<double (*)(Outer *, std::int64_t)>(f->address())(rows, 2), expected);
    EXPECT_DOUBLE_EQ(rows[1].inner.value, 40.0);
    EXPECT_EQ(rows[0].counts[0][1], 7);
    EXPECT_EQ(data[1][0], static_cast<float>('b'));
    EXPECT_FALSE(rows[0].ok);
    EXPECT_TRUE(rows[1].ok);
    EXPECT_EQ(rows[0].flag, static_cast<std::int8_t>(300 & 0xff));
}

TEST(Records, FieldsNamedLikeArrayAttributesAreTheRecordsOwn) {
    /* ".shape" and ".size" have array entries; on a record the generic getattr serves them. */
    struct Box {
        std::int32_t shape;
        double size;
    };
    TypeRef box = types::record("struct Box",
                                {{"shape", offsetof(Box, shape), types::integer(32, true), {}},
                                 {"size", offsetof(Box, size), types::float64(), {}}},
                                sizeof(Box), alignof(Box));
    auto f = build("def f(p, n):\n    p[0].size += 1\n    a = carray(p, n)\n    return p[0].shape * p[0].size + a.size\n",
                   "double (void *, int64)", box);
    Box boxes[3] = {{3, 1.5}, {0, 0}, {0, 0}};
    EXPECT_DOUBLE_EQ(reinterpret_cast<double (*)(Box *, std::int64_t)>(f->address())(boxes, 3), 3 * 2.5 + 3);
    EXPECT_DOUBLE_EQ(boxes[0].size, 2.5);
}

TEST(Records, WholeRecordsCopyLikeCStructAssignment) {
    auto f = build("def f(p, n):\n    p[1] = p[0]\n    p[2].inner = p[0].inner\n    a = carray(p, n)\n"
                   "    a[3] = a[1]\n    return 0.0\n",
                   "double (void *, int64)", outer_type());
    float data[1] = {1.0f};
    Outer rows[4] = {};
    rows[0] = Outer{7, Inner{'q', 2.5}, {{1, 2, 3}, {4, 5, 6}}, data, true};
    reinterpret_cast<double (*)(Outer *, std::int64_t)>(f->address())(rows, 4);
    for (int i : {1, 3}) {
        EXPECT_EQ(rows[i].flag, 7);
        EXPECT_EQ(rows[i].inner.tag, 'q');
        EXPECT_EQ(rows[i].counts[1][2], 6);
        EXPECT_EQ(rows[i].data, data);
        EXPECT_TRUE(rows[i].ok);
    }
    EXPECT_EQ(rows[2].inner.value, 2.5);
    EXPECT_EQ(rows[2].flag, 0);   // only the nested record was copied

    /* A record of many units is copied by a loop rather than straight-line code. */
    struct Big {
        double values[40];
    };
    TypeRef big = types::record("struct Big", {{"values", 0, types::float64(), {40}}}, sizeof(Big), alignof(Big));
    auto g = build("def f(p, n):\n    p[1] = p[0]\n    return p[1].values.sum()\n", "double (void *, int64)", big);
    Big bigs[2] = {};
    double expected = 0;
    for (int k = 0; k < 40; ++k)
        expected += (bigs[0].values[k] = 0.5 * k);
    EXPECT_DOUBLE_EQ(reinterpret_cast<double (*)(Big *, std::int64_t)>(g->address())(bigs, 2), expected);
    EXPECT_EQ(bigs[1].values[39], 19.5);
}

TEST(Records, UnknownFieldNamesTheRecordAndItsFields) {
    try {
        build("def f(p, n):\n    return p[0].inner.valeu\n", "double (void *, int64)", outer_type());
        FAIL() << "expected a CompileError";
    } catch (const CompileError &e) {
        EXPECT_EQ(e.line(), 2);
        EXPECT_NE(std::string(e.what()).find("struct Inner has no field 'valeu' (its fields: tag, value)"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Records, WrongWritesAreCompileErrors) {
    EXPECT_THROW(build("def f(p, n):\n    p[0].counts = 1\n    return 0.0\n", "double (void *, int64)", outer_type()),
                 CompileError);
    EXPECT_THROW(build("def f(p, n):\n    p[0].inner = p[1]\n    return 0.0\n", "double (void *, int64)",
                       outer_type()),
                 CompileError);   // an Outer is not an Inner
    EXPECT_THROW(build("def f(p, n):\n    p[0].data = n\n    return 0.0\n", "double (void *, int64)", outer_type()),
                 CompileError);
}

TEST(Records, OnlyPointerParametersCanBeRefined) {
    CompileRequest request;
    request.source = "def f(x):\n    return 0.0\n";
    request.signature = parse_signature("double (double)");
    request.parameter_types = {types::pointer(inner_type())};
    EXPECT_THROW(compile(request), InvalidArgument);
}

} // namespace
} // namespace nativecall::jit
