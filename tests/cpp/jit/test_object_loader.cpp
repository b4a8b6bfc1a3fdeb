// The direct object loader: cached code it loads computes what compiled code computes, it is the common path, and forged objects are refused or declined, never run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

/* The direct loader claims x86-64 ELF hosts only (elsewhere JITLink loads everything). */
#if defined(__x86_64__) && defined(__linux__)
#include <elf.h>

#include "compile_support.h"
#include "engine/object_loader.h"
#include "engine/runtime_symbols.h"
#include "nativecall/errors.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/runtime/error_record.h"

namespace nativecall::jit {
namespace {

using test_support::reload_request;

std::shared_ptr<CompiledFunction> build(const std::string &source, const std::string &sig, Globals globals = {},
                                        int opt_level = 1) {
    CompileOptions options;
    options.opt_level = opt_level;
    return test_support::compile_source(source, sig, std::move(globals), options);
}

template <class Fn> Fn *as(void *address) { return reinterpret_cast<Fn *>(address); }

/* The direct loader on its own, binding symbols as load_object does. Null when it declines. */
std::unique_ptr<JitCode> load_directly(const CompiledFunction &f, std::string &declined,
                                       ObjectLoaderOptions options = {}, const std::string *object = nullptr) {
    const ImportMap &imports = f.imports();
    return load_elf_object(object ? *object : f.object_code(),
                           [&imports](const std::string &name) { return resolve_object_symbol(imports, name); },
                           f.function_symbol(), f.thunk_symbol(), declined, options);
}

const Globals math_globals = {{"math", GlobalValue::of_module("math")}};

/* One compiled function, its cached copy through load_compiled and through the loader with
   every external call routed through its stub, called on the same arguments. */
struct Loaded {
    std::shared_ptr<CompiledFunction> compiled, cached;
    std::unique_ptr<JitCode> stubbed;
};

Loaded load_every_way(const std::shared_ptr<CompiledFunction> &f) {
    Loaded l{f, nullptr, nullptr};
    ObjectLoadStats before = object_load_stats();
    l.cached = load_compiled(reload_request(*f));
    ObjectLoadStats after = object_load_stats();
    EXPECT_EQ(after.direct, before.direct + 1) << "declined: " << after.last_declined;
    EXPECT_EQ(after.linked, before.linked);
    std::string declined;
    ObjectLoaderOptions through_stubs;
    through_stubs.direct_external_calls = false;
    l.stubbed = load_directly(*f, declined, through_stubs);
    EXPECT_TRUE(l.stubbed) << declined;
    EXPECT_TRUE(declined.empty());
    return l;
}

TEST(ObjectLoader, MathLoopsAndConstantPoolsComputeWhatCompiledCodeDoes) {
    for (int opt_level : {0, 1, 3}) {   // O0 objects carry eh-frames (and their relocations) the loader skips
        auto f = build("def f(x):\n"
                       "    total = 0.0\n"
                       "    for k in range(1, 9):\n"
                       "        total += math.sin(k * x) / k + math.exp(-0.5 * x * x / k) * math.log1p(k * abs(x))\n"
                       "    if x > 1.0:\n"
                       "        total = total * math.tanh(x) + math.lgamma(x) + math.atan2(x, 3.0)\n"
                       "    return total\n",
                       "double (double)", math_globals, opt_level);
        Loaded l = load_every_way(f);
        ASSERT_TRUE(l.cached && l.stubbed);
        for (double x : {-2.5, -0.75, 0.0, 0.3, 1.0, 1.5, 7.25}) {
            double expected = as<double(double)>(f->address())(x);
            EXPECT_EQ(as<double(double)>(l.cached->address())(x), expected) << x << " at O" << opt_level;
            EXPECT_EQ(as<double(double)>(l.stubbed->function)(x), expected) << x << " at O" << opt_level;
            double through_thunk = 0;
            void *args[1] = {&x};
            as<void(void **, void *)>(l.stubbed->thunk)(args, &through_thunk);
            EXPECT_EQ(through_thunk, expected);
        }
        /* An independent oracle for one point: the formula in C++. */
        double x = 0.3, total = 0;
        for (int k = 1; k < 9; ++k)
            total += std::sin(k * x) / k + std::exp(-0.5 * x * x / k) * std::log1p(k * std::abs(x));
        EXPECT_NEAR(as<double(double)>(l.cached->address())(x), total, 1e-13 * std::abs(total));
    }
}

TEST(ObjectLoader, IntegerPowersSwitchTablesAndFloat32) {
    auto powers = build("def f(n):\n"
                        "    s = 0\n"
                        "    for i in range(n):\n"
                        "        s += i ** 3 // 7 % 5 + 2 ** (i % 11)\n"
                        "    return s\n",
                        "int64(int64)");
    /* A chain of comparisons LLVM turns into a lookup table in .rodata. */
    auto table = build("def f(n):\n"
                       "    if n == 0: return 11\n"
                       "    elif n == 1: return 23\n"
                       "    elif n == 2: return 37\n"
                       "    elif n == 3: return 41\n"
                       "    elif n == 4: return 53\n"
                       "    elif n == 5: return 67\n"
                       "    elif n == 6: return 79\n"
                       "    elif n == 7: return 83\n"
                       "    return -1\n",
                       "int64(int64)");
    auto single = build("def f(x):\n    return math.floor(x * 3.5) + 1.25\n", "float32(float32)", math_globals);
    for (const auto &f : {powers, table}) {
        Loaded l = load_every_way(f);
        ASSERT_TRUE(l.cached && l.stubbed);
        for (std::int64_t n : {-1, 0, 1, 2, 5, 7, 8, 40}) {
            std::int64_t expected = as<std::int64_t(std::int64_t)>(f->address())(n);
            EXPECT_EQ(as<std::int64_t(std::int64_t)>(l.cached->address())(n), expected) << n;
            EXPECT_EQ(as<std::int64_t(std::int64_t)>(l.stubbed->function)(n), expected) << n;
        }
    }
    EXPECT_EQ(as<std::int64_t(std::int64_t)>(load_compiled(reload_request(*table))->address())(4), 53);
    Loaded l = load_every_way(single);
    ASSERT_TRUE(l.cached && l.stubbed);
    for (float x : {-1.5f, 0.0f, 0.7f, 3.0f}) {
        EXPECT_EQ(as<float(float)>(l.cached->address())(x), std::floor(x * 3.5f) + 1.25f);
        EXPECT_EQ(as<float(float)>(l.stubbed->function)(x), std::floor(x * 3.5f) + 1.25f);
    }
}

/* Branches of different work become a jump table in .rodata whose entries are relocated
   against .text: code and read-only data, in different page groups, refer to each other. */
TEST(ObjectLoader, JumpTablesReachTheirCode) {
    auto f = build("def f(n, x):\n"
                   "    if n == 0:\n        return math.sin(x)\n"
                   "    elif n == 1:\n        return x * 2.0 + 1.0\n"
                   "    elif n == 2:\n        return math.cos(x)\n"
                   "    elif n == 3:\n        return x - 7.0\n"
                   "    elif n == 4:\n        return math.exp(x)\n"
                   "    elif n == 5:\n        return x * x\n"
                   "    elif n == 6:\n        return math.log(x)\n"
                   "    elif n == 7:\n        return math.atan(x)\n"
                   "    return -1.0\n",
                   "double (int64, double)", math_globals);
    ASSERT_NE(f->object_code().find(".rela.rodata"), std::string::npos) << "no jump table to test";
    Loaded l = load_every_way(f);
    ASSERT_TRUE(l.cached && l.stubbed);
    const double x = 0.625;
    const double expected[] = {std::sin(x), x * 2.0 + 1.0, std::cos(x), x - 7.0, std::exp(x), x * x, std::log(x),
                               std::atan(x), -1.0};
    for (std::int64_t n = -1; n <= 8; ++n) {
        double want = n >= 0 ? expected[n] : -1.0;
        EXPECT_EQ(as<double(std::int64_t, double)>(f->address())(n, x), want) << n;
        EXPECT_EQ(as<double(std::int64_t, double)>(l.cached->address())(n, x), want) << n;
        EXPECT_EQ(as<double(std::int64_t, double)>(l.stubbed->function)(n, x), want) << n;
    }
}

TEST(ObjectLoader, CallsIntoAnotherCfuncGoThroughItsImport) {
    auto weight = build("def weight(t):\n    return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)\n",
                        "double (double)", math_globals);
    Globals g = math_globals;
    g["weight"] = GlobalValue::of_external("weight", reinterpret_cast<std::uintptr_t>(weight->address()),
                                           parse_signature("double (double)"));
    auto f = build("def f(x):\n    return weight(x) * 2.0 + weight(x / 2.0)\n", "double (double)", g);
    ASSERT_EQ(f->imports().size(), 1u);
    Loaded l = load_every_way(f);
    ASSERT_TRUE(l.cached && l.stubbed);
    for (double x : {-1.0, 0.0, 0.5, 2.0}) {
        double expected = as<double(double)>(f->address())(x);
        EXPECT_EQ(as<double(double)>(l.cached->address())(x), expected);
        EXPECT_EQ(as<double(double)>(l.stubbed->function)(x), expected);
    }
}

TEST(ObjectLoader, RuntimeErrorsRaisedInsideLoadedCodeAreRecorded) {
    auto f = build("def f(a, b):\n    return a // b + a % b\n", "int64(int64, int64)");
    Loaded l = load_every_way(f);
    ASSERT_TRUE(l.cached && l.stubbed);
    take_runtime_error();
    EXPECT_EQ(as<std::int64_t(std::int64_t, std::int64_t)>(l.cached->address())(7, -2),
              as<std::int64_t(std::int64_t, std::int64_t)>(f->address())(7, -2));
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::None);
    as<std::int64_t(std::int64_t, std::int64_t)>(l.stubbed->function)(7, 0);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::ZeroDivision);
    as<std::int64_t(std::int64_t, std::int64_t)>(l.cached->address())(7, 0);
    EXPECT_EQ(take_runtime_error(), RuntimeErrorCode::ZeroDivision);
}

