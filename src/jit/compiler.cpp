// The cfunc compiler pipeline: parse → select function → infer types → lower through codegen → load with the engine.
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>

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

/* A loop entry just built (code null when there is none) and its symbol in its object code. */
struct BuiltLoop {
    std::unique_ptr<JitCode> code;
    std::string symbol;
};

class JitCompiledFunction : public CompiledFunction {
public:
    /* `build_loop` makes a loop entry (or returns null) the first time it is asked for. */
    JitCompiledFunction(std::unique_ptr<JitCode> code, Signature signature, std::string name,
                        std::string function_symbol, std::string thunk_symbol, ImportMap imports,
                        std::function<BuiltLoop(LoopValue)> build_loop)
        : code_(std::move(code)), signature_(std::move(signature)), name_(std::move(name)),
          function_symbol_(std::move(function_symbol)), thunk_symbol_(std::move(thunk_symbol)),
          imports_(std::move(imports)), build_loop_(std::move(build_loop)) {}
    void *address() const override { return code_->function; }
    void *thunk() const override { return code_->thunk; }
    const std::string &llvm_ir() const override { return code_->optimized_ir; }
    const Signature &signature() const override { return signature_; }
    const std::string &name() const override { return name_; }
    const std::string &object_code() const override { return code_->object; }
    const std::string &function_symbol() const override { return function_symbol_; }
    const std::string &thunk_symbol() const override { return thunk_symbol_; }
    const std::map<std::string, std::uintptr_t> &imports() const override { return imports_; }
    /* Built on first use: each costs about twice the scalar compile and only integrate uses them. */
    void *many_address() const override { return loop(LoopValue::Value); }
    void *mirrored_sum_address() const override { return loop(LoopValue::MirroredSum); }

    std::optional<LoopObject> loop_object(LoopValue value) const override {
        const auto index = static_cast<std::size_t>(value);
        if (!loop_ready_[index].load(std::memory_order_acquire) || !loops_[index])
            return std::nullopt;
        const JitCode &code = *loops_[index];
        return LoopObject{code.object, loop_symbols_[index], code.imports};
    }

    void *adopt_loop(LoopValue value, const LoopObject &object) const override {
        if (!has_loop_entry(signature_))
            return nullptr;
        const auto index = static_cast<std::size_t>(value);
        /* Loaded before call_once, so a load that throws leaves the loop untouched (still
           built on first use) without relying on call_once's retry after an exception; a
           loop that settles meanwhile wins, and this copy is freed. */
        if (!loop_ready_[index].load(std::memory_order_acquire)) {
            std::unique_ptr<JitCode> code = load_object(object.object_code, object.imports, object.symbol, "");
            std::call_once(loop_built_[index], [&] { settle(index, std::move(code), object.symbol); });
        }
        return loops_[index] ? loops_[index]->function : nullptr;
    }

private:
    /* Each loop is built once, on its own first use, without holding up the other. A
       build that throws hands its exception to that first caller; later ones find no
       loop (the scalar entry serves them) rather than starting LLVM again each time. */
    void *loop(LoopValue value) const {
        const auto index = static_cast<std::size_t>(value);
        std::exception_ptr failure;
        std::call_once(loop_built_[index], [&] {
            BuiltLoop built;
            try {
                if (build_loop_)
                    built = build_loop_(value);
            } catch (...) {
                failure = std::current_exception();
            }
            settle(index, std::move(built.code), built.symbol);
        });
        if (failure)
            std::rethrow_exception(failure);
        return loops_[index] ? loops_[index]->function : nullptr;
    }

    /* Records loop `index` (null: none) once its build or adoption is over. */
    void settle(std::size_t index, std::unique_ptr<JitCode> code, const std::string &symbol) const {
        loops_[index] = std::move(code);
        loop_symbols_[index] = symbol;
        loop_ready_[index].store(true, std::memory_order_release);
        if (++loops_settled_ == 2)
            build_loop_ = nullptr;   // both settled: releases the AST it held
    }

    std::unique_ptr<JitCode> code_;
    Signature signature_;
    std::string name_;
    std::string function_symbol_, thunk_symbol_;
    ImportMap imports_;
    /* Called by both loops' builds, possibly at once: it must be safe for that. */
    mutable std::function<BuiltLoop(LoopValue)> build_loop_;
    mutable std::once_flag loop_built_[2];
    mutable std::atomic<int> loops_settled_{0};
    mutable std::unique_ptr<JitCode> loops_[2];   // the loop entries by LoopValue, when there are
    mutable std::string loop_symbols_[2];         // their symbols in their object code
    mutable std::atomic<bool> loop_ready_[2] = {false, false};   // loops_[i] is final (for loop_object)
};

/* Symbols must be unique across the process-wide JIT. */
std::string unique_symbol(const std::string &name) {
    static std::atomic<std::uint64_t> counter{0};
    return "nativecall_cfunc_" + std::to_string(++counter) + "_" + name;
}

/* A loop entry for integrand signatures (CompiledFunction::many_address or
   mirrored_sum_address). It is a module of its own with a private copy of the body,
   lowered again, so the scalar entry is optimised exactly as without it and only the
   loop meets the vectorizer. */
