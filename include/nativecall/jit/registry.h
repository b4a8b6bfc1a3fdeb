// Typing and lowering registries: how operators, builtins, casts, constants and attributes become typed IR.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "nativecall/jit/ir_builder.h"
#include "nativecall/jit/types.h"

namespace nativecall::jit {

/* A value after lowering: one machine value per part of its type's data model
   (a float64 is one part; a 2-d array view is {data, extent0, extent1}). */
using Lowered = std::vector<ir::Value>;

class Registry;

/* The concrete types of one operation: its arguments as the implementation
   receives them (after any conversion) and its result. */
struct CallSignature {
    TypeRef result = nullptr;
    std::vector<TypeRef> args;
    /* Arguments whose integer value is known at compile time (tuple indices);
       filled from CallArgs by Registry::resolve. */
    std::vector<std::optional<std::int64_t>> literal_ints = {};
    /* The attribute a "getattr"/"setattr" implementation serves ("i1" for r.i1). */
    std::string attribute = {};
    /* The registry layer whose typer accepted (set by Registry::resolve): its lowerings
       are preferred, so an extension's typer is paired with the extension's lowering. */
    const Registry *typed_by = nullptr;
    /* What the accepting typer tells its lowering, when the argument types alone do not
       say it (the implementation an overload chose); null for most operations. */
    std::shared_ptr<const void> detail = nullptr;
};

/* What a typer sees of a call: argument types, and each argument's value when it
   is an integer known at compile time (a literal, or a global constant). */
struct CallArgs {
    std::vector<TypeRef> types;
    std::vector<std::optional<std::int64_t>> literal_ints;
    /* The registry resolving this call (set by Registry::resolve), for typers that
       type their result through other operations (zip's element is its sources'). */
    const Registry *registry = nullptr;
    /* For "setattr", and for "getattr" when Registry::resolve falls back to it. */
    std::string attribute = {};
};

/* Thrown by a typer that recognises the operation but rejects its arguments, to
   say why ("carray shape must be a tuple of integers"); the compiler adds the location. */
class TypingFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/* A typer answers "what does `name` return for these arguments?" or declines (nullopt). */
using Typer = std::function<std::optional<CallSignature>(const CallArgs &args)>;

/* A compile-time constant as the globals snapshot and literals provide it. */
struct ConstantValue {
    std::variant<std::int64_t, double, bool, std::vector<ConstantValue>> value;
};

class LoweringContext;
using Lowerer = std::function<Lowered(LoweringContext &ctx, const CallSignature &sig,
                                      const std::vector<Lowered> &args)>;
using CastLowerer = std::function<Lowered(LoweringContext &ctx, TypeRef from, TypeRef to, const Lowered &value)>;
using ConstantLowerer = std::function<Lowered(LoweringContext &ctx, TypeRef type, const ConstantValue &value)>;

/* Which types an implementation applies to: one type, every type of a kind, any
   number (bool, int, float), iterators over a kind, or anything. */
struct TypePattern {
    enum class Match : std::uint8_t { Any, OfKind, Exactly, Number, IteratorOver } match = Match::Any;
    Kind kind = Kind::Void;
    TypeRef type = nullptr;

    static TypePattern any() { return {}; }
    static TypePattern of(Kind k) { return {Match::OfKind, k, nullptr}; }
    static TypePattern exactly(TypeRef t) { return {Match::Exactly, t->kind, t}; }
    static TypePattern number() { return {Match::Number, Kind::Void, nullptr}; }
    static TypePattern iterator_over(Kind k) { return {Match::IteratorOver, k, nullptr}; }
    bool matches(TypeRef t) const {
        switch (match) {
        case Match::Any: return true;
        case Match::OfKind: return t->kind == kind;
        case Match::Exactly: return t == type;
        case Match::Number: return t->is_number();
        case Match::IteratorOver: return t->kind == Kind::Iterator && t->element->kind == kind;
        }
        return false;
    }
};

/* The registries the compiler consults for everything that is not control flow.
   Names are operator spellings ("+", "//", "<", "unary-", "not", "getitem",
   "setitem"), attribute lookups (".shape", ".exp"), function names ("abs",
   "math.exp", "carray"), iteration ("iter", "iter.valid", "iter.next",
   "iter.advance") and "call" (calling a value whose type is the first argument:
   a dtype, another cfunc or external function, a jitable helper, a bound method).
   Truth testing is the builtin "bool".
   Attributes whose names are data, not code (record fields), use numba's generic
   getattr: when no ".name" entry accepts, "getattr" entries are tried with
   CallArgs::attribute = "name"; `obj.name = v` resolves "setattr" (object, value)
   the same way. The attribute reaches the lowering in CallSignature::attribute.

   Registries layer: a registry built over a `base` consults the base first and its own
   entries after, so an extension layer adds meaning where the builtins decline and never
   changes what the builtins do (see nativecall/jit/extending.h). */
class Registry {
public:
    Registry() = default;
    /* An extension layer over `base`, which must outlive it. */
    explicit Registry(const Registry *base) : base_(base) {}

