// The instruction-building interface lowering speaks: machine-level values and blocks, with no LLVM types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nativecall/signature.h"

namespace nativecall::jit::ir {

/* Machine-level value types (LLVM's first-class scalars). */
enum class Type : std::uint8_t { Void, I1, I8, I16, I32, I64, F32, F64, Ptr };

/* Opaque handles owned by the Builder; valid while it lives. */
struct Value {
    void *handle = nullptr;
    explicit operator bool() const { return handle != nullptr; }
};
struct BlockRef {
    void *handle = nullptr;
};

enum class BinaryOp : std::uint8_t {
    Add, Sub, Mul, SDiv, UDiv, SRem, URem,   // integers (wrap on overflow)
    FAdd, FSub, FMul, FDiv, FRem,            // floats (FRem is C fmod)
    And, Or, Xor, Shl, AShr, LShr,           // bits
};

enum class Predicate : std::uint8_t {
    EQ, NE, SLT, SLE, SGT, SGE, ULT, ULE, UGT, UGE,   // integers and pointers
    FOEQ, FUNE, FOLT, FOLE, FOGT, FOGE, FUNO,          // floats: ordered except UNE/UNO, as Python compares
};

enum class CastOp : std::uint8_t { Trunc, ZExt, SExt, FPTrunc, FPExt, SIToFP, UIToFP, FPToSI, FPToUI };

/* Builds the body of one function. Lowering drives it; codegen implements it. */
class Builder {
public:
    virtual ~Builder() = default;

    virtual Value constant_int(Type type, std::int64_t value) = 0;
    virtual Value constant_float(Type type, double value) = 0;
    virtual Value null_pointer() = 0;
    virtual Value argument(int index) = 0;
    virtual Type type_of(Value value) = 0;

    virtual Value binary(BinaryOp op, Value left, Value right) = 0;
    virtual Value negate_float(Value value) = 0;
    virtual Value compare(Predicate predicate, Value left, Value right) = 0;
    virtual Value select(Value condition, Value if_true, Value if_false) = 0;
    virtual Value cast(CastOp op, Value value, Type to) = 0;

    /* An LLVM intrinsic overloaded on its result type ("sqrt" → llvm.sqrt.f64). */
    virtual Value call_intrinsic(const std::string &name, Type result, const std::vector<Value> &args) = 0;
    /* A C function resolved by the engine's symbol table (libm, runtime helpers; none
       synchronises with other threads, and the declaration says so). `pure` marks it
       free of side effects so calls can be hoisted and merged. */
    virtual Value call_symbol(const std::string &symbol, Type result, const std::vector<Type> &params,
                              const std::vector<Value> &args, bool pure) = 0;
    /* A native function at a fixed address (another cfunc), called with the C ABI of
       `abi` (small integers and bools extended as C requires). Returns a null Value for void. */
    virtual Value call_address(std::uintptr_t address, const Signature &abi, const std::vector<Value> &args) = 0;
    /* A recursive call to the function being built. Returns a null Value for void. */
    virtual Value call_self(const std::vector<Value> &args) = 0;

    /* &ptr[index] for elements of type `element`. */
    virtual Value element_pointer(Type element, Value ptr, Value index) = 0;
    virtual Value load(Type type, Value ptr) = 0;
    virtual void store(Value value, Value ptr) = 0;
    /* A stack slot in the entry block (promoted to registers by the optimiser). */
    virtual Value local(Type type) = 0;

    virtual BlockRef new_block(const std::string &name) = 0;
    virtual void set_block(BlockRef block) = 0;
    /* False when the insertion block already ends in a branch or return. */
    virtual bool block_open() = 0;
    /* False when the insertion block can never run (no predecessors, not the entry). */
    virtual bool block_reachable() = 0;
    virtual void jump(BlockRef target) = 0;
    virtual void branch(Value condition, BlockRef if_true, BlockRef if_false) = 0;
    virtual void ret(Value value) = 0;
    virtual void ret_void() = 0;
    virtual void unreachable() = 0;
};

} // namespace nativecall::jit::ir
