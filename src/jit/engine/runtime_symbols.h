// The external symbols compiled code may call (libm, memory functions, nativecall's runtime helpers), bound to this process's definitions; no LLVM here.
#pragma once

#include <string>
#include <vector>

#include "engine.h"

namespace nativecall::jit {

/* One symbol compiled code may reference, and the definition it binds to. */
struct RuntimeSymbol {
    const char *name;   // as object code names it (ELF: no prefix)
    void *address;      // this process's definition
};

/* Every runtime symbol, bound to this process's definitions rather than looked up by name
   (numba's llvmlite may share the process and define the same names). */
const std::vector<RuntimeSymbol> &runtime_symbols();

/* The runtime symbol named `name`, or nullptr when it is not one. */
void *find_runtime_symbol(const std::string &name);

/* What `name` resolves to in the process's global symbol scope (dlsym), or nullptr: for
   what object code names that is neither an import nor a runtime symbol (compiler-rt helpers). */
void *find_process_symbol(const std::string &name);

/* How every loader binds an object file's undefined symbol `name`: the function's imports
   first, then the runtime symbols, then libmvec for its _ZGV* names, then the process.
   nullptr when none defines it. */
void *resolve_object_symbol(const ImportMap &imports, const std::string &name);

} // namespace nativecall::jit