TEST(ObjectLoader, ConcurrentLoadsAndFreesAreIndependent) {
    auto f = build("def f(x):\n    return math.cos(x) + x * 0.5\n", "double (double)", math_globals);
    double expected = as<double(double)>(f->address())(0.75);
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                auto loaded = load_compiled(reload_request(*f));
                if (as<double(double)>(loaded->address())(0.75) != expected)
                    ++wrong;
            }
        });
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(wrong.load(), 0);
}

/* ---- forged objects ----------------------------------------------------------------- */

/* Reads and rewrites a real object's ELF structures, to forge variants of it. */
class Forge {
public:
    explicit Forge(std::string bytes) : bytes(std::move(bytes)) {}
    std::string bytes;

    template <class T> T get(std::size_t offset) const {
        T value;
        std::memcpy(&value, bytes.data() + offset, sizeof(T));
        return value;
    }
    template <class T> void put(std::size_t offset, const T &value) { std::memcpy(&bytes[offset], &value, sizeof(T)); }
    Elf64_Ehdr header() const { return get<Elf64_Ehdr>(0); }
    std::size_t section_offset(std::size_t index) const { return header().e_shoff + index * sizeof(Elf64_Shdr); }
    Elf64_Shdr section(std::size_t index) const { return get<Elf64_Shdr>(section_offset(index)); }
    void put_section(std::size_t index, const Elf64_Shdr &s) { put(section_offset(index), s); }
    std::string name(std::size_t index) const {
        Elf64_Shdr names = section(header().e_shstrndx);
        return bytes.c_str() + names.sh_offset + section(index).sh_name;
    }
    /* The first section of `type` (and, when given, named `named`). */
    std::size_t find(std::uint32_t type, const std::string &named = "") const {
        for (std::size_t i = 1; i < header().e_shnum; ++i)
            if (section(i).sh_type == type && (named.empty() || name(i) == named))
                return i;
        ADD_FAILURE() << "no section of type " << type << " " << named;
        return 0;
    }
    std::size_t text_relocations() const { return find(SHT_RELA, ".rela.text"); }
    /* The file offset of relocation `i` of the .text relocation section. */
    std::size_t relocation(std::size_t i) const { return section(text_relocations()).sh_offset + i * sizeof(Elf64_Rela); }
};

/* The object of a function that calls libm and reads a constant pool. */
const CompiledFunction &sample() {
    static auto f = build("def f(x):\n    return math.exp(-x * x) * 1.75 + math.sin(x)\n", "double (double)",
                          math_globals);
    return *f;
}

enum class Outcome { Loaded, Declined, Refused };

/* What the direct loader makes of `object` (in place of sample()'s); `message` gets the
   reason or the error. */
Outcome try_load(const std::string &object, std::string *message = nullptr) {
    std::string declined;
    try {
        auto code = load_directly(sample(), declined, {}, &object);
        if (message)
            *message = declined;
        return code ? Outcome::Loaded : Outcome::Declined;
    } catch (const Error &e) {
        if (message)
            *message = e.what();
        return Outcome::Refused;
    }
}

