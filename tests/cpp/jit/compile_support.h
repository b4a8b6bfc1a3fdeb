// Test support: compile a function from source text, and the request that loads its object code again.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "nativecall/jit/compiler.h"
#include "nativecall/signature.h"

namespace nativecall::jit::test_support {

inline std::shared_ptr<CompiledFunction> compile_source(const std::string &source, const std::string &signature,
                                                        Globals globals = {}, CompileOptions options = {}) {
    CompileRequest request;
    request.source = source;
    request.filename = "test.py";
    request.signature = parse_signature(signature);
    request.globals = std::move(globals);
    request.options = options;
    return compile(request);
}

/* What a cache hit hands load_compiled: the object code and what binds it. */
inline LoadRequest reload_request(const CompiledFunction &f) {
    LoadRequest request;
    request.object_code = f.object_code();
    request.function_symbol = f.function_symbol();
    request.thunk_symbol = f.thunk_symbol();
    request.imports = f.imports();
    request.signature = f.signature();
    request.name = f.name();
    return request;
}

} // namespace nativecall::jit::test_support
