// The cfunc compiler pipeline: parse → select function → infer types → lower through codegen → load with the engine.
#include <atomic>
#include <functional>
#include <mutex>

#include "codegen/codegen.h"
#include "engine/engine.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/jit/frontend.h"

namespace nativecall::jit {

GlobalValue GlobalValue::of_constant(ConstantValue value) {
    GlobalValue g;
    g.kind = Kind::Constant;
    g.constant = std::move(value);
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
    /* `build_many` makes the loop entry (or returns null) the first time it is asked for. */
    JitCompiledFunction(std::unique_ptr<JitCode> code, Signature signature, std::string name,
                        std::function<std::unique_ptr<JitCode>()> build_many = nullptr)
        : code_(std::move(code)), signature_(std::move(signature)), name_(std::move(name)),
          build_many_(std::move(build_many)) {}
    void *address() const override { return code_->function; }
    void *thunk() const override { return code_->thunk; }
    const std::string &llvm_ir() const override { return code_->optimized_ir; }
    const Signature &signature() const override { return signature_; }
    const std::string &name() const override { return name_; }
    /* Built on first use: it costs several times the scalar compile and only integrate uses it. */
    void *many_address() const override {
        std::call_once(many_built_, [this] {
            if (build_many_)
                many_ = build_many_();
            build_many_ = nullptr;   // releases the AST it held
        });
        return many_ ? many_->function : nullptr;
    }

private:
    std::unique_ptr<JitCode> code_;
    Signature signature_;
    std::string name_;
    mutable std::function<std::unique_ptr<JitCode>()> build_many_;
    mutable std::once_flag many_built_;
    mutable std::unique_ptr<JitCode> many_;   // the vectorised loop entry, when there is one
};

/* Symbols must be unique across the process-wide JIT. */
std::string unique_symbol(const std::string &name) {
    static std::atomic<std::uint64_t> counter{0};
    return "nativecall_cfunc_" + std::to_string(++counter) + "_" + name;
}

/* The loop entry for integrand signatures (CompiledFunction::many_address). It is
   a module of its own with a private copy of the body, lowered again, so the scalar
   entry is optimised exactly as without it and only the loop meets the vectorizer. */
std::unique_ptr<JitCode> compile_many(const TypedFunction &typed, const Registry &registry,
                                      const CompileOptions &options, const std::string &symbol) {
    std::unique_ptr<CodegenUnit> unit = CodegenUnit::create(symbol + "_many");
    ir::Builder &builder = unit->define_function(symbol + "_body", typed.signature);
    lower_function(typed, builder, registry, options.debug);
    unit->define_many(symbol + "_many");
    std::string problems = unit->verify();
    if (!problems.empty())
        throw Error("internal compiler error: invalid IR for the loop entry of '" + typed.def->name + "': " + problems);
    return load_vectorised(std::move(unit), symbol + "_many", options.opt_level);
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

    const Registry &registry = Registry::builtins();
    TypedFunction typed = infer_types(module, request.function_name, request.signature, request.globals, registry);

    std::string symbol = unique_symbol(typed.def->name);
    std::unique_ptr<CodegenUnit> unit = CodegenUnit::create(symbol);
    ir::Builder &builder = unit->define_function(symbol, request.signature);
    lower_function(typed, builder, registry, request.options.debug);
    unit->define_thunk(symbol + "_thunk");
    std::string problems = unit->verify();
    if (!problems.empty())
        throw Error("internal compiler error: invalid IR for '" + typed.def->name + "': " + problems);
    auto code = load_into_process(std::move(unit), symbol, symbol + "_thunk", request.options.opt_level);
    std::function<std::unique_ptr<JitCode>()> build_many;
    /* Unoptimised code is for debugging: it keeps to the scalar entry. */
    if (request.options.opt_level > 0 && has_loop_entry(request.signature))
        build_many = [typed, &registry, options = request.options, symbol] {
            return compile_many(typed, registry, options, symbol);
        };
    return std::make_shared<JitCompiledFunction>(std::move(code), request.signature, typed.def->name,
                                                 std::move(build_many));
}

} // namespace nativecall::jit