TEST(ObjectLoaderForgery, TheSampleLoads) {
    std::string message;
    EXPECT_EQ(try_load(sample().object_code(), &message), Outcome::Loaded) << message;
}

TEST(ObjectLoaderForgery, EveryTruncationIsRefused) {
    const std::string &object = sample().object_code();
    for (std::size_t size = 0; size < object.size(); size += 3) {
        std::string message;
        Outcome outcome = try_load(object.substr(0, size), &message);
        EXPECT_NE(outcome, Outcome::Loaded) << size;
        if (size >= sizeof(Elf64_Ehdr))   // an ELF header, then tables cut short
            EXPECT_EQ(outcome, Outcome::Refused) << size << ": " << message;
    }
}

TEST(ObjectLoaderForgery, OffsetsSizesAndIndexesOutsideTheBufferAreRefused) {
    Forge original(sample().object_code());
    auto refused = [](const Forge &forged, const std::string &expected, const std::string &what) {
        std::string message;
        EXPECT_EQ(try_load(forged.bytes, &message), Outcome::Refused) << what << ": " << message;
        EXPECT_NE(message.find("does not parse"), std::string::npos) << what << ": " << message;
        EXPECT_NE(message.find(expected), std::string::npos) << what << ": " << message;
    };
    for (std::size_t i = 1; i < original.header().e_shnum; ++i) {
        Elf64_Shdr s = original.section(i);
        if (s.sh_type == SHT_NOBITS || s.sh_size == 0)
            continue;
        Forge forged = original;
        s.sh_offset = forged.bytes.size() - 1;
        forged.put_section(i, s);
        refused(forged, "lie outside", "section " + std::to_string(i) + " offset");
        forged = original;
        s = original.section(i);
        s.sh_size = std::uint64_t{1} << 62;
        forged.put_section(i, s);
        refused(forged, "lie outside", "section " + std::to_string(i) + " size");
    }
    {
        Forge forged = original;
        Elf64_Ehdr h = forged.header();
        h.e_shoff = forged.bytes.size() - 10;
        forged.put(0, h);
        refused(forged, "section header table", "section header offset");
        h = original.header();
        h.e_shstrndx = h.e_shnum + 3;
        forged = original;
        forged.put(0, h);
        refused(forged, "section name table", "section name table index");
        h = original.header();
        h.e_shentsize = 32;
        forged = original;
        forged.put(0, h);
        refused(forged, "section headers of 32 bytes", "section header size");
    }
    std::size_t symtab = original.find(SHT_SYMTAB);
    {
        Forge forged = original;
        Elf64_Shdr s = forged.section(symtab);
        s.sh_link = 200;
        forged.put_section(symtab, s);
        refused(forged, "not a string table", "symbol name table");
    }
    std::size_t symbols = original.section(symtab).sh_size / sizeof(Elf64_Sym);
    for (std::size_t i = 1; i < symbols; ++i) {
        std::size_t at = original.section(symtab).sh_offset + i * sizeof(Elf64_Sym);
        Forge forged = original;
        auto sym = forged.get<Elf64_Sym>(at);
        sym.st_name = 0x7fffffff;
        forged.put(at, sym);
        refused(forged, "name offset", "symbol " + std::to_string(i) + " name");
        forged = original;
        sym = original.get<Elf64_Sym>(at);
        if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
            continue;
        sym.st_shndx = 400;
        forged.put(at, sym);
        refused(forged, "is defined in section 400", "symbol " + std::to_string(i) + " section");
        forged = original;
        sym = original.get<Elf64_Sym>(at);
        sym.st_value = 1u << 30;
        forged.put(at, sym);
        refused(forged, "past the end", "symbol " + std::to_string(i) + " value");
    }
    std::size_t relocations = original.section(original.text_relocations()).sh_size / sizeof(Elf64_Rela);
    ASSERT_GT(relocations, 0u);
    for (std::size_t i = 0; i < relocations; ++i) {
        std::size_t at = original.relocation(i);
        Forge forged = original;
        auto r = forged.get<Elf64_Rela>(at);
        r.r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r.r_info));
        forged.put(at, r);
        refused(forged, "names symbol 100000", "relocation " + std::to_string(i) + " symbol");
        forged = original;
        r = original.get<Elf64_Rela>(at);
        r.r_offset = original.section(original.find(SHT_PROGBITS, ".text")).sh_size - 2;
        forged.put(at, r);
        refused(forged, "past the end of .text", "relocation " + std::to_string(i) + " offset");
        forged = original;
        r = original.get<Elf64_Rela>(at);
        r.r_offset = ~std::uint64_t{0} - 1;   // offset + width wraps around
        forged.put(at, r);
        refused(forged, "past the end of .text", "relocation " + std::to_string(i) + " wrapping offset");
    }
}

TEST(ObjectLoaderForgery, WhatTheLoaderDoesNotHandleIsDeclined) {
    Forge original(sample().object_code());
    std::string message;
    Forge forged = original;
    auto r = forged.get<Elf64_Rela>(forged.relocation(0));
    r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), R_X86_64_GOTPC32);
    forged.put(forged.relocation(0), r);
    EXPECT_EQ(try_load(forged.bytes, &message), Outcome::Declined);
    EXPECT_NE(message.find("relocation type 26"), std::string::npos) << message;

    forged = original;
    Elf64_Ehdr h = forged.header();
    h.e_machine = EM_AARCH64;
    forged.put(0, h);
    EXPECT_EQ(try_load(forged.bytes, &message), Outcome::Declined);
    EXPECT_EQ(try_load("not an object file at all", &message), Outcome::Declined);
    EXPECT_EQ(try_load("", &message), Outcome::Declined);

    forged = original;
    std::size_t text = forged.find(SHT_PROGBITS, ".text");
    Elf64_Shdr s = forged.section(text);
    s.sh_flags |= SHF_TLS;
    forged.put_section(text, s);
    EXPECT_EQ(try_load(forged.bytes, &message), Outcome::Declined);
    EXPECT_NE(message.find("thread-local"), std::string::npos) << message;

    /* A symbol nothing defines: declined, so JITLink (which may know more) has its say. */
    std::string declined;
    const ImportMap none;
    auto code = load_elf_object(
        sample().object_code(), [](const std::string &name) { return name == "sin" ? nullptr : find_runtime_symbol(name); },
        sample().function_symbol(), sample().thunk_symbol(), declined);
    EXPECT_FALSE(code);
    EXPECT_NE(declined.find("'sin'"), std::string::npos) << declined;

    EXPECT_EQ(try_load(original.bytes, &message), Outcome::Loaded);
}

