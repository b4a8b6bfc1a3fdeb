// The cfunc compiler's entry point: Python-subset source + signature + globals snapshot → native function.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nativecall/jit/ast.h"
#include "nativecall/jit/registry.h"
#include "nativecall/runtime/error_record.h"
#include "nativecall/signature.h"

namespace nativecall::jit {

struct JitableSource;

/* A name the function reads from its globals or closure, as the Python side
   snapshots it at compile time. */
struct GlobalValue {
    enum class Kind : std::uint8_t {
        Constant,   // int, float, bool, numpy scalar, tuple of these → `constant`
        Module,     // a module the compiler knows ("math", "numpy", "numba", "nativecall", "types") → `name`
        Function,   // a callable the registry knows ("carray", "math.exp") → `name`
        DType,      // a scalar type object (np.float64, types.intc) → `name` ("float64"), or a record → `type`
        External,   // another cfunc → `name`, `address`, `signature`
        Unusable,   // a value compiled code cannot read (an array, a Python object) → `name` describes it
        Self,       // the function being compiled (a recursive call by its own name)
        Jitable,    // a Python function compiled inline where it is called → `jitable`
    };
    Kind kind = Kind::Constant;
    ConstantValue constant;
    std::string name;
    std::uintptr_t address = 0;
    Signature signature;
    std::shared_ptr<const JitableSource> jitable;
    TypeRef type = nullptr;   // DType of a type with no scalar name (a record); Constant of a custom type

