// The LLVM-backed CodegenUnit, shared by codegen (which fills it) and the engine (which compiles it).
#pragma once

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "codegen.h"

namespace nativecall::jit {

class LlvmCodegenUnit : public CodegenUnit {
public:
    explicit LlvmCodegenUnit(const std::string &module_name);
    ~LlvmCodegenUnit() override;

    ir::Builder &define_function(const std::string &symbol, const Signature &signature) override;
    void define_thunk(const std::string &symbol) override;
    std::string verify() override;
    const std::map<std::string, std::uintptr_t> &imports() const override { return imports_; }
    /* The symbol standing for `address` in this module (declared by call_address). */
    std::string import_symbol(std::uintptr_t address);
    bool define_many(const std::string &symbol, LoopValue value = LoopValue::Value) override;
    /* Drops the builder; called before the module is handed to the JIT. */
    void finish() { builder_.reset(); }

    std::unique_ptr<llvm::LLVMContext> context;
    std::unique_ptr<llvm::Module> module;
    llvm::Function *function = nullptr;
    Signature signature;

private:
    std::unique_ptr<ir::Builder> builder_;
    std::map<std::string, std::uintptr_t> imports_;
};

} // namespace nativecall::jit