/* What the direct loader declines, load_compiled links with JITLink as before: a section
   named .ctors (constructors the loader will not run) holding the constant pool. */
TEST(ObjectLoaderForgery, DeclinedObjectsAreLinkedWithJitlinkInstead) {
    auto f = build("def f(x):\n    return x * 1.75 + 0.5\n", "double (double)");
    Forge forged(f->object_code());
    std::size_t pool = forged.find(SHT_PROGBITS, ".rodata.cst8");
    Elf64_Shdr names = forged.section(forged.header().e_shstrndx);
    std::size_t name_at = names.sh_offset + forged.section(pool).sh_name;
    std::memcpy(&forged.bytes[name_at], ".ctors", 7);
    LoadRequest request = reload_request(*f);
    request.object_code = forged.bytes;
    ObjectLoadStats before = object_load_stats();
    auto loaded = load_compiled(request);
    ObjectLoadStats after = object_load_stats();
    EXPECT_EQ(after.linked, before.linked + 1);
    EXPECT_EQ(after.direct, before.direct);
    EXPECT_NE(after.last_declined.find(".ctors"), std::string::npos) << after.last_declined;
    for (double x : {-1.0, 0.0, 2.5})
        EXPECT_EQ(as<double(double)>(loaded->address())(x), x * 1.75 + 0.5);
}

/* Random byte damage anywhere: refused, declined or loaded, never a crash (the code of a
   damaged object that loads is not run: damaged code is no one's contract). */
TEST(ObjectLoaderForgery, RandomDamageNeverCrashesTheLoader) {
    const std::string &object = sample().object_code();
    std::mt19937 random(12345);
    int outcomes[3] = {};
    for (int trial = 0; trial < 3000; ++trial) {
        std::string damaged = object;
        int flips = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < flips; ++i)
            damaged[random() % damaged.size()] = static_cast<char>(random());
        ++outcomes[static_cast<int>(try_load(damaged))];
    }
    EXPECT_GT(outcomes[static_cast<int>(Outcome::Refused)], 0);
    EXPECT_GT(outcomes[static_cast<int>(Outcome::Loaded)], 0);
}

/* ---- hand-built objects ------------------------------------------------------------ */

/* A small ELF64 x86-64 relocatable object written from its parts, so that a test decides
   every section, symbol and relocation (the engine's objects show only what LLVM emits).
   Section i of `sections` is ELF section i + 1; symbol i of `symbols` is ELF symbol i + 1.
   The relocation, symbol and name tables follow the sections given. */
struct ElfWriter {
    struct Part {
        std::string name;
        std::uint32_t type;
        std::uint64_t flags, align;
        std::string data;        // the contents (PROGBITS), or sh_size zero bytes' worth (NOBITS)
        std::uint32_t link = 0, info = 0;
    };
    struct Sym {
        std::string name;
        unsigned char bind, type;
        std::uint16_t shndx;
        std::uint64_t value = 0, size = 0;
    };
    struct Rel {
        std::size_t section;   // ELF index of the section patched
        std::uint64_t offset;
        std::uint32_t type, symbol;
        std::int64_t addend;
    };
    std::vector<Part> sections;
    std::vector<Sym> symbols;
    std::vector<Rel> relocations;
    int shstrndx = -1;   // e_shstrndx when not negative, else the name table's index

    std::size_t section(std::string name, std::uint32_t type, std::uint64_t flags, std::uint64_t align,
                        std::string data) {
        sections.push_back({std::move(name), type, flags, align, std::move(data)});
        return sections.size();
    }
    std::uint32_t symbol(std::string name, unsigned char bind, unsigned char type, std::uint16_t shndx,
                         std::uint64_t value = 0, std::uint64_t size = 0) {
        symbols.push_back({std::move(name), bind, type, shndx, value, size});
        return static_cast<std::uint32_t>(symbols.size());
    }
    std::uint32_t section_symbol(std::size_t index) {
        return symbol("", STB_LOCAL, STT_SECTION, static_cast<std::uint16_t>(index));
    }
    void relocate(std::size_t section, std::uint64_t offset, std::uint32_t type, std::uint32_t symbol,
                  std::int64_t addend) {
        relocations.push_back({section, offset, type, symbol, addend});
    }

