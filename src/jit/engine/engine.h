// The JIT engine's interface: optimise a codegen unit, load it into the process, free it later. No LLVM here.
#pragma once

#include <memory>
#include <string>

#include "../codegen/codegen.h"

namespace nativecall::jit {

/* Loaded machine code; destroying it frees the code (its own ResourceTracker). */
class JitCode {
public:
    virtual ~JitCode() = default;
    void *function = nullptr;
    void *thunk = nullptr;
    std::string optimized_ir;
};

/* Optimises `unit` at `opt_level` (0-3) for the host CPU, loads it and resolves the two
   symbols. Thread-safe. Throws nativecall::Error when LLVM reports a failure. */
std::unique_ptr<JitCode> load_into_process(std::unique_ptr<CodegenUnit> unit, const std::string &function_symbol,
                                           const std::string &thunk_symbol, int opt_level);

/* Loads a unit whose `symbol` is a CodegenUnit::define_many loop, optimised with the
   loop vectorizer and, where glibc's libmvec is present, its vector variants of libm
   functions (within a few ulp of libm, not bit-identical). `function` is the loop;
   there is no thunk. */
std::unique_ptr<JitCode> load_vectorised(std::unique_ptr<CodegenUnit> unit, const std::string &symbol, int opt_level);

} // namespace nativecall::jit
