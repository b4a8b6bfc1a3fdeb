// The JIT engine's interface: optimise a codegen unit into object code, load object code into the process, free it later. No LLVM here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "../codegen/codegen.h"

namespace nativecall::jit {

/* Symbol → address of the native code an object file calls into (CodegenUnit::imports). */
using ImportMap = std::map<std::string, std::uintptr_t>;

/* Loaded machine code; destroying it frees the code (its own JITDylib). */
class JitCode {
public:
    virtual ~JitCode() = default;
    void *function = nullptr;
    void *thunk = nullptr;
    std::string optimized_ir;   // empty for a vectorised loop entry (load_vectorised)
    std::string object;   // the relocatable object file the code was loaded from
    ImportMap imports;    // what the object file's calls into other native code were bound to
};

/* Optimises `unit` at `opt_level` (0-3) for the host CPU, emits its object code, loads it
   and resolves the two symbols. Counts one codegen run. Thread-safe. Throws
   nativecall::Error when LLVM reports a failure. */
std::unique_ptr<JitCode> load_into_process(std::unique_ptr<CodegenUnit> unit, const std::string &function_symbol,
                                           const std::string &thunk_symbol, int opt_level);

/* Loads object code a previous load_into_process emitted (in this or another process),
   binding its imports to `imports`, without optimising or generating code: with the
   direct loader (object_loader.h, no LLVM runs) and, for what it declines, with JITLink.
   A buffer that is not an object file for this host, or that leaves a symbol unresolved,
   throws nativecall::Error; nothing reaches JITLink before the buffer parses. Counted in
   object_load_stats(). */
std::unique_ptr<JitCode> load_object(const std::string &object, const ImportMap &imports,
                                     const std::string &function_symbol, const std::string &thunk_symbol);

/* Like load_into_process for a unit whose `symbol` is a CodegenUnit::define_many loop,
   optimised at O2 or more with the loop vectorizer and, where glibc's libmvec is present,
   its vector variants of libm functions (within a few ulp of libm, not bit-identical).
   `function` is the loop; there is no thunk. Its imports are bound as load_object binds
   them. Counts one codegen run. */
std::unique_ptr<JitCode> load_vectorised(std::unique_ptr<CodegenUnit> unit, const std::string &symbol, int opt_level);

/* codegen_runs() and host_id() are declared in nativecall/jit/compiler.h and defined here. */

} // namespace nativecall::jit