    std::string build() const {
        std::vector<std::size_t> relocated;   // sections with relocations, in order
        for (const Rel &r : relocations)
            if (std::find(relocated.begin(), relocated.end(), r.section) == relocated.end())
                relocated.push_back(r.section);
        const std::size_t symtab = sections.size() + relocated.size() + 1, strtab = symtab + 1, shstrtab = strtab + 1;
        std::vector<Elf64_Shdr> headers(shstrtab + 1, Elf64_Shdr{});
        std::string file(sizeof(Elf64_Ehdr), '\0'), shnames(1, '\0'), names(1, '\0');
        auto append = [&file](const std::string &bytes, std::uint64_t align) {
            file.resize((file.size() + align - 1) / align * align, '\0');
            std::uint64_t at = file.size();
            file += bytes;
            return at;
        };
        auto name = [](std::string &table, const std::string &text) {
            std::uint32_t at = static_cast<std::uint32_t>(table.size());
            table += text + '\0';
            return at;
        };
        for (std::size_t i = 0; i < sections.size(); ++i) {
            const Part &p = sections[i];
            Elf64_Shdr &h = headers[i + 1];
            h.sh_name = name(shnames, p.name);
            h.sh_type = p.type;
            h.sh_flags = p.flags;
            h.sh_addralign = p.align;
            h.sh_link = p.link;
            h.sh_info = p.info;
            h.sh_size = p.data.size();
            h.sh_offset = p.type == SHT_NOBITS ? file.size() : append(p.data, 16);
        }
        for (std::size_t k = 0; k < relocated.size(); ++k) {
            std::string table;
            for (const Rel &r : relocations)
                if (r.section == relocated[k]) {
                    Elf64_Rela raw{r.offset, ELF64_R_INFO(r.symbol, r.type), r.addend};
                    table.append(reinterpret_cast<const char *>(&raw), sizeof raw);
                }
            Elf64_Shdr &h = headers[sections.size() + 1 + k];
            h.sh_name = name(shnames, ".rela" + sections[relocated[k] - 1].name);
            h.sh_type = SHT_RELA;
            h.sh_flags = SHF_INFO_LINK;
            h.sh_link = static_cast<std::uint32_t>(symtab);
            h.sh_info = static_cast<std::uint32_t>(relocated[k]);
            h.sh_entsize = sizeof(Elf64_Rela);
            h.sh_addralign = 8;
            h.sh_size = table.size();
            h.sh_offset = append(table, 8);
        }
        std::string table(sizeof(Elf64_Sym), '\0');
        std::uint32_t first_global = 0;
        for (std::size_t i = 0; i < symbols.size(); ++i) {
            const Sym &s = symbols[i];
            if (s.bind != STB_LOCAL && !first_global)
                first_global = static_cast<std::uint32_t>(i + 1);
            Elf64_Sym raw{};
            raw.st_name = s.name.empty() ? 0 : name(names, s.name);
            raw.st_info = ELF64_ST_INFO(s.bind, s.type);
            raw.st_shndx = s.shndx;
            raw.st_value = s.value;
            raw.st_size = s.size;
            table.append(reinterpret_cast<const char *>(&raw), sizeof raw);
        }
        Elf64_Shdr &sym = headers[symtab];
        sym = {name(shnames, ".symtab"), SHT_SYMTAB, 0, 0, 0, table.size(), static_cast<std::uint32_t>(strtab),
               first_global ? first_global : static_cast<std::uint32_t>(symbols.size() + 1), 8, sizeof(Elf64_Sym)};
        sym.sh_offset = append(table, 8);
        headers[strtab] = {name(shnames, ".strtab"), SHT_STRTAB, 0, 0, 0, names.size(), 0, 0, 1, 0};
        headers[strtab].sh_offset = append(names, 1);
        headers[shstrtab] = {name(shnames, ".shstrtab"), SHT_STRTAB, 0, 0, 0, 0, 0, 0, 1, 0};
        headers[shstrtab].sh_size = shnames.size();
        headers[shstrtab].sh_offset = append(shnames, 1);
        std::string header_bytes(reinterpret_cast<const char *>(headers.data()), headers.size() * sizeof(Elf64_Shdr));
        std::uint64_t shoff = append(header_bytes, 8);
        Elf64_Ehdr e{};
        std::memcpy(e.e_ident, ELFMAG, SELFMAG);
        e.e_ident[EI_CLASS] = ELFCLASS64;
        e.e_ident[EI_DATA] = ELFDATA2LSB;
        e.e_ident[EI_VERSION] = EV_CURRENT;
        e.e_type = ET_REL;
        e.e_machine = EM_X86_64;
        e.e_version = EV_CURRENT;
        e.e_shoff = shoff;
        e.e_ehsize = sizeof(Elf64_Ehdr);
        e.e_shentsize = sizeof(Elf64_Shdr);
        e.e_shnum = static_cast<std::uint16_t>(headers.size());
        e.e_shstrndx = static_cast<std::uint16_t>(shstrndx < 0 ? shstrtab : static_cast<std::size_t>(shstrndx));
        std::memcpy(&file[0], &e, sizeof e);
        return file;
    }
};

/* What the relocations below are bound to: data and a function outside the object. */
std::int64_t external_datum = 42;
extern "C" double external_function(double x) { return x + 1; }

void *bind_test_symbols(const std::string &name) {
    if (name == "external_datum")
        return &external_datum;
    if (name == "external_function")
        return reinterpret_cast<void *>(&external_function);
    return nullptr;
}

/* The direct loader on a hand-built object: `f` is the function, `g` (when non-empty) the thunk. */
struct HandLoad {
    std::unique_ptr<JitCode> code;
    std::string declined, error;
};
HandLoad load_hand_built(const std::string &object, bool direct_calls = true, const std::string &thunk = "g") {
    HandLoad result;
    ObjectLoaderOptions options;
    options.direct_external_calls = direct_calls;
    try {
        result.code = load_elf_object(object, bind_test_symbols, "f", thunk, result.declined, options);
    } catch (const Error &e) {
        result.error = e.what();
    }
    return result;
}

template <class T> T read_at(std::uint64_t address) {
    T value;
    std::memcpy(&value, reinterpret_cast<const void *>(address), sizeof value);
    return value;
}

/* Where a 32-bit PC-relative field at `place` with addend `addend` points. */
std::uint64_t pc32_target(std::uint64_t place, std::int64_t addend) {
    return place + static_cast<std::uint64_t>(static_cast<std::int64_t>(read_at<std::int32_t>(place)) - addend);
}

/* Where a call through the field at `place` lands: a stub (`jmp *disp32(%rip)`) is followed
   to its GOT entry's contents. `stub` says whether there was one. */
std::uint64_t call_target(std::uint64_t place, bool &stub) {
    std::uint64_t target = pc32_target(place, -4);
    stub = read_at<std::uint8_t>(target) == 0xff && read_at<std::uint8_t>(target + 1) == 0x25;
    return stub ? read_at<std::uint64_t>(pc32_target(target + 2, -4)) : target;
}

/* The protection /proc/self/maps gives the page holding `address` ("r-x", "r--", "rw-"). */
std::string protection_at(std::uint64_t address) {
    std::FILE *maps = std::fopen("/proc/self/maps", "r");
    char line[512];
    std::string found;
    while (maps && std::fgets(line, sizeof line, maps)) {
        unsigned long long from = 0, to = 0;
        char perms[5] = {};
        if (std::sscanf(line, "%llx-%llx %4s", &from, &to, perms) == 3 && address >= from && address < to) {
            found.assign(perms, 3);
            break;
        }
    }
    if (maps)
        std::fclose(maps);
    return found;
}

/* An object with code, read-only data, writable data and .bss, and symbols of every kind
   the loader binds: `f` and `g` in .text, an absolute `small`, external data and an
   external function (bind_test_symbols), an undefined weak symbol nothing defines. */
struct Sample {
    ElfWriter elf;
    std::size_t text, rodata, data, bss;
    std::uint32_t text_sym, rodata_sym, data_sym, bss_sym, f, g, small, datum, function, absent_weak;
    Sample() {
        text = elf.section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16, std::string(64, '\xcc'));
        rodata = elf.section(".rodata", SHT_PROGBITS, SHF_ALLOC, 8, std::string(40, '\0'));
        data = elf.section(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 8, std::string(16, '\0'));
        bss = elf.section(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 8, std::string(16, '\0'));
        text_sym = elf.section_symbol(text);
        rodata_sym = elf.section_symbol(rodata);
        data_sym = elf.section_symbol(data);
        bss_sym = elf.section_symbol(bss);
        f = elf.symbol("f", STB_GLOBAL, STT_FUNC, static_cast<std::uint16_t>(text), 0, 16);
        g = elf.symbol("g", STB_GLOBAL, STT_FUNC, static_cast<std::uint16_t>(text), 48, 16);
        small = elf.symbol("small", STB_GLOBAL, STT_NOTYPE, SHN_ABS, 0x1000);
        datum = elf.symbol("external_datum", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF);
        function = elf.symbol("external_function", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF);
        absent_weak = elf.symbol("nativecall_test_absent", STB_WEAK, STT_NOTYPE, SHN_UNDEF);
        /* .text+0x00..0x17: where the three data sections were placed. */
        elf.relocate(text, 0x00, R_X86_64_64, rodata_sym, 0);
        elf.relocate(text, 0x08, R_X86_64_64, data_sym, 0);
        elf.relocate(text, 0x10, R_X86_64_64, bss_sym, 0);
    }
};

