// The direct object loader: cached code it loads computes what compiled code computes, it is the common path, and forged objects are refused or declined, never run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

/* The direct loader claims x86-64 ELF hosts only (elsewhere JITLink loads everything). */
#if defined(__x86_64__) && defined(__linux__)
#include <elf.h>

#include "engine/object_loader.h"
#include "engine/runtime_symbols.h"
#include "nativecall/errors.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/runtime/error_record.h"

namespace nativecall::jit {
namespace {

std::shared_ptr<CompiledFunction> build(const std::string &source, const std::string &sig, Globals globals = {},
                                        int opt_level = 1) {
    CompileRequest request;
    request.source = source;
    request.filename = "test.py";
    request.signature = parse_signature(sig);
    request.globals = std::move(globals);
    request.options.opt_level = opt_level;
    return compile(request);
}

LoadRequest reload_request(const CompiledFunction &f) {
    LoadRequest request;
    request.object_code = f.object_code();
    request.function_symbol = f.function_symbol();
    request.thunk_symbol = f.thunk_symbol();
    request.imports = f.imports();
    request.signature = f.signature();
    request.name = f.name();
    return request;
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

} // namespace
} // namespace nativecall::jit

#endif