BuiltLoop compile_many(const TypedFunction &typed, const Registry &registry, const CompileOptions &options,
                       const std::string &symbol, LoopValue value) {
    const std::string loop = symbol + (value == LoopValue::MirroredSum ? "_many_mirrored" : "_many");
    std::unique_ptr<CodegenUnit> unit = CodegenUnit::create(loop);
    ir::Builder &builder = unit->define_function(loop + "_body", typed.signature);
    lower_function(typed, builder, registry, options.debug);
    unit->define_many(loop, value);
    std::string problems = unit->verify();
    if (!problems.empty())
        throw Error("internal compiler error: invalid IR for the loop entry of '" + typed.def->name + "': " + problems);
    return {load_vectorised(std::move(unit), loop, options.opt_level), loop};
}

/* Unoptimised code is for debugging: it keeps to the scalar entry. */
bool wants_loop_entry(const Signature &signature, const CompileOptions &options) {
    return options.opt_level > 0 && has_loop_entry(signature);
}

/* What builds, on first use, the loop entries of the function `typed` compiled to `symbol`
   with `registry` (a snapshot kept for the life of the process); empty when it has none. */
std::function<BuiltLoop(LoopValue)> loop_entry_builder(TypedFunction typed, const Registry &registry,
                                                        const CompileOptions &options, const std::string &symbol) {
    if (!wants_loop_entry(typed.signature, options))
        return nullptr;
    return [typed = std::move(typed), &registry, options, symbol](LoopValue value) {
        return compile_many(typed, registry, options, symbol, value);
    };
}

/* A loaded function's source request, made on the first call of get() from any
   thread (both loop builds may ask at once) and then kept. */
class SourceOnce {
public:
    explicit SourceOnce(std::function<std::shared_ptr<const CompileRequest>()> make) : make_(std::move(make)) {}
    std::shared_ptr<const CompileRequest> get() {
        std::call_once(made_, [this] {
            source_ = make_();
            make_ = nullptr;
        });
        return source_;
    }

private:
    std::function<std::shared_ptr<const CompileRequest>()> make_;
    std::once_flag made_;
    std::shared_ptr<const CompileRequest> source_;
};

/* Parsing and type inference: the stages a compile and a loop entry for loaded code share. */
TypedFunction type_request(const CompileRequest &request, const Registry &registry) {
    auto source = std::make_shared<SourceFile>();
    source->text = request.source;
    source->filename = request.filename;
    source->first_line = request.first_line;
    source->column_offset = request.column_offset;
    auto module = std::make_shared<Module>(parse_module(source));
    return infer_types(module, request.function_name, request.signature, request.globals, registry,
                       request.parameter_types, request.result_type);
}

} // namespace

std::shared_ptr<CompiledFunction> compile(const CompileRequest &request) {
    if (request.options.opt_level < 0 || request.options.opt_level > 3)
        throw InvalidArgument("opt_level must be 0, 1, 2 or 3, not " + std::to_string(request.options.opt_level));
    const Registry &registry = active_registry();   // builtins first, then extensions
    TypedFunction typed = type_request(request, registry);

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
                                                 symbol + "_thunk", std::move(imports),
                                                 loop_entry_builder(std::move(typed), registry, request.options, symbol));
}

std::shared_ptr<CompiledFunction> load_compiled(const LoadRequest &request) {
    auto code = load_object(request.object_code, request.imports, request.function_symbol, request.thunk_symbol);
    code->optimized_ir = request.llvm_ir;
    /* Object code holds no loop entry: with the source at hand it is compiled on first
       use, as for a fresh compile (codegen then, never at load), with the registry a
       compile would use now. The scalar code is known to work, the source only believed
       to be its own: source that no longer compiles here (an extension it used is not
       registered in this process) leaves the scalar entry, not an error. */
    std::function<BuiltLoop(LoopValue)> build_many;
    std::function<std::shared_ptr<const CompileRequest>()> make_source = request.make_source;
    if (request.source)
        make_source = [source = request.source] { return source; };
    /* The options are the request's: only a signature with a loop entry is worth keeping it for. */
    if (make_source && has_loop_entry(request.signature))
        build_many = [made = std::make_shared<SourceOnce>(std::move(make_source)),
                      loaded = request.signature.c_spelling(), extensions = active_extensions()](LoopValue value) {
            const Registry &registry = extensions ? *extensions : Registry::builtins();
            try {
                std::shared_ptr<const CompileRequest> source = made->get();
                if (!source || !wants_loop_entry(source->signature, source->options) ||
                    source->signature.c_spelling() != loaded)
                    return BuiltLoop();
                TypedFunction typed = type_request(*source, registry);
                return compile_many(typed, registry, source->options, unique_symbol(typed.def->name), value);
            } catch (const CompileError &) {
                return BuiltLoop();
            }
        };
    return std::make_shared<JitCompiledFunction>(std::move(code), request.signature, request.name,
                                                 request.function_symbol, request.thunk_symbol, request.imports,
                                                 std::move(build_many));
}

} // namespace nativecall::jit