TEST(ObjectLoaderRelocations, EachTypeComputesWhatTheX86_64AbiSays) {
    Sample s;
    ElfWriter &elf = s.elf;
    elf.relocate(s.text, 0x18, R_X86_64_PC32, s.rodata_sym, 20 - 4);
    elf.relocate(s.text, 0x1c, R_X86_64_GOTPCRELX, s.datum, -4);
    elf.relocate(s.text, 0x20, R_X86_64_PLT32, s.function, -4);
    elf.relocate(s.text, 0x24, R_X86_64_PLT32, s.g, -4);
    elf.relocate(s.text, 0x28, R_X86_64_REX_GOTPCRELX, s.absent_weak, -4);
    elf.relocate(s.text, 0x2c, R_X86_64_GOTPCREL, s.f, -4);
    elf.relocate(s.rodata, 0, R_X86_64_64, s.f, 5);
    elf.relocate(s.rodata, 8, R_X86_64_PC64, s.g, 3);
    elf.relocate(s.rodata, 16, R_X86_64_PC32, s.text_sym, 0x30);   // a jump table entry: .rodata into .text
    elf.relocate(s.rodata, 20, R_X86_64_32, s.small, 0x10);
    elf.relocate(s.rodata, 24, R_X86_64_32S, s.small, -0x2000);
    elf.relocate(s.rodata, 28, R_X86_64_32, s.small, 0x7fffffff);   // unsigned: fits 32, not 32S
    elf.relocate(s.data, 0, R_X86_64_64, s.datum, 8);
    elf.relocate(s.data, 8, R_X86_64_64, s.absent_weak, 0);
    const std::string object = elf.build();
    for (bool direct : {true, false}) {
        HandLoad l = load_hand_built(object, direct);
        ASSERT_TRUE(l.code) << l.declined << l.error;
        auto f = reinterpret_cast<std::uint64_t>(l.code->function), g = reinterpret_cast<std::uint64_t>(l.code->thunk);
        EXPECT_EQ(g, f + 48);
        const std::uint64_t text = f, rodata = read_at<std::uint64_t>(text), data = read_at<std::uint64_t>(text + 8),
                            bss = read_at<std::uint64_t>(text + 16);
        EXPECT_EQ(read_at<std::int32_t>(text + 0x18), static_cast<std::int64_t>(rodata + 20 - 4 - (text + 0x18)));
        /* GOT entries hold the symbol's address (not relaxed, still right), null for an
           undefined weak symbol nothing defines, the object's own address for its own. */
        EXPECT_EQ(read_at<std::uint64_t>(pc32_target(text + 0x1c, -4)), reinterpret_cast<std::uint64_t>(&external_datum));
        EXPECT_EQ(read_at<std::uint64_t>(pc32_target(text + 0x28, -4)), 0u);
        EXPECT_EQ(read_at<std::uint64_t>(pc32_target(text + 0x2c, -4)), f);
        bool stub = false;
        EXPECT_EQ(call_target(text + 0x20, stub), reinterpret_cast<std::uint64_t>(&external_function));
        if (!direct)
            EXPECT_TRUE(stub) << "every external call goes through its stub";
        EXPECT_EQ(call_target(text + 0x24, stub), g);
        EXPECT_FALSE(stub) << "a call inside the object needs no stub";
        EXPECT_EQ(read_at<std::uint64_t>(rodata), f + 5);
        EXPECT_EQ(read_at<std::uint64_t>(rodata + 8), g + 3 - (rodata + 8));
        EXPECT_EQ(read_at<std::int32_t>(rodata + 16), static_cast<std::int64_t>(text + 0x30 - (rodata + 16)));
        EXPECT_EQ(read_at<std::uint32_t>(rodata + 20), 0x1010u);
        EXPECT_EQ(read_at<std::int32_t>(rodata + 24), -0x1000);
        EXPECT_EQ(read_at<std::uint32_t>(rodata + 28), 0x80000fffu);
        EXPECT_EQ(read_at<std::uint64_t>(data), reinterpret_cast<std::uint64_t>(&external_datum) + 8);
        EXPECT_EQ(read_at<std::uint64_t>(data + 8), 0u);
        EXPECT_EQ(read_at<std::uint64_t>(bss), 0u);
        /* Bytes no relocation names are the object's. */
        EXPECT_EQ(read_at<std::uint8_t>(text + 0x30), 0xcc);
        /* Code RX, read-only data (and the GOT) R, writable data RW. */
        EXPECT_EQ(protection_at(text), "r-x");
        EXPECT_EQ(protection_at(rodata), "r--");
        EXPECT_EQ(protection_at(pc32_target(text + 0x1c, -4)), "r--");
        EXPECT_EQ(protection_at(data), "rw-");
        EXPECT_EQ(protection_at(bss), "rw-");
    }
}

/* An undefined weak symbol nothing defines: null under both loaders. JITLink gets the
   object through load_object by way of a section the direct loader declines (.ctors). */
