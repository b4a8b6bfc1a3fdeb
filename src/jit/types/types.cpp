// Interned JIT types, their numba-style names, and numeric promotion at joins and in arithmetic.
#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

#include "nativecall/jit/compiler.h"   // JitableSource
#include "nativecall/jit/types.h"

namespace nativecall::jit {

std::string Type::str() const {
    switch (kind) {
    case Kind::Void: return "none";
    case Kind::Bool: return "bool";
    case Kind::Int: return (is_signed ? "int" : "uint") + std::to_string(bits);
    case Kind::Float: return "float" + std::to_string(bits);
    case Kind::Pointer: return element->kind == Kind::Void ? "voidptr" : "CPointer(" + element->str() + ")";
    case Kind::Array:
        return "array(" + element->str() + ", " + std::to_string(ndim) + "d, " + std::string(1, layout) + ")";
    case Kind::Tuple: {
        std::string text = "Tuple(";
        for (std::size_t i = 0; i < members.size(); ++i)
            text += (i ? ", " : "") + members[i]->str();
        return text + (members.size() == 1 ? ",)" : ")");
    }
    case Kind::Range: return "range_state64";
    case Kind::Iterator: return "iter(" + element->str() + ")";
    case Kind::Combined: {
        std::string text = name + "(";
        for (std::size_t i = 0; i < members.size(); ++i)
            text += (i ? ", " : "") + members[i]->str();
        return text + ")";
    }
    case Kind::Module: return "Module(" + name + ")";
    case Kind::Function: return "Function(" + name + ")";
    case Kind::External: return "cfunc " + name + " " + signature->numba_spelling();
    case Kind::DType: return "dtype(" + element->str() + ")";
    case Kind::Jitable: return "jitable " + name;
    case Kind::Record: {
        /* numba's spelling: Record(a[type=int32;offset=0],b[type=nestedarray(float32, (7,));offset=8];36;4) */
        std::string text = "Record(";
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const RecordField &f = fields[i];
            std::string member = f.type->str();
            if (!f.shape.empty()) {
                std::string dims;
                for (std::int64_t extent : f.shape)
                    dims += std::to_string(extent) + ",";
                if (f.shape.size() > 1)
                    dims.pop_back();
                member = "nestedarray(" + member + ", (" + dims + "))";
            }
            text += (i ? "," : "") + f.name + "[type=" + member + ";offset=" + std::to_string(f.offset) + "]";
        }
        return text + ";" + std::to_string(size) + ";" + std::to_string(align) + ")";
    }
    case Kind::Method: return "BoundFunction(" + name + " for " + element->str() + ")";
    case Kind::Custom: return name;
    }
    return "?";
}

const RecordField *Type::field(const std::string &field_name) const {
    for (const RecordField &f : fields)
        if (f.name == field_name)
            return &f;
    return nullptr;
}

