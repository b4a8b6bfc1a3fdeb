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

} // namespace nativecall::jit
