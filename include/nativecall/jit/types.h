// The JIT's type model: interned types (scalars, pointers, array views, records, tuples, callables), compared by identity.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nativecall/signature.h"

namespace nativecall::jit {

enum class Kind : std::uint8_t {
    Void,       // no value: the result of a void function, `None`
    Bool,
    Int,        // bits 8/16/32/64, signed or not
    Float,      // bits 32/64
    Pointer,    // CPointer(element); voidptr is Pointer(Void)
    Array,      // carray/farray view: data pointer + one extent per dimension
    Tuple,      // heterogeneous, fixed length
    Range,      // range(start, stop, step) of int64
    Iterator,   // loop state over `element` (a Range, an Array, a Tuple or a Combined)
    Combined,   // enumerate(x) or zip(x, y, ...): `name` says which, `members` are the sources
    Module,     // a module seen from compiled code (math, numpy)
    Function,   // a named callable resolved by the typing registry ("abs", "math.exp")
    External,   // a native function with a known address and signature (another cfunc)
    DType,      // a scalar type used as a value (dtype=float64, np.float32(x))
    Jitable,    // a Python function compiled inline at each call site (nativecall.extending.jitable)
    Record,     // a C struct / numpy structured dtype: `fields` at byte offsets, `size`, `align`; values are references
    Method,     // a method bound to its receiver (`element`), named `name` ("sum"): called through "call"
    Custom,     // a type an extension defines (nativecall.extending.register_type): `name`; its value is `members` side by side
};

struct Type;
using TypeRef = const Type *;
struct JitableSource;   // compiler.h

/* One member of a Record: a scalar, a pointer or a nested record at a byte offset, or
   a fixed-size array of those stored inline (`shape` non-empty, C order). */
struct RecordField {
    std::string name;
    std::size_t offset = 0;            // bytes from the start of the record
    TypeRef type = nullptr;            // the member, or the element of an inline array
    std::vector<std::int64_t> shape;   // empty for a plain member
};

/* One type. Instances are interned: equal types are the same object, so TypeRef
   compares with == and serves as a map key. Build them through the functions in
   `types::` below, never directly. */
struct Type {
    Kind kind = Kind::Void;
    std::uint8_t bits = 0;                 // Int, Float
    bool is_signed = false;                // Int
    TypeRef element = nullptr;             // Pointer pointee, Array dtype, Iterator source, DType scalar
    int ndim = 0;                          // Array
    char layout = 'C';                     // Array: 'C' (row-major) or 'F' (column-major)
    std::vector<TypeRef> members;          // Tuple, Combined
    std::string name;                      // Module, Function, External: qualified name
    std::shared_ptr<const Signature> signature;   // External
    std::uintptr_t address = 0;            // External
    std::shared_ptr<const JitableSource> jitable;   // Jitable: its source and globals
    std::vector<RecordField> fields;       // Record, in offset order
    std::size_t size = 0;                  // Record: sizeof, padding included
    std::size_t align = 0;                 // Record: alignof

    /* The field called `field_name` of a Record, or nullptr. */
    const RecordField *field(const std::string &field_name) const;

    /* numba's spelling: "float64", "CPointer(float64)", "array(float64, 2d, C)", "UniTuple(int64 x 2)". */
    std::string str() const;

    bool is_number() const { return kind == Kind::Bool || kind == Kind::Int || kind == Kind::Float; }
    /* True for kinds that lower to no machine values (modules, named functions, dtypes). */
    bool is_compile_time_only() const {
        return kind == Kind::Module || kind == Kind::Function || kind == Kind::External ||
               kind == Kind::DType || kind == Kind::Jitable || kind == Kind::Void;
    }
};

namespace types {
TypeRef void_();
TypeRef boolean();
TypeRef integer(int bits, bool is_signed);
TypeRef floating(int bits);
TypeRef int64();
TypeRef float64();
TypeRef pointer(TypeRef element);
TypeRef voidptr();
TypeRef array(TypeRef dtype, int ndim, char layout);
TypeRef tuple(const std::vector<TypeRef> &members);
TypeRef range();
TypeRef iterator(TypeRef source);
TypeRef combined(const std::string &name, const std::vector<TypeRef> &sources);
TypeRef module(const std::string &name);
TypeRef function(const std::string &name);
TypeRef external(const std::string &name, const Signature &signature, std::uintptr_t address);
TypeRef dtype(TypeRef scalar);
TypeRef jitable(const std::shared_ptr<const JitableSource> &source);
/* A record type; `name` is for messages ("struct my_struct", a ctypes class name) and
   may be empty. Throws InvalidArgument for a layout no C compiler produces (overlapping
   or misaligned members, members past `size`, unsupported member types). */
TypeRef record(const std::string &name, std::vector<RecordField> fields, std::size_t size, std::size_t align);
TypeRef method(TypeRef receiver, const std::string &name);
/* Bytes a value of a scalar, pointer or record type occupies in memory, and its alignment. */
std::size_t size_of(TypeRef type);
std::size_t align_of(TypeRef type);
/* A custom type, known by its name; `model` is the types of the values it is made of. */
TypeRef custom(const std::string &name, const std::vector<TypeRef> &model);

/* The JIT type of a C type from a signature (int → int32, double * → CPointer(float64)). */
TypeRef from_ctype(const CType &ctype);
/* The scalar named in numba/numpy style ("float64", "intc", "double"), or nullptr. */
TypeRef scalar_by_name(const std::string &name);

/* The type both a and b convert to when they meet at a join (a variable assigned
   in two branches, the arms of a conditional expression): numba's promotion for
   numbers, identity otherwise. nullptr when they cannot meet. */
TypeRef unify(TypeRef a, TypeRef b);
/* The type arithmetic on a and b is carried out in (Python/numba rules: bool and
   small ints widen to int64, any float with an int gives float64). nullptr unless both are numbers. */
TypeRef arithmetic_result(TypeRef a, TypeRef b);
} // namespace types

} // namespace nativecall::jit