TEST(ObjectLoaderRelocations, AnAbsentWeakSymbolIsNullAsUnderJitlink) {
    Sample s;
    s.elf.relocate(s.text, 0x1c, R_X86_64_REX_GOTPCRELX, s.absent_weak, -4);
    s.elf.relocate(s.text, 0x20, R_X86_64_PLT32, s.absent_weak, -4);
    s.elf.relocate(s.data, 0, R_X86_64_64, s.absent_weak, 0);
    s.elf.relocate(s.data, 8, R_X86_64_64, s.datum, 0);
    HandLoad direct = load_hand_built(s.elf.build());
    ASSERT_TRUE(direct.code) << direct.declined << direct.error;
    s.elf.section(".ctors", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 8, std::string(8, '\0'));
    const ImportMap imports = {{"external_datum", reinterpret_cast<std::uintptr_t>(&external_datum)},
                               {"external_function", reinterpret_cast<std::uintptr_t>(&external_function)}};
    ObjectLoadStats before = object_load_stats();
    std::unique_ptr<JitCode> linked = load_object(s.elf.build(), imports, "f", "g");
    ASSERT_EQ(object_load_stats().linked, before.linked + 1) << "JITLink did not load it";
    for (const JitCode *code : {direct.code.get(), linked.get()}) {
        auto text = reinterpret_cast<std::uint64_t>(code->function);
        std::uint64_t data = read_at<std::uint64_t>(text + 8);
        EXPECT_EQ(read_at<std::uint64_t>(pc32_target(text + 0x1c, -4)), 0u);
        bool stub = false;
        EXPECT_EQ(call_target(text + 0x20, stub), 0u);
        EXPECT_EQ(read_at<std::uint64_t>(data), 0u);
        EXPECT_EQ(read_at<std::uint64_t>(data + 8), reinterpret_cast<std::uint64_t>(&external_datum));
    }
}

/* A value a relocation cannot hold declines the object (JITLink reports it out of range). */
TEST(ObjectLoaderRelocations, ValuesOutOfTheirFieldsRangeAreDeclined) {
    struct Case {
        std::uint32_t type;
        std::int64_t addend;
        const char *expected;
    };
    const Case cases[] = {
        {R_X86_64_32S, 0x7fffffff, "32-bit signed absolute reference"},   // 0x80000fff > INT32_MAX
        {R_X86_64_32, -0x2000, "32-bit absolute reference"},              // below zero
        {R_X86_64_PC32, std::int64_t{1} << 32, "out of 32-bit range"},    // an addend far outside .text
    };
    for (const Case &c : cases) {
        Sample s;
        s.elf.relocate(s.rodata, 20, c.type, c.type == R_X86_64_PC32 ? s.text_sym : s.small, c.addend);
        HandLoad l = load_hand_built(s.elf.build());
        EXPECT_FALSE(l.code);
        EXPECT_NE(l.declined.find(c.expected), std::string::npos) << c.type << ": " << l.declined << l.error;
    }
    Sample s;   // a PC-relative reference to null (an absent weak symbol) cannot be encoded
    s.elf.relocate(s.text, 0x18, R_X86_64_PC32, s.absent_weak, -4);
    HandLoad l = load_hand_built(s.elf.build());
    EXPECT_FALSE(l.code);
    EXPECT_NE(l.declined.find("nativecall_test_absent"), std::string::npos) << l.declined << l.error;
    Sample strong;   // a strong symbol nothing defines
    strong.elf.symbols[strong.absent_weak - 1].bind = STB_GLOBAL;
    strong.elf.relocate(strong.text, 0x1c, R_X86_64_GOTPCRELX, strong.absent_weak, -4);
    l = load_hand_built(strong.elf.build());
    EXPECT_FALSE(l.code);
    EXPECT_NE(l.declined.find("nothing defines the symbol 'nativecall_test_absent'"), std::string::npos) << l.declined;
}

/* The pages of address space the process has mapped (/proc/self/statm's first field). */
std::size_t mapped_pages() {
    std::FILE *statm = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (statm) {
        if (std::fscanf(statm, "%lu", &pages) != 1)
            pages = 0;
        std::fclose(statm);
    }
    return pages;
}

/* A load declined after its mapping was made (a relocation out of range) leaves no mapping
   behind (adjacent leaked mappings would merge in /proc/self/maps: sizes are counted). */
TEST(ObjectLoaderRelocations, ADeclinedLoadUnmapsItsImage) {
    Sample s;
    s.elf.relocate(s.text, 0x18, R_X86_64_PC32, s.text_sym, std::int64_t{1} << 40);
    const std::string object = s.elf.build();
    ASSERT_FALSE(load_hand_built(object).code);
    const int loads = 300;   // each maps three pages
    std::size_t before = mapped_pages();
    for (int i = 0; i < loads; ++i)
        ASSERT_FALSE(load_hand_built(object).code);
    EXPECT_LT(mapped_pages(), before + loads) << loads << " declined loads left their mappings";
}

/* The function and thunk must be global code that lies within its section. */
TEST(ObjectLoaderRelocations, TheFunctionSymbolMustBeGlobalCodeWithinItsSection) {
    auto refused = [](Sample &s, const char *expected, const char *what) {
        HandLoad l = load_hand_built(s.elf.build());
        EXPECT_FALSE(l.code) << what;
        EXPECT_NE(l.error.find(expected), std::string::npos) << what << ": " << l.error << l.declined;
    };
    {
        Sample s;
        s.elf.symbols[s.f - 1].value = 64;   // .text's end: the next bytes are stubs or another group
        s.elf.symbols[s.f - 1].size = 0;
        refused(s, "does not lie within section 1 (.text)", "at the end");
    }
    {
        Sample s;
        s.elf.symbols[s.g - 1].size = 17;   // 48 + 17 > 64
        refused(s, "'g' (17 bytes at 0x30) does not lie within", "sized past the end");
    }
    {
        Sample s;
        s.elf.symbols[s.f - 1].shndx = static_cast<std::uint16_t>(s.rodata);
        refused(s, "'f' is not in an executable section", "in .rodata");
    }
    {
        Sample s;
        s.elf.symbols[s.f - 1].shndx = SHN_ABS;
        refused(s, "'f' is not in an executable section", "absolute");
    }
    {
        Sample s;
        s.elf.symbols[s.f - 1].bind = STB_LOCAL;   // JITLink's lookup sees no local symbol
        refused(s, "does not define 'f'", "local");
    }
    {
        Sample s;
        s.elf.symbol("f", STB_GLOBAL, STT_FUNC, static_cast<std::uint16_t>(s.text), 32, 16);
        refused(s, "'f' is defined twice", "twice");
    }
    {
        Sample s;   // a local of the same name does not hide the global
        s.elf.symbols.insert(s.elf.symbols.begin(),
                             ElfWriter::Sym{"f", STB_LOCAL, STT_FUNC, static_cast<std::uint16_t>(s.text), 32, 0});
        for (ElfWriter::Rel &r : s.elf.relocations)
            ++r.symbol;
        HandLoad l = load_hand_built(s.elf.build());
        ASSERT_TRUE(l.code) << l.declined << l.error;
        EXPECT_EQ(reinterpret_cast<std::uint64_t>(l.code->thunk) - reinterpret_cast<std::uint64_t>(l.code->function), 48u);
    }
    {
        Sample s;   // an empty code section holds no function
        s.elf.sections[s.text - 1].data.clear();
        s.elf.relocations.clear();
        s.elf.symbols[s.f - 1].size = s.elf.symbols[s.g - 1].size = 0;
        s.elf.symbols[s.g - 1].value = 0;
        refused(s, "does not lie within", "empty .text");
    }
}

