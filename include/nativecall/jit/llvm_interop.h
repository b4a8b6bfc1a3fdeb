// Opt-in LLVM access for C++ extensions: the only public header that includes LLVM (link LLVM 19 yourself).
#pragma once

/* Every other nativecall header is free of LLVM. Include this one only in code that is
   compiled against LLVM 19's headers and linked with libLLVM (the same LLVM nativecall
   uses): it lets a lowering registered through nativecall/jit/extending.h emit IR with
   llvm::IRBuilder, the counterpart of numba's lower_builtin / lower_getattr / lower_cast /
   lower_constant written against llvmlite's IRBuilder. */
#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Value.h>

#include "nativecall/jit/ir_builder.h"

namespace nativecall::jit::llvm_interop {

/* The llvm::IRBuilder behind the builder a lowering receives (LoweringContext::b()).
   Its insertion point is the lowering's: what you emit lands where the lowering stands,
   and if you move to another block, lowering continues there. Its module
   (GetInsertBlock()->getModule()) is the cfunc's; declare any C function you call in it
   and make sure the symbol resolves in the process (the engine looks symbols up in the
   loaded libraries). Throws nativecall::InvalidArgument for an ir::Builder that is not
   backed by LLVM (a test double). */
llvm::IRBuilder<> &ir_builder(ir::Builder &builder);

/* Values and blocks cross unchanged: an ir::Value holds an llvm::Value *, an ir::BlockRef
   an llvm::BasicBlock *. Each lowered part must keep the machine type of its part in the
   data model (LoweringContext::parts): i1 for bool, iN, float/double, ptr. */
inline llvm::Value *to_llvm(ir::Value value) { return static_cast<llvm::Value *>(value.handle); }
inline ir::Value from_llvm(llvm::Value *value) { return ir::Value{value}; }
inline llvm::BasicBlock *to_llvm(ir::BlockRef block) { return static_cast<llvm::BasicBlock *>(block.handle); }
inline ir::BlockRef from_llvm(llvm::BasicBlock *block) { return ir::BlockRef{block}; }

} // namespace nativecall::jit::llvm_interop
