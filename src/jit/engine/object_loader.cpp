// The direct object loader: a bounds-checked ELF64 reader, a one-mapping layout with a GOT and call stubs, and the x86-64 relocations the engine's code generator emits.
#include "object_loader.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "nativecall/errors.h"

/* The loader claims only what it was written for: x86-64 ELF hosts. Elsewhere it declines
   everything and JITLink loads the code. */
#if defined(__x86_64__) && defined(__linux__)
#define NATIVECALL_DIRECT_OBJECT_LOADER 1
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace nativecall::jit {

#if NATIVECALL_DIRECT_OBJECT_LOADER
namespace {

#ifndef SHT_X86_64_UNWIND
#define SHT_X86_64_UNWIND 0x70000001   // how x86-64 ELF types .eh_frame
#endif

/* What the engine never emits and this loader need not place: the caller links such an
   object with JITLink. Thrown inside the loader, caught by load_elf_object. */
struct Unsupported {
    std::string reason;
};

[[noreturn]] void malformed(const std::string &what) { throw Error("JIT: the object code does not parse: " + what); }

std::string hex(std::uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

/* Code first, then read-only data, then writable data: the three page groups of the
   mapping, in address order, protected RX, R and RW. */
enum class Placement { None, Code, ReadOnly, Writable };
constexpr int placement_groups = 3;
int group_of(Placement p) { return static_cast<int>(p) - 1; }

/* The largest mapping the loader makes. The engine's objects take kilobytes; only a
   forged NOBITS size could ask for more, and the loader declines it. */
constexpr std::uint64_t max_image_size = std::uint64_t{256} << 20;

/* Names an item of the object file in messages, built only when one is needed (a load
   reads hundreds of items and fails on none). */
struct Item {
    const char *kind;
    std::uint64_t index = ~std::uint64_t{0};   // none
    std::string str() const { return index == ~std::uint64_t{0} ? kind : kind + (" " + std::to_string(index)); }
};

/* The object file's bytes, read only through bounds checks (a file with a valid cache
   checksum can still be forged: every offset, size and index is distrusted). */
class Bytes {
public:
    explicit Bytes(const std::string &object)
        : data_(reinterpret_cast<const unsigned char *>(object.data())), size_(object.size()) {}
    std::uint64_t size() const { return size_; }
    bool holds(std::uint64_t offset, std::uint64_t length) const { return offset <= size_ && length <= size_ - offset; }
    const unsigned char *at(std::uint64_t offset) const { return data_ + offset; }
    /* A T at `offset`; `what` names it when it lies outside the buffer. */
    template <class T> T read(std::uint64_t offset, Item what) const {
        if (!holds(offset, sizeof(T)))
            malformed(what.str() + " at offset " + hex(offset) + " lies outside the object's " + std::to_string(size_) +
                      " bytes");
        T value;
        std::memcpy(&value, data_ + offset, sizeof(T));
        return value;
    }

private:
    const unsigned char *data_;
    std::uint64_t size_;
};

/* A string table: every name read from it must start and end (NUL) inside it. */
struct StringTable {
    const char *data = nullptr;
    std::uint64_t size = 0;
    std::string_view at(std::uint64_t offset, Item what) const {
        if (offset >= size)
            malformed(what.str() + "'s name offset " + hex(offset) + " lies outside its string table (" +
                      std::to_string(size) + " bytes)");
        const void *end = std::memchr(data + offset, '\0', size - offset);
        if (!end)
            malformed(what.str() + "'s name runs past the end of its string table");
        return std::string_view(data + offset, static_cast<const char *>(end) - (data + offset));
    }
};

struct Section {
    Elf64_Shdr header{};
    std::string_view name;
    Placement placement = Placement::None;
    std::uint64_t offset = 0;   // from the mapping's start, once laid out
};

struct Symbol {
    std::string_view name;
    unsigned char type = STT_NOTYPE, binding = STB_LOCAL;
    std::uint16_t section = SHN_UNDEF;   // st_shndx
    std::uint64_t value = 0;
    bool undefined() const { return section == SHN_UNDEF; }
    /* Filled in by the loader. */
    bool referenced = false;   // a relocation of a placed section names it
    bool placed = false;       // `address` is known (defined in a placed section, absolute, or resolved)
    std::uint64_t address = 0;
    long got = -1, stub = -1;   // its GOT entry and call stub, when a relocation needs them
};

/* One relocation of a placed section, checked against its section and the symbol table. */
struct Relocation {
    const Section *target;
    std::uint64_t offset;   // in the target section
    std::uint32_t type, symbol;
    std::int64_t addend;
};

bool fits_int32(std::int64_t value) { return value >= INT32_MIN && value <= INT32_MAX; }

/* The width in bytes a supported relocation type patches; 0 for one the loader does not know. */
unsigned relocation_width(std::uint32_t type) {
    switch (type) {
    case R_X86_64_64:
    case R_X86_64_PC64:
        return 8;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX:
    case R_X86_64_32:
    case R_X86_64_32S:
        return 4;
    default:
        return 0;
    }
}

bool uses_got(std::uint32_t type) {
    return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX || type == R_X86_64_REX_GOTPCRELX;
}

/* A call stub: `jmp *disp32(%rip)` through the symbol's GOT entry, padded with int3. */
constexpr std::size_t stub_size = 8;
constexpr std::size_t got_entry_size = 8;

/* Loaded code: the one mapping, unmapped with the code. */
class MappedCode : public JitCode {
public:
    MappedCode(void *base, std::size_t size) : base_(base), size_(size) {}
    ~MappedCode() override { munmap(base_, size_); }
    MappedCode(const MappedCode &) = delete;
    MappedCode &operator=(const MappedCode &) = delete;
    unsigned char *base() const { return static_cast<unsigned char *>(base_); }

private:
    void *base_;
    std::size_t size_;
};

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

std::uint64_t page_size() {
    static const std::uint64_t size = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    return size;
}

class ObjectLoader {
public:
    ObjectLoader(const std::string &object, const ObjectSymbolResolver &resolve, const ObjectLoaderOptions &options)
        : bytes_(object), resolve_(resolve), options_(options) {}

    std::unique_ptr<JitCode> load(const std::string &function_symbol, const std::string &thunk_symbol) {
        read_header();
        read_sections();
        read_symbols();
        const Symbol &function = code_symbol(function_symbol);
        const Symbol *thunk = thunk_symbol.empty() ? nullptr : &code_symbol(thunk_symbol);
        read_relocations();
        resolve_undefined();
        std::unique_ptr<MappedCode> code = map();
        relocate(code->base());
        protect(code->base());
        code->function = reinterpret_cast<void *>(function.address);
        if (thunk)
            code->thunk = reinterpret_cast<void *>(thunk->address);
        return code;
    }

private:
    void read_header() {
        /* What is not an x86-64 ELF relocatable object at all is JITLink's to judge (and refuse). */
        if (!bytes_.holds(0, sizeof(Elf64_Ehdr)) || std::memcmp(bytes_.at(0), ELFMAG, SELFMAG) != 0)
            throw Unsupported{"not an ELF file"};
        header_ = bytes_.read<Elf64_Ehdr>(0, {"the ELF header"});
        if (header_.e_ident[EI_CLASS] != ELFCLASS64 || header_.e_ident[EI_DATA] != ELFDATA2LSB ||
            header_.e_ident[EI_VERSION] != EV_CURRENT || header_.e_type != ET_REL || header_.e_machine != EM_X86_64)
            throw Unsupported{"not a little-endian ELF64 relocatable object for x86-64"};
        if (header_.e_shoff != 0 && header_.e_shnum == 0)
            throw Unsupported{"more sections than the ELF header counts (extended numbering)"};
        if (header_.e_shstrndx == SHN_XINDEX)
            throw Unsupported{"a section name table index beyond the ELF header's (extended numbering)"};
        if (header_.e_shnum != 0 && header_.e_shentsize != sizeof(Elf64_Shdr))
            malformed("section headers of " + std::to_string(header_.e_shentsize) + " bytes, ELF64 has " +
                      std::to_string(sizeof(Elf64_Shdr)));
        if (!bytes_.holds(header_.e_shoff, std::uint64_t{header_.e_shnum} * sizeof(Elf64_Shdr)))
            malformed("the section header table (" + std::to_string(header_.e_shnum) + " entries at offset " +
                      hex(header_.e_shoff) + ") lies outside the object's " + std::to_string(bytes_.size()) + " bytes");
        if (header_.e_shnum != 0 && header_.e_shstrndx >= header_.e_shnum)
            malformed("the section name table index " + std::to_string(header_.e_shstrndx) + " is not below the " +
                      std::to_string(header_.e_shnum) + " sections");
    }

    /* The string table in section `index`, checked: `what` names the table that points to it. */
    StringTable string_table(std::uint64_t index, const char *what) const {
        if (index >= sections_.size() || sections_[index].header.sh_type != SHT_STRTAB)
            malformed(what + std::string(" names section ") + std::to_string(index) + ", which is not a string table");
        const Elf64_Shdr &h = sections_[index].header;
        return {reinterpret_cast<const char *>(bytes_.at(h.sh_offset)), h.sh_size};
    }

    std::string section_label(std::size_t index) const {
        return "section " + std::to_string(index) +
               (sections_[index].name.empty() ? std::string() : " (" + std::string(sections_[index].name) + ")");
    }

    void read_sections() {
        sections_.resize(header_.e_shnum);
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            Elf64_Shdr &h = sections_[i].header;
            h = bytes_.read<Elf64_Shdr>(header_.e_shoff + i * sizeof(Elf64_Shdr), {"section header", i});
            if (h.sh_type != SHT_NULL && h.sh_type != SHT_NOBITS && !bytes_.holds(h.sh_offset, h.sh_size))
                malformed("section " + std::to_string(i) + "'s contents (" + std::to_string(h.sh_size) +
                          " bytes at offset " + hex(h.sh_offset) + ") lie outside the object's " +
                          std::to_string(bytes_.size()) + " bytes");
        }
        if (sections_.empty())
            return;
        StringTable names = string_table(header_.e_shstrndx, "the ELF header's section name table");
        for (std::size_t i = 1; i < sections_.size(); ++i) {
            Section &s = sections_[i];
            s.name = names.at(s.header.sh_name, {"section", i});
            s.placement = placement_of(s, i);
        }
    }

    /* Where section `index` goes in the mapping, None for what code never reads at run time. */
    Placement placement_of(const Section &s, std::size_t index) const {
        const Elf64_Shdr &h = s.header;
        switch (h.sh_type) {
        case SHT_GROUP:
            throw Unsupported{section_label(index) + " is a section group (COMDAT)"};
        case SHT_SYMTAB_SHNDX:
            throw Unsupported{section_label(index) + " extends the symbol table's section indexes"};
        case SHT_INIT_ARRAY:
        case SHT_FINI_ARRAY:
        case SHT_PREINIT_ARRAY:
            throw Unsupported{section_label(index) + " holds constructors or destructors"};
        default:
            break;
        }
        if (!(h.sh_flags & SHF_ALLOC))
            return Placement::None;   // debug information, notes, the symbol and relocation tables
        /* JIT code never unwinds C++ exceptions (errors travel in the runtime error record),
           so its eh-frames are not registered here; the compile path's JITLink registers them
           only because it does for every object. */
        if (h.sh_type == SHT_X86_64_UNWIND || s.name == ".eh_frame")
            return Placement::None;
        if (h.sh_flags & SHF_TLS)
            throw Unsupported{section_label(index) + " is thread-local storage"};
        if (h.sh_flags & SHF_GROUP)
            throw Unsupported{section_label(index) + " belongs to a section group (COMDAT)"};
        if (h.sh_flags & SHF_COMPRESSED)
            throw Unsupported{section_label(index) + " is compressed"};
        if (s.name == ".ctors" || s.name == ".dtors" || s.name == ".init" || s.name == ".fini")
            throw Unsupported{section_label(index) + " holds constructors or destructors"};
        if (h.sh_type != SHT_PROGBITS && h.sh_type != SHT_NOBITS && h.sh_type != SHT_NOTE)
            throw Unsupported{section_label(index) + " has the section type " + hex(h.sh_type)};
        if ((h.sh_flags & SHF_WRITE) && (h.sh_flags & SHF_EXECINSTR))
            throw Unsupported{section_label(index) + " is both writable and executable"};
        std::uint64_t alignment = h.sh_addralign ? h.sh_addralign : 1;
        if (alignment & (alignment - 1))
            malformed(section_label(index) + " has an alignment of " + std::to_string(alignment) + ", not a power of two");
        if (alignment > page_size())
            throw Unsupported{section_label(index) + " asks for an alignment of " + std::to_string(alignment) + " bytes"};
        if (h.sh_size > max_image_size)
            throw Unsupported{section_label(index) + " takes " + std::to_string(h.sh_size) + " bytes"};
        return (h.sh_flags & SHF_EXECINSTR) ? Placement::Code
               : (h.sh_flags & SHF_WRITE)   ? Placement::Writable
                                            : Placement::ReadOnly;
    }

    void read_symbols() {
        for (std::size_t i = 1; i < sections_.size(); ++i) {
            if (sections_[i].header.sh_type != SHT_SYMTAB)
                continue;
            if (symtab_index_)
                throw Unsupported{"more than one symbol table"};
            symtab_index_ = i;
        }
        if (!symtab_index_)
            return;   // nothing defined: the function lookup says so
        const Elf64_Shdr &h = sections_[symtab_index_].header;
        if (h.sh_entsize != sizeof(Elf64_Sym) || h.sh_size % sizeof(Elf64_Sym) != 0)
            malformed("the symbol table has entries of " + std::to_string(h.sh_entsize) + " bytes over " +
                      std::to_string(h.sh_size) + " bytes, ELF64 symbols take " + std::to_string(sizeof(Elf64_Sym)));
        StringTable names = string_table(h.sh_link, "the symbol table");
        symbols_.resize(h.sh_size / sizeof(Elf64_Sym));
        for (std::size_t i = 1; i < symbols_.size(); ++i) {
            auto raw = bytes_.read<Elf64_Sym>(h.sh_offset + i * sizeof(Elf64_Sym), {"symbol", i});
            Symbol &s = symbols_[i];
            s.name = names.at(raw.st_name, {"symbol", i});
            s.type = ELF64_ST_TYPE(raw.st_info);
            s.binding = ELF64_ST_BIND(raw.st_info);
            s.section = raw.st_shndx;
            s.value = raw.st_value;
            if (s.type == STT_TLS)
                throw Unsupported{"symbol '" + std::string(s.name) + "' is thread-local"};
            if (s.type == STT_GNU_IFUNC)
                throw Unsupported{"symbol '" + std::string(s.name) + "' is an indirect function"};
            if (s.section == SHN_ABS) {
                s.placed = true;
                s.address = s.value;
            } else if (s.section == SHN_COMMON || s.section == SHN_XINDEX ||
                       (s.section >= SHN_LORESERVE && s.section != SHN_UNDEF)) {
                throw Unsupported{"symbol '" + std::string(s.name) + "' has the special section index " +
                                  hex(s.section)};
            } else if (!s.undefined()) {
                if (s.section >= sections_.size())
                    malformed("symbol " + std::to_string(i) + " ('" + std::string(s.name) + "') is defined in section " +
                              std::to_string(s.section) + " of " + std::to_string(sections_.size()));
                if (s.value > sections_[s.section].header.sh_size)
                    malformed("symbol " + std::to_string(i) + " ('" + std::string(s.name) + "') lies at " +
                              hex(s.value) + ", past the end of " + section_label(s.section));
            } else if (s.binding == STB_LOCAL) {
                malformed("symbol " + std::to_string(i) + " ('" + std::string(s.name) + "') is local and undefined");
            }
        }
    }

    /* The global code symbol `name` (what JITLink's lookup would find), or an Error. */
    const Symbol &code_symbol(const std::string &name) const {
        const Symbol *found = nullptr;
        for (const Symbol &s : symbols_) {
            if (s.name != name || s.undefined() || s.binding == STB_LOCAL)
                continue;
            if (found)
                malformed("symbol '" + name + "' is defined twice");
            found = &s;
        }
        if (!found)
            throw Error("JIT: looking up the function: the object code does not define '" + name + "'");
        if (found->section >= sections_.size() || sections_[found->section].placement != Placement::Code)
            throw Error("JIT: looking up the function: '" + name + "' is not in an executable section");
        return *found;
    }

    void read_relocations() {
        for (std::size_t i = 1; i < sections_.size(); ++i) {
            const Elf64_Shdr &h = sections_[i].header;
            if (h.sh_type != SHT_RELA && h.sh_type != SHT_REL)
                continue;
            if (h.sh_info >= sections_.size())
                malformed(section_label(i) + " relocates section " + std::to_string(h.sh_info) + " of " +
                          std::to_string(sections_.size()));
            const Section &target = sections_[h.sh_info];
            if (target.placement == Placement::None)
                continue;   // relocations of eh-frames or debug information: neither is loaded
            if (h.sh_type == SHT_REL)
                throw Unsupported{section_label(i) + " holds relocations without addends (SHT_REL)"};
            if (h.sh_link != symtab_index_ || !symtab_index_)
                malformed(section_label(i) + "'s symbol table is section " + std::to_string(h.sh_link) +
                          ", not the object's symbol table");
            if (h.sh_entsize != sizeof(Elf64_Rela) || h.sh_size % sizeof(Elf64_Rela) != 0)
                malformed(section_label(i) + " has entries of " + std::to_string(h.sh_entsize) + " bytes over " +
                          std::to_string(h.sh_size) + " bytes, ELF64 relocations take " +
                          std::to_string(sizeof(Elf64_Rela)));
            if (target.header.sh_type == SHT_NOBITS)
                malformed(section_label(i) + " relocates " + section_label(h.sh_info) + ", which has no contents");
            for (std::uint64_t at = 0; at < h.sh_size; at += sizeof(Elf64_Rela))
                add_relocation(target, bytes_.read<Elf64_Rela>(h.sh_offset + at, {"relocation", at / sizeof(Elf64_Rela)}),
                               i);
        }
    }

    void add_relocation(const Section &target, const Elf64_Rela &raw, std::size_t rela_index) {
        Relocation r{&target, raw.r_offset, static_cast<std::uint32_t>(ELF64_R_TYPE(raw.r_info)),
                     static_cast<std::uint32_t>(ELF64_R_SYM(raw.r_info)), raw.r_addend};
        if (r.type == R_X86_64_NONE)
            return;
        auto where = [&] { return std::string(target.name) + "+" + hex(r.offset); };
        unsigned width = relocation_width(r.type);
        if (!width)
            throw Unsupported{"relocation type " + std::to_string(r.type) + " at " + where()};
        if (r.symbol >= symbols_.size())
            malformed("the relocation at " + where() + " (" + section_label(rela_index) + ") names symbol " +
                      std::to_string(r.symbol) + " of " + std::to_string(symbols_.size()));
        if (r.symbol == 0)
            throw Unsupported{"the relocation at " + where() + " names no symbol"};
        if (r.offset > target.header.sh_size || width > target.header.sh_size - r.offset)
            malformed("the relocation at " + where() + " patches " + std::to_string(width) + " bytes past the end of " +
                      std::string(target.name) + " (" + std::to_string(target.header.sh_size) + " bytes)");
        Symbol &s = symbols_[r.symbol];
        s.referenced = true;
        if (!s.undefined() && !s.placed && (s.section >= sections_.size() || sections_[s.section].placement == Placement::None))
            throw Unsupported{"the relocation at " + where() + " refers to '" + std::string(s.name) +
                              "' in a section that is not loaded"};
        if (uses_got(r.type) && s.got < 0)
            s.got = got_entries_++;
        if (r.type == R_X86_64_PLT32 && s.undefined() && s.stub < 0) {
            if (s.got < 0)
                s.got = got_entries_++;
            s.stub = stubs_++;
        }
        relocations_.push_back(r);
    }

    /* Binds what the relocations name outside the object. */
    void resolve_undefined() {
        for (Symbol &s : symbols_) {
            if (!s.referenced || !s.undefined())
                continue;
            void *address = resolve_(std::string(s.name));
            if (!address)
                throw Unsupported{"nothing defines the symbol '" + std::string(s.name) + "'"};
            s.address = reinterpret_cast<std::uint64_t>(address);
            s.placed = true;
        }
    }

    std::unique_ptr<MappedCode> map() {
        std::uint64_t group_size[placement_groups] = {};
        for (Section &s : sections_) {
            if (s.placement == Placement::None)
                continue;
            std::uint64_t &size = group_size[group_of(s.placement)];
            size = align_up(size, s.header.sh_addralign ? s.header.sh_addralign : 1);
            s.offset = size;   // within its group, for now
            size += s.header.sh_size;
            if (size > max_image_size)
                throw Unsupported{"the sections take more than " + std::to_string(max_image_size) + " bytes"};
        }
        std::uint64_t &code_size = group_size[group_of(Placement::Code)];
        code_size = align_up(code_size, stub_size);
        stubs_offset_ = code_size;
        code_size += stubs_ * stub_size;
        std::uint64_t &read_only_size = group_size[group_of(Placement::ReadOnly)];
        read_only_size = align_up(read_only_size, got_entry_size);
        got_offset_ = read_only_size;   // within the group, for now
        read_only_size += got_entries_ * got_entry_size;

        std::uint64_t page = page_size();
        for (int g = 0; g < placement_groups; ++g) {
            group_start_[g] = image_size_;
            image_size_ += align_up(group_size[g], page);
        }
        got_offset_ += group_start_[group_of(Placement::ReadOnly)];
        if (image_size_ == 0)
            image_size_ = page;   // the function's section may be empty; a mapping may not
        void *base = mmap(nullptr, image_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            throw Unsupported{"mapping " + std::to_string(image_size_) + " bytes failed (" + std::strerror(errno) + ")"};
        auto code = std::make_unique<MappedCode>(base, image_size_);
        unsigned char *image = code->base();
        for (Section &s : sections_) {
            if (s.placement == Placement::None)
                continue;
            s.offset += group_start_[group_of(s.placement)];
            if (s.header.sh_type != SHT_NOBITS)   // NOBITS (.bss) stays as mmap zeroed it
                std::memcpy(image + s.offset, bytes_.at(s.header.sh_offset), s.header.sh_size);
        }
        for (Symbol &s : symbols_)
            if (!s.undefined() && !s.placed && s.section < sections_.size() &&
                sections_[s.section].placement != Placement::None) {
                s.address = reinterpret_cast<std::uint64_t>(image + sections_[s.section].offset + s.value);
                s.placed = true;
            }
        for (const Symbol &s : symbols_) {
            if (s.got >= 0)
                std::memcpy(image + got_offset_ + s.got * got_entry_size, &s.address, got_entry_size);
            if (s.stub >= 0) {
                unsigned char *stub = image + stubs_offset_ + s.stub * stub_size;
                std::int64_t displacement = static_cast<std::int64_t>(got_offset_ + s.got * got_entry_size) -
                                            static_cast<std::int64_t>(stubs_offset_ + s.stub * stub_size + 6);
                auto rel32 = static_cast<std::int32_t>(displacement);   // within the mapping, below 2 GiB
                const unsigned char jmp[2] = {0xff, 0x25};             // jmp *rel32(%rip)
                std::memcpy(stub, jmp, 2);
                std::memcpy(stub + 2, &rel32, 4);
                std::memset(stub + 6, 0xcc, stub_size - 6);   // int3
            }
        }
        return code;
    }

    void relocate(unsigned char *image) const {
        for (const Relocation &r : relocations_) {
            unsigned char *place = image + r.target->offset + r.offset;
            const Symbol &s = symbols_[r.symbol];
            auto P = reinterpret_cast<std::uint64_t>(place);
            std::uint64_t S = s.address;
            auto A = static_cast<std::uint64_t>(r.addend);
            auto where = [&] { return std::string(r.target->name) + "+" + hex(r.offset); };
            auto write32 = [&](std::uint64_t value) {
                auto v = static_cast<std::uint32_t>(value);
                std::memcpy(place, &v, 4);
            };
            auto write_pc32 = [&](std::uint64_t target) {
                auto delta = static_cast<std::int64_t>(target + A - P);
                if (!fits_int32(delta))
                    throw Unsupported{"the reference at " + where() + " to '" + std::string(s.name) +
                                      "' is out of 32-bit range"};
                write32(static_cast<std::uint64_t>(delta));
            };
            switch (r.type) {
            case R_X86_64_64: {
                std::uint64_t v = S + A;
                std::memcpy(place, &v, 8);
                break;
            }
            case R_X86_64_PC64: {
                std::uint64_t v = S + A - P;
                std::memcpy(place, &v, 8);
                break;
            }
            case R_X86_64_PC32:
                write_pc32(S);
                break;
            case R_X86_64_PLT32: {
                /* A call out of the object goes straight to its target when that is near
                   enough, else through the stub, which reaches anywhere. */
                bool direct = s.stub < 0 ||
                              (options_.direct_external_calls && fits_int32(static_cast<std::int64_t>(S + A - P)));
                write_pc32(direct ? S : reinterpret_cast<std::uint64_t>(image + stubs_offset_ + s.stub * stub_size));
                break;
            }
            case R_X86_64_GOTPCREL:
            case R_X86_64_GOTPCRELX:
            case R_X86_64_REX_GOTPCRELX:
                write_pc32(reinterpret_cast<std::uint64_t>(image + got_offset_ + s.got * got_entry_size));
                break;
            case R_X86_64_32: {
                std::uint64_t v = S + A;
                if (v > UINT32_MAX)
                    throw Unsupported{"the 32-bit absolute reference at " + where() + " to '" + std::string(s.name) +
                                      "' does not fit"};
                write32(v);
                break;
            }
            case R_X86_64_32S: {
                auto v = static_cast<std::int64_t>(S + A);
                if (!fits_int32(v))
                    throw Unsupported{"the 32-bit signed absolute reference at " + where() + " to '" +
                                      std::string(s.name) + "' does not fit"};
                write32(static_cast<std::uint64_t>(v));
                break;
            }
            default:   // read_relocations let only the types above through
                break;
            }
        }
    }

    /* Code RX, read-only data and the GOT R; writable data stays RW. x86 keeps its
       instruction cache coherent with stores, so no flush is needed here (another
       architecture would need one before the code runs). */
    void protect(unsigned char *image) const {
        const int protection[placement_groups] = {PROT_READ | PROT_EXEC, PROT_READ, PROT_READ | PROT_WRITE};
        for (int g = 0; g < placement_groups; ++g) {
            std::uint64_t end = g + 1 < placement_groups ? group_start_[g + 1] : image_size_;
            if (end > group_start_[g] && protection[g] != (PROT_READ | PROT_WRITE) &&
                mprotect(image + group_start_[g], end - group_start_[g], protection[g]) != 0)
                throw Unsupported{std::string("protecting the loaded code failed (") + std::strerror(errno) + ")"};
        }
    }

    Bytes bytes_;
    const ObjectSymbolResolver &resolve_;
    const ObjectLoaderOptions &options_;
    Elf64_Ehdr header_{};
    std::vector<Section> sections_;
    std::size_t symtab_index_ = 0;
    std::vector<Symbol> symbols_;
    std::vector<Relocation> relocations_;
    long got_entries_ = 0, stubs_ = 0;
    std::uint64_t group_start_[placement_groups] = {};
    std::uint64_t image_size_ = 0, stubs_offset_ = 0, got_offset_ = 0;
};

} // namespace

std::unique_ptr<JitCode> load_elf_object(const std::string &object, const ObjectSymbolResolver &resolve,
                                         const std::string &function_symbol, const std::string &thunk_symbol,
                                         std::string &declined, const ObjectLoaderOptions &options) {
    try {
        std::unique_ptr<JitCode> code = ObjectLoader(object, resolve, options).load(function_symbol, thunk_symbol);
        code->object = object;
        return code;
    } catch (Unsupported &unsupported) {
        declined = std::move(unsupported.reason);
        return nullptr;
    }
}

#else

std::unique_ptr<JitCode> load_elf_object(const std::string &, const ObjectSymbolResolver &, const std::string &,
                                         const std::string &, std::string &declined, const ObjectLoaderOptions &) {
    declined = "the direct loader handles x86-64 ELF hosts only";
    return nullptr;
}

#endif

} // namespace nativecall::jit