    static GlobalValue of_constant(ConstantValue value);
    static GlobalValue of_constant(TypeRef type, ConstantValue value);
    static GlobalValue of_module(std::string module_name);
    static GlobalValue of_function(std::string function_name);
    static GlobalValue of_dtype(std::string scalar_name);
    static GlobalValue of_dtype(TypeRef type);
    static GlobalValue of_external(std::string function_name, std::uintptr_t address, Signature signature);
    static GlobalValue of_unusable(std::string description);
    static GlobalValue of_self();
    static GlobalValue of_jitable(std::shared_ptr<const JitableSource> source);
};
using Globals = std::map<std::string, GlobalValue>;

/* A jitable helper as declared: its source (with its own file and line numbers, so
   errors inside it point there) and the globals it reads. Each call site parses and
   types it again with that site's argument types (numba's register_jitable). */
struct JitableSource {
    std::string name;                          // the def to compile
    std::shared_ptr<const SourceFile> source;
    Globals globals;
};

struct CompileOptions {
    int opt_level = 1;    // 0..3; 1 is tuned for small callbacks (compile time matters)
    bool debug = false;   // bounds-check every indexing operation
};

struct CompileRequest {
    std::string source;          // Python source holding the function (decorators and imports allowed)
    std::string filename = "<string>";
    int first_line = 1;          // line of `source`'s first line in `filename`
    int column_offset = 0;       // indentation the caller removed from `source` (reported columns add it back)
    std::string function_name;   // which def to compile; empty: the only one
    Signature signature;
    /* Optional, one entry per parameter: a non-null entry replaces the JIT type the
       signature gives that parameter. The C signature knows only machine types, so this
       is how a `void *` parameter becomes a CPointer(Record) (both are data pointers:
       the ABI, and what scipy sees, stay `void *`), and a `double` parameter a custom
       type whose data model is one double. Only pointers and such custom types may refine. */
    std::vector<TypeRef> parameter_types;
    /* Optional: the same for the result (a custom type of one machine value). */
    TypeRef result_type = nullptr;
    Globals globals;
    CompileOptions options;
};

/* What a loop entry stores for each point: f(x) (CompiledFunction::many_address), or
   f(x) + f(-x) (mirrored_sum_address) for the rules on (-inf, inf), which fold the two
   halves of the real line together. */
enum class LoopValue { Value, MirroredSum };

/* A loop entry as relocatable object code: what the compile cache keeps of it, so a
   later process loads it (CompiledFunction::adopt_loop) instead of building it. */
struct LoopObject {
    std::string object_code;
    std::string symbol;                              // the loop's symbol in it
    std::map<std::string, std::uintptr_t> imports;   // what its calls were bound to, as CompiledFunction::imports
};

/* Native code for one function; the code is freed when the last reference goes. */
class CompiledFunction {
public:
    virtual ~CompiledFunction() = default;
    /* The C function with the requested signature. */
    virtual void *address() const = 0;
    /* void thunk(void **args, void *result): calls address() with args[i] pointing at
       parameter i and stores the result through `result` (bool as one byte). */
    virtual void *thunk() const = 0;
    /* The module's LLVM IR after optimisation. */
    virtual const std::string &llvm_ir() const = 0;
    virtual const Signature &signature() const = 0;
    virtual const std::string &name() const = 0;
    /* The relocatable object code the function was loaded from (what the compile cache
       stores), the symbols of the function and the thunk in it, and the symbols it calls
       other native code through with the address each is bound to here. */
    virtual const std::string &object_code() const = 0;
    virtual const std::string &function_symbol() const = 0;
    virtual const std::string &thunk_symbol() const = 0;
    virtual const std::map<std::string, std::uintptr_t> &imports() const = 0;
    /* For the scalar integrand signatures double(double), double(double, void *),
       double(int, double *) and double(int, double *, void *): a loop entry
       `void many(const double *x, double *fx, int64_t n, <the other parameters>)`
       filling fx[i] = f(x[i]) (the packed forms take (count, xx[, user_data]) and
       see x[i] in xx[0], which is restored on return; x, fx and xx must not
       overlap). Vectorised, so libm calls may differ from the scalar entry's by a
       few ulp. Built on first use (one codegen run, counted by codegen_runs()); nullptr
       for other signatures, at opt_level 0, and for load_compiled code without
       LoadRequest::source. */
    virtual void *many_address() const { return nullptr; }
    /* Like many_address() (nullptr when it is; built on its own first use, one more
       codegen run), but the loop fills fx[i] = f(x[i]) + f(-x[i]): what the rules on
       (-inf, inf) sum at each point, in one pass, where a body even in x (exp(-x*x),
       cos(x), 1/(1+x*x)) is evaluated once for both points. */
    virtual void *mirrored_sum_address() const { return nullptr; }
    /* The object code of the loop entry `value` once it has been built or adopted here;
       nullopt before that and when there is none. Never builds it. */
    virtual std::optional<LoopObject> loop_object(LoopValue /*value*/) const { return std::nullopt; }
    /* Makes `object` (loop_object(value) of this same function, possibly saved by another
       process) the loop entry `value` without running LLVM's code generator, unless that
       loop was already asked for; returns the loop's address either way (nullptr when it
       has none). Object code that does not load throws nativecall::Error and leaves the
       loop as it was: still built on its first use. */
    virtual void *adopt_loop(LoopValue /*value*/, const LoopObject & /*object*/) const { return nullptr; }
};

/* Runs the whole pipeline. Throws CompileError for programs it cannot compile,
   InvalidArgument for a signature it cannot serve. Safe to call from several threads. */
std::shared_ptr<CompiledFunction> compile(const CompileRequest &request);

/* What load_compiled needs: a CompiledFunction's object code and symbols, from this or
   another process, with its imports bound to where the callees live now. */
struct LoadRequest {
    std::string object_code;
    std::string function_symbol;
    std::string thunk_symbol;
    std::map<std::string, std::uintptr_t> imports;   // every import the object code names
    Signature signature;
    std::string name;
    std::string llvm_ir;   // reported by llvm_ir(); the object code does not hold it
    /* Optional: the request that compiled the object code (its globals bound in this
       process). With it, an integrand signature gets its loop entry on first use
       (CompiledFunction::many_address), compiled from the source since object code does
       not hold one; without it, when its signature differs or when it does not compile
       here, many_address() is nullptr. */
    std::shared_ptr<const CompileRequest> source;
    /* Optional, when `source` is null: makes it on the first many_address() or
       mirrored_sum_address() (at most once), so a load that never asks for a loop
       entry builds no compile request. */
    std::function<std::shared_ptr<const CompileRequest>()> make_source;
};

/* Loads object code without running LLVM's optimiser or code generator. Object code
   that does not parse, targets another machine or leaves a symbol unbound throws
   nativecall::Error. Safe to call from several threads. */
std::shared_ptr<CompiledFunction> load_compiled(const LoadRequest &request);

/* How many times this process ran LLVM's optimiser and code generator. */
std::uint64_t codegen_runs();

/* How load_compiled has loaded object code in this process: the engine's direct loader
   (no LLVM runs) takes what the engine emits; what it declines is linked with JITLink. */
struct ObjectLoadStats {
    std::uint64_t direct = 0;    // loaded by the direct loader
    std::uint64_t linked = 0;    // declined by it, handed to JITLink
    std::string last_declined;   // why the latest declined object was (empty when none was)
};
ObjectLoadStats object_load_stats();

/* A fast 64-bit checksum of `size` bytes (XXH3), for catching damaged cache files: not
   a cryptographic hash (the cache's keys use one). Stable across processes and builds
   of one LLVM major version. */
std::uint64_t content_checksum(const void *data, std::size_t size);

/* "LLVM <version>; <triple>; <cpu>; <features>": object code is reusable only where this matches. */
std::string host_id();

/* What host_id() is derived from, cheaper to read: on x86 with LLVM 19, the LLVM version, the
   target and the CPUID words LLVM reads the CPU name and features from (a different value
   wherever host_id() differs); elsewhere host_id() itself. The compile cache keys on it. */
std::string host_key();

/* ---- the pipeline's stages, for tools and tests ---------------------------------- */

/* A function with every expression typed (Expr::type) and every variable's type fixed. */
struct TypedFunction {
    std::shared_ptr<Module> module;   // owns the AST the types annotate
    const FunctionDef *def = nullptr;
    Signature signature;
    std::vector<TypeRef> param_types;
    TypeRef result = nullptr;
    std::map<std::string, TypeRef> variables;   // locals and parameters, after unification
    Globals globals;
};

/* Type inference: forward from the signature, unifying at joins until nothing changes.
   `parameter_types` refines pointer parameters as CompileRequest::parameter_types says. */
TypedFunction infer_types(std::shared_ptr<Module> module, const std::string &function_name,
                          const Signature &signature, const Globals &globals,
                          const Registry &registry = Registry::builtins(),
                          const std::vector<TypeRef> &parameter_types = {}, TypeRef result_type = nullptr);

/* Type inference for a function inlined at a call site: the parameters take
   `param_types`, the result is what its return statements unify to (void if none). */
TypedFunction infer_inline(std::shared_ptr<Module> module, const std::string &function_name,
                           const std::vector<TypeRef> &param_types, const Globals &globals,
                           const Registry &registry);

/* Lowers an inline-typed function where the builder stands, binding its parameters
   to `args`; returns its result (empty for void). */
Lowered lower_inline(const TypedFunction &function, LoweringContext &ctx, const std::vector<Lowered> &args);

/* Lowering: emits the typed function's body through `builder` (whose function has
   the signature's parameters and result). */
void lower_function(const TypedFunction &function, ir::Builder &builder, const Registry &registry,
                    bool debug);

/* The value of an integer expression known at compile time: a literal, a negated
   literal, or a name bound to a global int constant. */
std::optional<std::int64_t> literal_int_of(const Expr &expr, const TypedFunction &function);

/* Runtime errors (integer division by zero, out-of-bounds indexing under debug=True,
   int ** negative int, range() with step 0) are recorded by compiled code in the
   calling thread's record (nativecall/runtime/error_record.h) and yield 0. */

} // namespace nativecall::jit