namespace types {
namespace {

/* One table for the process: compiles on several threads intern concurrently. */
std::mutex intern_mutex;
std::map<std::string, std::unique_ptr<Type>> &intern_table() {
    static std::map<std::string, std::unique_ptr<Type>> table;
    return table;
}

std::string identity_key(const Type &t) {
    std::string key = std::to_string(static_cast<int>(t.kind)) + ":" + std::to_string(t.bits) +
                      (t.is_signed ? "s" : "u") + ":" + std::to_string(t.ndim) + t.layout + ":" + t.name +
                      ":" + std::to_string(t.address) + ":" +
                      std::to_string(reinterpret_cast<std::uintptr_t>(t.element));
    for (TypeRef m : t.members)
        key += "," + std::to_string(reinterpret_cast<std::uintptr_t>(m));
    if (t.kind == Kind::Record) {
        key += ";" + std::to_string(t.size) + "/" + std::to_string(t.align);
        for (const RecordField &f : t.fields) {
            key += ";" + f.name + "@" + std::to_string(f.offset) + ":" +
                   std::to_string(reinterpret_cast<std::uintptr_t>(f.type));
            for (std::int64_t extent : f.shape)
                key += "x" + std::to_string(extent);
        }
    }
    return key;
}

TypeRef intern(Type prototype) {
    std::string key = identity_key(prototype);
    std::lock_guard<std::mutex> lock(intern_mutex);
    auto &slot = intern_table()[key];
    if (!slot)
        slot = std::make_unique<Type>(std::move(prototype));
    return slot.get();
}

Type make(Kind kind) {
    Type t;
    t.kind = kind;
    return t;
}
} // namespace

TypeRef void_() { return intern(make(Kind::Void)); }
TypeRef boolean() { return intern(make(Kind::Bool)); }
TypeRef integer(int bits, bool is_signed) {
    Type t = make(Kind::Int);
    t.bits = static_cast<std::uint8_t>(bits);
    t.is_signed = is_signed;
    return intern(std::move(t));
}
TypeRef floating(int bits) {
    Type t = make(Kind::Float);
    t.bits = static_cast<std::uint8_t>(bits);
    return intern(std::move(t));
}
TypeRef int64() { return integer(64, true); }
TypeRef float64() { return floating(64); }
TypeRef pointer(TypeRef element) {
    Type t = make(Kind::Pointer);
    t.element = element;
    return intern(std::move(t));
}
TypeRef voidptr() { return pointer(void_()); }
TypeRef array(TypeRef dtype, int ndim, char layout) {
    Type t = make(Kind::Array);
    t.element = dtype;
    t.ndim = ndim;
    t.layout = layout;
    return intern(std::move(t));
}
TypeRef tuple(const std::vector<TypeRef> &members) {
    Type t = make(Kind::Tuple);
    t.members = members;
    return intern(std::move(t));
}
TypeRef range() { return intern(make(Kind::Range)); }
TypeRef iterator(TypeRef source) {
    Type t = make(Kind::Iterator);
    t.element = source;
    return intern(std::move(t));
}
TypeRef combined(const std::string &name, const std::vector<TypeRef> &sources) {
    Type t = make(Kind::Combined);
    t.name = name;
    t.members = sources;
    return intern(std::move(t));
}
TypeRef module(const std::string &name) {
    Type t = make(Kind::Module);
    t.name = name;
    return intern(std::move(t));
}
TypeRef function(const std::string &name) {
    Type t = make(Kind::Function);
    t.name = name;
    return intern(std::move(t));
}
TypeRef external(const std::string &name, const Signature &signature, std::uintptr_t address) {
    Type t = make(Kind::External);
    t.name = name;
    t.address = address;
    t.signature = std::make_shared<Signature>(signature);
    return intern(std::move(t));
}
TypeRef jitable(const std::shared_ptr<const JitableSource> &source) {
    Type t = make(Kind::Jitable);
    t.name = source->name;
    /* Identity is the declaration: the address field keys the intern table. */
    t.address = reinterpret_cast<std::uintptr_t>(source.get());
    t.jitable = source;
    return intern(std::move(t));
}
TypeRef custom(const std::string &name, const std::vector<TypeRef> &model) {
    Type t = make(Kind::Custom);
    t.name = name;
    t.members = model;
    return intern(std::move(t));
}
TypeRef dtype(TypeRef scalar) {
    Type t = make(Kind::DType);
    t.element = scalar;
    return intern(std::move(t));
}

std::size_t size_of(TypeRef type) {
    switch (type->kind) {
    case Kind::Bool: return 1;
    case Kind::Int:
    case Kind::Float: return type->bits / 8u;
    case Kind::Pointer: return sizeof(void *);
    case Kind::Record: return type->size;
    default: throw InvalidArgument(type->str() + " has no size in memory");
    }
}

std::size_t align_of(TypeRef type) { return type->kind == Kind::Record ? type->align : size_of(type); }

TypeRef record(const std::string &name, std::vector<RecordField> fields, std::size_t size, std::size_t align) {
    std::string label = name.empty() ? "the record" : "'" + name + "'";
    if (align == 0 || (align & (align - 1)) != 0 || size % align != 0)
        throw InvalidArgument(label + ": alignment " + std::to_string(align) +
                              " must be a power of two that divides the size " + std::to_string(size));
    std::sort(fields.begin(), fields.end(),
              [](const RecordField &a, const RecordField &b) { return a.offset < b.offset; });
    std::set<std::string> names;
    std::size_t end_of_previous = 0;
    for (const RecordField &f : fields) {
        std::string where = label + ", field '" + f.name + "'";
        if (f.name.empty() || !names.insert(f.name).second)
            throw InvalidArgument(where + ": field names must be non-empty and unique");
        Kind k = f.type ? f.type->kind : Kind::Void;
        if (k != Kind::Bool && k != Kind::Int && k != Kind::Float && k != Kind::Pointer && k != Kind::Record)
            throw InvalidArgument(where + ": type " + (f.type ? f.type->str() : std::string("none")) +
                                  " cannot be a member (expected a number, a pointer, a record or an array of these)");
        /* The member's bytes, computed without wrapping around: an extent too large for the
           record is refused here rather than overflowing into a small size. */
        std::size_t bytes = size_of(f.type);
        for (std::int64_t extent : f.shape) {
            if (extent <= 0)
                throw InvalidArgument(where + ": array extents must be positive, got " + std::to_string(extent));
            if (bytes != 0 && static_cast<std::size_t>(extent) > SIZE_MAX / bytes)
                throw InvalidArgument(where + ": an array of extent " + std::to_string(extent) +
                                      " does not fit in the record's size " + std::to_string(size));
            bytes *= static_cast<std::size_t>(extent);
        }
        /* Members at their natural alignment, no overlap: what a C compiler lays out
           without packing pragmas (packed structs and unions are refused). */
        if (f.offset % align_of(f.type) != 0)
            throw InvalidArgument(where + " at offset " + std::to_string(f.offset) + " is not aligned to its " +
                                  std::to_string(align_of(f.type)) + " bytes (packed layouts are not supported)");
        if (f.offset < end_of_previous)
            throw InvalidArgument(where + " at offset " + std::to_string(f.offset) +
                                  " overlaps the previous field (unions are not supported)");
        if (f.offset > size || bytes > size - f.offset)
            throw InvalidArgument(where + (bytes <= SIZE_MAX - f.offset
                                               ? " ends at byte " + std::to_string(f.offset + bytes)
                                               : " at offset " + std::to_string(f.offset) + " takes " +
                                                     std::to_string(bytes) + " bytes") +
                                  ", past the record's size " + std::to_string(size));
        end_of_previous = f.offset + bytes;
    }
    Type t = make(Kind::Record);
    t.name = name;
    t.fields = std::move(fields);
    t.size = size;
    t.align = align;
    return intern(std::move(t));
}

TypeRef method(TypeRef receiver, const std::string &name) {
    Type t = make(Kind::Method);
    t.element = receiver;
    t.name = name;
    return intern(std::move(t));
}

TypeRef from_ctype(const CType &ctype) {
    switch (ctype.kind) {
    case TypeKind::Void: return void_();
    case TypeKind::Bool: return boolean();
    case TypeKind::Int: return integer(ctype.size * 8, ctype.is_signed);
    case TypeKind::Float:
        if (ctype.size != 4 && ctype.size != 8)
            throw InvalidArgument("cfunc signatures cannot use '" + ctype.spelling +
                                  "': only float32 and float64 floating-point types are supported");
        return floating(ctype.size * 8);
    case TypeKind::Pointer: return pointer(ctype.pointee ? from_ctype(*ctype.pointee) : void_());
    }
    return void_();
}

TypeRef scalar_by_name(const std::string &name) {
    static const std::map<std::string, std::pair<char, int>> names = {
        {"bool", {'b', 8}},     {"boolean", {'b', 8}}, {"bool_", {'b', 8}},
        {"int8", {'i', 8}},     {"int16", {'i', 16}},  {"int32", {'i', 32}},   {"int64", {'i', 64}},
        {"uint8", {'u', 8}},    {"uint16", {'u', 16}}, {"uint32", {'u', 32}},  {"uint64", {'u', 64}},
        {"intc", {'i', 32}},    {"uintc", {'u', 32}},  {"intp", {'i', 64}},    {"uintp", {'u', 64}},
        {"int_", {'i', 64}},    {"byte", {'i', 8}},    {"short", {'i', 16}},   {"long", {'i', 64}},
        {"longlong", {'i', 64}}, {"float32", {'f', 32}}, {"float64", {'f', 64}}, {"double", {'f', 64}},
        {"float", {'f', 64}},   {"float_", {'f', 64}}, {"single", {'f', 32}},  {"int", {'i', 64}},
    };
    auto it = names.find(name);
    if (it == names.end())
        return nullptr;
    switch (it->second.first) {
    case 'b': return boolean();
    case 'f': return floating(it->second.second);
    default: return integer(it->second.second, it->second.first == 'i');
    }
}

TypeRef arithmetic_result(TypeRef a, TypeRef b) {
    if (!a->is_number() || !b->is_number())
        return nullptr;
    if (a->kind == Kind::Float || b->kind == Kind::Float) {
        /* float32 stays float32 only against float32 (numba); anything else computes in float64. */
        bool both_f32 = a->kind == Kind::Float && a->bits == 32 && b->kind == Kind::Float && b->bits == 32;
        return floating(both_f32 ? 32 : 64);
    }
    bool both_unsigned = a->kind == Kind::Int && !a->is_signed && b->kind == Kind::Int && !b->is_signed;
    return integer(64, !both_unsigned);
}

TypeRef unify(TypeRef a, TypeRef b) {
    if (a == b)
        return a;
    if (!a)
        return b;
    if (!b)
        return a;
    if (a->is_number() && b->is_number())
        return arithmetic_result(a, b);
    if (a->kind == Kind::Tuple && b->kind == Kind::Tuple && a->members.size() == b->members.size()) {
        std::vector<TypeRef> members;
        for (std::size_t i = 0; i < a->members.size(); ++i) {
            TypeRef m = unify(a->members[i], b->members[i]);
            if (!m)
                return nullptr;
            members.push_back(m);
        }
        return tuple(members);
    }
    return nullptr;
}

} // namespace types
} // namespace nativecall::jit
