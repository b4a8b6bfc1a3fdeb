// Codegen's interface to the rest of the compiler: build one module (function + call thunk) without seeing LLVM.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nativecall/jit/ir_builder.h"
#include "nativecall/signature.h"

namespace nativecall::jit {

/* One module under construction: the compiled function and its call thunk. */
class CodegenUnit {
public:
    static std::unique_ptr<CodegenUnit> create(const std::string &module_name);
    virtual ~CodegenUnit() = default;

    /* Declares `symbol` with the C ABI of `signature` and returns the builder that
       fills its body (valid while the unit lives). */
    virtual ir::Builder &define_function(const std::string &symbol, const Signature &signature) = 0;
    /* Adds `void thunk(void **args, void *result)` calling the function defined above. */
    virtual void define_thunk(const std::string &symbol) = 0;
    /* Problems LLVM's verifier finds (a compiler bug, never a user error); empty when none. */
    virtual std::string verify() = 0;
    /* The symbols calls to native code by address went through (ir::Builder::call_address),
       each with the address it stands for: object code names its callees, so it can be
       loaded again where they live elsewhere. */
    virtual const std::map<std::string, std::uintptr_t> &imports() const = 0;
};

} // namespace nativecall::jit
