// Codegen's interface to the rest of the compiler: build one module (function + call thunk) without seeing LLVM.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/ir_builder.h"
#include "nativecall/signature.h"

namespace nativecall::jit {

/* The function attribute that marks a MirroredSum loop for the engine's negation hoisting. */
inline constexpr const char *kHoistNegationsAttribute = "nativecall-hoist-negations";

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
    /* When has_loop_entry(signature): makes the function defined above (its body
       complete) a private, always-inlined body and adds `void symbol(const double *x,
       double *fx, int64 n, <the scalar function's other parameters>)` filling
       fx[i] = f(x[i]) in a loop the vectorizer can widen (the packed forms see x[i]
       in xx[0], which is restored on return; x, fx and xx must not overlap).
       With LoopValue::MirroredSum it fills fx[i] = f(x[i]) + f(-x[i]) instead,
       evaluating x[i] then -x[i]. Returns false, adding nothing, for any other signature. */
    virtual bool define_many(const std::string &symbol, LoopValue value = LoopValue::Value) = 0;
};

/* True for the scalar integrand signatures double(double), double(double, void *),
   double(int, double *) and double(int, double *, void *). */
bool has_loop_entry(const Signature &signature);

} // namespace nativecall::jit
