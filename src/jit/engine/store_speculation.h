// Store speculation: `if (c) *p = v` becomes `*p = c ? v : *p` where that is provably invisible, so kernels like nbmin run branch-free.
#pragma once

#include <llvm/IR/PassManager.h>

namespace nativecall::jit {

/* A conditional store to a location the function has already written on every path
   to it becomes an unconditional store of a select, when nothing in the function can
   synchronise with another thread (no fences, atomics, or calls not marked nosync).

   Why it is legal: the earlier store proves the location writable; with no
   synchronisation in between, any other thread touching the location concurrently
   would already race with that earlier store, so a race-free program cannot tell
   "store the old value back" from "no store". Why it pays: the result of
   `result[0] = min(...)` loops written in numba's style (seed 002's nbmin) no
   longer needs a branch per element, which random data mispredicts half the time. */
class StoreSpeculationPass : public llvm::PassInfoMixin<StoreSpeculationPass> {
public:
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

} // namespace nativecall::jit
