// The cfunc compiler pipeline: parse → select function → infer types → lower through codegen → load with the engine.
#include <atomic>

#include "codegen/codegen.h"
#include "engine/engine.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/jit/extending.h"
#include "nativecall/jit/frontend.h"

namespace nativecall::jit {

GlobalValue GlobalValue::of_constant(ConstantValue value) {
    GlobalValue g;
    g.kind = Kind::Constant;
    g.constant = std::move(value);
    return g;
}
GlobalValue GlobalValue::of_constant(TypeRef type, ConstantValue value) {
    GlobalValue g = of_constant(std::move(value));
    g.type = type;
    return g;
}
GlobalValue GlobalValue::of_module(std::string module_name) {
    GlobalValue g;
    g.kind = Kind::Module;
    g.name = std::move(module_name);
    return g;
}
GlobalValue GlobalValue::of_function(std::string function_name) {
    GlobalValue g;
    g.kind = Kind::Function;
    g.name = std::move(function_name);
    return g;
}
GlobalValue GlobalValue::of_dtype(std::string scalar_name) {
    GlobalValue g;
    g.kind = Kind::DType;
    g.name = std::move(scalar_name);
    return g;
}
GlobalValue GlobalValue::of_dtype(TypeRef type) {
    GlobalValue g;
    g.kind = Kind::DType;
    g.name = type->str();
    g.type = type;
    return g;
}
GlobalValue GlobalValue::of_external(std::string function_name, std::uintptr_t address, Signature signature) {
    GlobalValue g;
    g.kind = Kind::External;
    g.name = std::move(function_name);
    g.address = address;
    g.signature = std::move(signature);
    return g;
}

GlobalValue GlobalValue::of_unusable(std::string description) {
    GlobalValue g;
    g.kind = Kind::Unusable;
    g.name = std::move(description);
    return g;
}

GlobalValue GlobalValue::of_self() {
    GlobalValue g;
    g.kind = Kind::Self;
    return g;
}

GlobalValue GlobalValue::of_jitable(std::shared_ptr<const JitableSource> source) {
    GlobalValue g;
    g.kind = Kind::Jitable;
    g.name = source->name;
    g.jitable = std::move(source);
    return g;
}

namespace {

class JitCompiledFunction : public CompiledFunction {
public:
    JitCompiledFunction(std::unique_ptr<JitCode> code, Signature signature, std::string name,
                        std::string function_symbol, std::string thunk_symbol, ImportMap imports)
        : code_(std::move(code)), signature_(std::move(signature)), name_(std::move(name)),
          function_symbol_(std::move(function_symbol)), thunk_symbol_(std::move(thunk_symbol)),
          imports_(std::move(imports)) {}
    void *address() const override { return code_->function; }
    void *thunk() const override { return code_->thunk; }
    const std::string &llvm_ir() const override { return code_->optimized_ir; }
    const Signature &signature() const override { return signature_; }
    const std::string &name() const override { return name_; }
    const std::string &object_code() const override { return code_->object; }
    const std::string &function_symbol() const override { return function_symbol_; }
    const std::string &thunk_symbol() const override { return thunk_symbol_; }
    const std::map<std::string, std::uintptr_t> &imports() const override { return imports_; }

private:
    std::unique_ptr<JitCode> code_;
    Signature signature_;
    std::string name_;
    std::string function_symbol_, thunk_symbol_;
    ImportMap imports_;
};

/* Symbols must be unique across the process-wide JIT. */
std::string unique_symbol(const std::string &name) {
    static std::atomic<std::uint64_t> counter{0};
    return "nativecall_cfunc_" + std::to_string(++counter) + "_" + name;
}

} // namespace

std::shared_ptr<CompiledFunction> compile(const CompileRequest &request) {
    if (request.options.opt_level < 0 || request.options.opt_level > 3)
        throw InvalidArgument("opt_level must be 0, 1, 2 or 3, not " + std::to_string(request.options.opt_level));
    auto source = std::make_shared<SourceFile>();
    source->text = request.source;
    source->filename = request.filename;
    source->first_line = request.first_line;
    source->column_offset = request.column_offset;
    auto module = std::make_shared<Module>(parse_module(source));

    const Registry &registry = active_registry();   // builtins first, then extensions
    TypedFunction typed = infer_types(module, request.function_name, request.signature, request.globals, registry,
                                      request.parameter_types, request.result_type);

    std::string symbol = unique_symbol(typed.def->name);
    std::unique_ptr<CodegenUnit> unit = CodegenUnit::create(symbol);
    ir::Builder &builder = unit->define_function(symbol, request.signature);
    lower_function(typed, builder, registry, request.options.debug);
    unit->define_thunk(symbol + "_thunk");
    std::string problems = unit->verify();
    if (!problems.empty())
        throw Error("internal compiler error: invalid IR for '" + typed.def->name + "': " + problems);
    ImportMap imports = unit->imports();
    auto code = load_into_process(std::move(unit), symbol, symbol + "_thunk", request.options.opt_level);
    return std::make_shared<JitCompiledFunction>(std::move(code), request.signature, typed.def->name, symbol,
                                                 symbol + "_thunk", std::move(imports));
}

std::shared_ptr<CompiledFunction> load_compiled(const LoadRequest &request) {
    auto code = load_object(request.object_code, request.imports, request.function_symbol, request.thunk_symbol);
    code->optimized_ir = request.llvm_ir;
    return std::make_shared<JitCompiledFunction>(std::move(code), request.signature, request.name,
                                                 request.function_symbol, request.thunk_symbol, request.imports);
}

} // namespace nativecall::jit
