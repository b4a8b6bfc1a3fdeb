// Math written in LLVM IR for the vectorised loop entries: branch-free scalar code the loop vectorizer widens and inlines, in place of a call per vector to libmvec.
#pragma once

#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>

namespace nativecall::jit {

/* exp(x) for a double (or a vector of doubles) as straight-line IR at the builder's
   insertion point: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, a degree-11
   polynomial for exp(r), and 2^n applied in two steps, the first exact and the second
   rounding once, so that overflow gives +inf and subnormal results come out of one
   multiplication. Error against the exact value, for normal results: about 1.03 ulp
   at most with FMA and 1.28 ulp without by the error budget in tests/cpp/jit/test_loop_entry.cpp
   (0.91 and 1.18 measured); subnormal results round the polynomial's already rounded
   value a second time, below 1.02 (1.14) subnormal ulp. Either way every result is the
   correctly rounded one or a neighbour. exp(-inf) = 0, exp(+inf) = +inf, a NaN comes out as the same
   (quietened) NaN. `fused` says whether to use llvm.fma (only where the host has it:
   elsewhere llvm.fma becomes a library call per lane). vector_math_exp.h holds the
   constants and a scalar model of the same operations. */
llvm::Value *emit_exp(llvm::IRBuilder<> &b, llvm::Value *x, bool fused);

/* Replaces every llvm.exp.f64 call in `body` by emit_exp, with FMA when this host has it.
   Returns how many calls it replaced. */
int inline_exp_calls(llvm::Function &body);

/* After optimisation: every splat vector constant (doubles or 64-bit integers) that
   an instruction of `f` uses is loaded from a constant global of its own, at the use.
   x86 without AVX-512 materialises splat constants as broadcasts into registers; a
   vectorised exp holds more of them than there are registers, so the loop reloads
   them with one broadcast instruction each, every iteration. A full-width load in
   the same block folds into the instruction as a memory operand instead. Does this on
   AVX hosts without AVX-512 only. Returns how many uses it rewrote. */
int load_vector_constants(llvm::Function &f);

/* True when the CPU this process runs on has fused multiply-add (what code generation
   targets: the engine compiles for the host). */
bool host_has_fma();

/* How many doubles one vector register of this host holds: 8 with AVX-512, 4 with AVX,
   2 with SSE2 or NEON (and 2 where we do not know). */
int host_vector_doubles();

} // namespace nativecall::jit