/* Section headers the engine never writes: alignments, numbering, kinds and references. */
TEST(ObjectLoaderRelocations, SectionOddities) {
    enum Want { Loads, Declines, Refuses };
    auto expect = [](const std::string &object, Want want, const char *expected, const char *what) {
        HandLoad l = load_hand_built(object);
        EXPECT_EQ(l.code ? Loads : l.error.empty() ? Declines : Refuses, want) << what << ": " << l.declined << l.error;
        const std::string &message = want == Refuses ? l.error : l.declined;
        EXPECT_NE(message.find(expected), std::string::npos) << what << ": " << message;
    };
    for (std::uint64_t align : {0, 1, 4096}) {
        Sample s;
        s.elf.sections[s.rodata - 1].align = align;
        expect(s.elf.build(), Loads, "", "alignment 0, 1 or a page");
    }
    {
        Sample s;
        s.elf.sections[s.rodata - 1].align = 24;
        expect(s.elf.build(), Refuses, "alignment of 24, not a power of two", "alignment 24");
        s.elf.sections[s.rodata - 1].align = std::uint64_t{1} << 40;
        expect(s.elf.build(), Declines, "asks for an alignment of 1099511627776", "alignment 2^40");
    }
    {
        Sample s;   // .data shares .rodata's bytes in the file: each gets its own copy
        s.elf.relocate(s.rodata, 0, R_X86_64_64, s.small, 7);
        Forge overlapping(s.elf.build());
        Elf64_Shdr moved = overlapping.section(s.data);
        moved.sh_offset = overlapping.section(s.rodata).sh_offset;
        overlapping.put_section(s.data, moved);
        HandLoad l = load_hand_built(overlapping.bytes);
        ASSERT_TRUE(l.code) << l.declined << l.error;
        auto text = reinterpret_cast<std::uint64_t>(l.code->function);
        EXPECT_EQ(read_at<std::uint64_t>(read_at<std::uint64_t>(text)), 0x1007u);
        EXPECT_EQ(read_at<std::uint64_t>(read_at<std::uint64_t>(text + 8)), 0u) << ".data's copy is untouched";
    }
    {
        Sample s;   // a zero-sized section, and relocations of a section that is not loaded
        std::size_t empty = s.elf.section(".rodata.empty", SHT_PROGBITS, SHF_ALLOC, 8, "");
        std::size_t comment = s.elf.section(".comment", SHT_PROGBITS, 0, 1, std::string(8, 'x'));
        s.elf.relocate(comment, 0, R_X86_64_64, s.elf.section_symbol(empty), 0);
        s.elf.relocate(s.text, 0x18, R_X86_64_64, s.elf.section_symbol(empty), 0);
        expect(s.elf.build(), Loads, "", "zero-sized section");
    }
    {
        Sample s;   // a reference into a section that is not loaded
        std::size_t comment = s.elf.section(".comment", SHT_PROGBITS, 0, 1, std::string(8, 'x'));
        s.elf.relocate(s.text, 0x18, R_X86_64_PC32, s.elf.section_symbol(comment), 0);
        expect(s.elf.build(), Declines, "in a section that is not loaded", "reference to .comment");
    }
    {
        Sample s;
        s.elf.relocate(s.bss, 0, R_X86_64_64, s.f, 0);
        expect(s.elf.build(), Refuses, "which has no contents", "relocating .bss");
    }
    {
        Sample s;
        s.elf.shstrndx = SHN_UNDEF;
        expect(s.elf.build(), Declines, "no section name table", "e_shstrndx SHN_UNDEF");
        s.elf.shstrndx = SHN_XINDEX;
        expect(s.elf.build(), Declines, "extended numbering", "e_shstrndx SHN_XINDEX");
        s.elf.shstrndx = 1;   // .text is no string table
        expect(s.elf.build(), Refuses, "names section 1, which is not a string table", "e_shstrndx .text");
    }
    for (std::uint16_t special : {std::uint16_t{SHN_COMMON}, std::uint16_t{SHN_XINDEX}, std::uint16_t{0xff00}}) {
        Sample s;
        s.elf.symbols[s.datum - 1].shndx = special;
        s.elf.symbols[s.datum - 1].value = 8;
        expect(s.elf.build(), Declines, "special section index", "a special st_shndx");
    }
    {
        Sample s;
        s.elf.section(".group", SHT_GROUP, 0, 4, std::string(8, '\0'));
        expect(s.elf.build(), Declines, "section group", "SHT_GROUP");
    }
    {
        Sample s;   // a relocation section that names no section of the object
        std::string object = s.elf.build();
        Forge forge(object);
        std::size_t rela = forge.find(SHT_RELA, ".rela.text");
        Elf64_Shdr h = forge.section(rela);
        h.sh_info = 999;
        forge.put_section(rela, h);
        expect(forge.bytes, Refuses, "relocates section 999", "sh_info out of range");
        h.sh_info = static_cast<std::uint32_t>(s.text);
        h.sh_link = static_cast<std::uint32_t>(s.text);
        forge.put_section(rela, h);
        expect(forge.bytes, Refuses, "not the object's symbol table", "sh_link not the symbol table");
    }
    {
        Sample s;   // NOBITS sizes far beyond any compiled function: declined before mapping
        std::size_t huge = s.elf.section(".bss.huge", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 8, "");
        std::size_t big_code = s.elf.section(".text.big", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, 8, "");
        std::size_t big_constants = s.elf.section(".rodata.big", SHT_NOBITS, SHF_ALLOC, 8, "");
        Forge forge(s.elf.build());
        Elf64_Shdr h = forge.section(huge);
        h.sh_size = std::uint64_t{1} << 62;
        forge.put_section(huge, h);
        expect(forge.bytes, Declines, "takes 4611686018427387904 bytes", "a 2^62-byte .bss");
        /* Three groups each within the bound, together beyond it. */
        for (std::size_t index : {big_code, big_constants, huge}) {
            Elf64_Shdr part = forge.section(index);
            part.sh_size = std::uint64_t{100} << 20;
            forge.put_section(index, part);
        }
        expect(forge.bytes, Declines, "the loaded image would take", "300 MiB in three groups");
    }
}

} // namespace
} // namespace nativecall::jit

#endif
