// A direct loader for the object files the engine emits (ELF64 relocatable, x86-64, small code model): maps and relocates them without LLVM, or declines.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine.h"

namespace nativecall::jit {

/* Where an object file's undefined symbol `name` lives in this process; nullptr when
   nothing defines it (resolve_object_symbol is the engine's order). */
using ObjectSymbolResolver = std::function<void *(const std::string &name)>;

struct ObjectLoaderOptions {
    /* A call to a symbol outside the object whose target is within ±2 GiB of the call
       jumps there directly, as JITLink bypasses its stubs; false sends every such call
       through its stub (`jmp *got(%rip)`), which far targets always need. */
    bool direct_external_calls = true;
};

/* Loads `object` into one fresh mapping (code RX, then read-only data R, then writable
   data RW, plus a GOT and call stubs for external symbols), applies its relocations with
   undefined symbols bound through `resolve`, and returns the code with `function_symbol`
   and `thunk_symbol` (none when empty) resolved; the JitCode's destructor unmaps it.
   Returns nullptr with the reason in `declined` when the object uses something this loader
   does not handle (another target or format, section groups, TLS, constructors, a
   relocation type it does not know, a symbol `resolve` does not define, a reference out of
   range): the caller then links it with JITLink, so nothing gets worse. Throws
   nativecall::Error when the bytes are not a well-formed object file (an offset, size or
   index outside the buffer or its tables: "the object code does not parse: ...") or do
   not define the two symbols ("looking up the function: ..."). Never runs code from the
   object. eh-frames are not registered (see object_loader.cpp). Thread-safe. */
std::unique_ptr<JitCode> load_elf_object(const std::string &object, const ObjectSymbolResolver &resolve,
                                         const std::string &function_symbol, const std::string &thunk_symbol,
                                         std::string &declined, const ObjectLoaderOptions &options = {});

} // namespace nativecall::jit