    /* numba's type_callable: several typers may serve one name; the first that accepts wins. */
    void add_typer(const std::string &name, Typer typer);
    /* Parameter names, so calls may pass arguments by keyword (carray(p, shape=(n,))). */
    void add_parameter_names(const std::string &name, std::vector<std::string> params);
    /* numba's lower_builtin / lower_getattr: an implementation for argument types
       matching `patterns` (the last pattern repeats when `variadic`). */
    void add_lowering(const std::string &name, std::vector<TypePattern> patterns, Lowerer lowerer,
                      bool variadic = false);
    /* numba's lower_cast. */
    void add_cast(TypePattern from, TypePattern to, CastLowerer lowerer);
    /* numba's lower_constant. */
    void add_constant(TypePattern type, ConstantLowerer lowerer);

    std::optional<CallSignature> resolve(const std::string &name, const CallArgs &args) const;
    const Lowerer *find_lowering(const std::string &name, const std::vector<TypeRef> &args) const;
    /* The lowering for a signature resolve() returned: the accepting layer's entries
       first; follows its getattr fallback. */
    const Lowerer *lowering_for(const std::string &name, const CallSignature &sig) const;
    const CastLowerer *find_cast(TypeRef from, TypeRef to) const;
    const ConstantLowerer *find_constant(TypeRef type) const;
    const std::vector<std::string> *parameter_names(const std::string &name) const;
    bool knows(const std::string &name) const {
        return typers_.count(name) != 0 || (base_ && base_->knows(name));
    }

    /* The registry with every builtin; built once, read-only afterwards (safe across threads). */
    static const Registry &builtins();

private:
    /* The typers for `key`, the base's first (no getattr fallback: resolve() adds it). */
    std::optional<CallSignature> resolve_in_layers(const std::string &key, const CallArgs &args) const;
    /* This layer's lowerings only (no base). */
    const Lowerer *own_lowering(const std::string &name, const std::vector<TypeRef> &args) const;

    const Registry *base_ = nullptr;
    struct LoweringEntry {
        std::vector<TypePattern> patterns;
        bool variadic;
        Lowerer lowerer;
    };
    struct CastEntry {
        TypePattern from, to;
        CastLowerer lowerer;
    };
    struct ConstantEntry {
        TypePattern type;
        ConstantLowerer lowerer;
    };
    std::map<std::string, std::vector<Typer>> typers_;
    std::map<std::string, std::vector<std::string>> parameter_names_;
    std::map<std::string, std::vector<LoweringEntry>> lowerings_;
    std::vector<CastEntry> casts_;
    std::vector<ConstantEntry> constants_;
};

/* What a lowering implementation may use: the builder, the data model, and the
   registries again (to cast, to call another builtin, to raise a runtime error). */
class LoweringContext {
public:
    LoweringContext(const Registry &registry, ir::Builder &builder, bool debug)
        : registry_(registry), builder_(builder), debug_(debug) {}

    ir::Builder &b() { return builder_; }
    const Registry &registry() const { return registry_; }
    /* Bounds checks are emitted only in debug mode (cfunc(debug=True)). */
    bool debug() const { return debug_; }

    /* The machine parts of a type's value (its data model). */
    static std::vector<ir::Type> parts(TypeRef type);
    /* The single machine type of a scalar or pointer type. */
    static ir::Type scalar(TypeRef type);
    /* How a scalar is stored in memory (bool occupies a byte, not one bit). */
    static ir::Type memory_type(TypeRef type);

    /* Convert through the cast registry; identity when the types are equal.
       Throws TypingFailure when no cast is registered. */
    Lowered cast(const Lowered &value, TypeRef from, TypeRef to);
    ir::Value cast_scalar(ir::Value value, TypeRef from, TypeRef to) { return cast({value}, from, to).at(0); }
    /* Type and lower a registered operation on already-lowered arguments
       (how builtins compose: "not" calls "bool"). Returns the result and its type. */
    std::pair<Lowered, TypeRef> call(const std::string &name, const std::vector<TypeRef> &types,
                                     const std::vector<Lowered> &args);
    Lowered constant(TypeRef type, const ConstantValue &value);

    /* Runtime errors: records `code` in the calling thread's error record (see
       compiler.h). The caller continues with a harmless value (returns 0). */
    void raise_runtime_error(int code);
    /* if (condition) raise_runtime_error(code), then continue. */
    void raise_if(ir::Value condition, int code);
    /* if (condition) { raise_runtime_error(code); return 0 from the native function
       being compiled }, for errors after which no harmless value exists to continue
       with (a view over a NULL pointer). Inside an inlined helper it leaves the native
       function too: the helper's caller could not use the 0 it would get back. */
    void raise_and_return_if(ir::Value condition, int code);
    /* Set by the function lowering: emits a return of the native function's zero value. */
    void set_return_zero(std::function<void()> return_zero) { return_zero_ = std::move(return_zero); }
    const std::function<void()> &return_zero() const { return return_zero_; }

    ir::Value load_scalar(TypeRef type, ir::Value ptr);
    void store_scalar(TypeRef type, ir::Value value, ir::Value ptr);

private:
    const Registry &registry_;
    ir::Builder &builder_;
    bool debug_;
    std::function<void()> return_zero_;
};

/* Registration of the builtin families, one function per domain (numba's *decl modules). */
void register_operators(Registry &registry);
void register_casts_and_constants(Registry &registry);
void register_builtin_functions(Registry &registry);
void register_math_functions(Registry &registry);
void register_arrays(Registry &registry);
void register_iteration(Registry &registry);
void register_jitables(Registry &registry);
void register_records(Registry &registry);

} // namespace nativecall::jit
