// The registries' lookup rules, the data model (machine parts of each type) and LoweringContext helpers.
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/extending.h"
#include "nativecall/jit/registry.h"

namespace nativecall::jit {

void Registry::add_typer(const std::string &name, Typer typer) { typers_[name].push_back(std::move(typer)); }

void Registry::add_parameter_names(const std::string &name, std::vector<std::string> params) {
    parameter_names_[name] = std::move(params);
}

void Registry::add_lowering(const std::string &name, std::vector<TypePattern> patterns, Lowerer lowerer,
                            bool variadic) {
    lowerings_[name].push_back({std::move(patterns), variadic, std::move(lowerer)});
}

void Registry::add_cast(TypePattern from, TypePattern to, CastLowerer lowerer) {
    casts_.push_back({from, to, std::move(lowerer)});
}

void Registry::add_constant(TypePattern type, ConstantLowerer lowerer) {
    constants_.push_back({type, std::move(lowerer)});
}

namespace {
/* ".name" → "name" for attribute lookups that may fall back to the generic "getattr". */
bool is_attribute_lookup(const std::string &name) { return name.size() > 1 && name[0] == '.'; }
} // namespace

std::optional<CallSignature> Registry::resolve_in_layers(const std::string &key, const CallArgs &args) const {
    if (base_)
        if (auto sig = base_->resolve_in_layers(key, args))
            return sig;
    auto it = typers_.find(key);
    if (it == typers_.end())
        return std::nullopt;
    for (const Typer &typer : it->second) {
        if (auto sig = typer(args)) {
            sig->literal_ints = args.literal_ints;
            sig->literal_ints.resize(sig->args.size());
            sig->attribute = args.attribute;
            sig->typed_by = this;
            return sig;
        }
    }
    return std::nullopt;
}

std::optional<CallSignature> Registry::resolve(const std::string &name, const CallArgs &args) const {
    /* Every layer's typers see the outermost registry, so typers that type through other
       operations (zip, jitable helpers) reach the extensions too. */
    CallArgs with_registry = args;
    with_registry.registry = args.registry ? args.registry : this;
    if (auto sig = resolve_in_layers(name, with_registry))
        return sig;
    if (!is_attribute_lookup(name))
        return std::nullopt;
    with_registry.attribute = name.substr(1);
    return resolve_in_layers("getattr", with_registry);
}

const Lowerer *Registry::own_lowering(const std::string &name, const std::vector<TypeRef> &args) const {
    auto it = lowerings_.find(name);
    if (it == lowerings_.end())
        return nullptr;
    for (const LoweringEntry &entry : it->second) {
        if (entry.patterns.empty() ? !args.empty()
                                   : (entry.variadic ? args.size() < entry.patterns.size() - 1
                                                     : args.size() != entry.patterns.size()))
            continue;
        bool ok = true;
        for (std::size_t i = 0; i < args.size() && ok; ++i) {
            const TypePattern &p = entry.patterns[std::min(i, entry.patterns.size() - 1)];
            ok = p.matches(args[i]);
        }
        if (ok)
            return &entry.lowerer;
    }
    return nullptr;
}

const Lowerer *Registry::find_lowering(const std::string &name, const std::vector<TypeRef> &args) const {
    if (base_)
        if (const Lowerer *found = base_->find_lowering(name, args))
            return found;
    return own_lowering(name, args);
}

const Lowerer *Registry::lowering_for(const std::string &name, const CallSignature &sig) const {
    /* A signature the generic getattr typed is lowered by a "getattr" entry, even when
       ".name" has entries for other types (a record field called "shape"); the layer
       whose typer accepted is searched first. */
    bool generic = is_attribute_lookup(name) && !sig.attribute.empty();
    std::string key = generic ? std::string("getattr") : name;
    if (sig.typed_by)
        if (const Lowerer *found = sig.typed_by->own_lowering(key, sig.args))
            return found;
    return find_lowering(key, sig.args);
}

const CastLowerer *Registry::find_cast(TypeRef from, TypeRef to) const {
    if (base_)
        if (const CastLowerer *found = base_->find_cast(from, to))
            return found;
    for (const CastEntry &entry : casts_)
        if (entry.from.matches(from) && entry.to.matches(to))
            return &entry.lowerer;
    return nullptr;
}

const ConstantLowerer *Registry::find_constant(TypeRef type) const {
    if (base_)
        if (const ConstantLowerer *found = base_->find_constant(type))
            return found;
    for (const ConstantEntry &entry : constants_)
        if (entry.type.matches(type))
            return &entry.lowerer;
    return nullptr;
}

const std::vector<std::string> *Registry::parameter_names(const std::string &name) const {
    if (base_)
        if (const auto *found = base_->parameter_names(name))
            return found;
    auto it = parameter_names_.find(name);
    return it == parameter_names_.end() ? nullptr : &it->second;
}

const Registry &Registry::builtins() {
    static const Registry registry = [] {
        Registry r;
        register_casts_and_constants(r);
        register_operators(r);
        register_builtin_functions(r);
        register_math_functions(r);
        register_arrays(r);
        register_iteration(r);
        register_jitables(r);
        register_records(r);
        return r;
    }();
    return registry;
}

/* ---- the extension layer --------------------------------------------------------- */

namespace {
/* Every published snapshot stays alive: a compile may still read an older one, and
   caches keyed by a registry's address (jitable specialisations) must never see it reused. */
std::mutex extensions_mutex;
std::deque<std::unique_ptr<const Registry>> &published_layers() {
    static std::deque<std::unique_ptr<const Registry>> layers;
    return layers;
}
std::atomic<const Registry *> current_layer{nullptr};
} // namespace

const Registry &active_registry() {
    if (const Registry *layer = active_extensions())
        return *layer;
    return Registry::builtins();
}

const Registry *active_extensions() { return current_layer.load(std::memory_order_acquire); }

void extend(const std::function<void(Registry &)> &add) {
    std::lock_guard<std::mutex> lock(extensions_mutex);
    const Registry *current = current_layer.load(std::memory_order_acquire);
    auto next = current ? std::make_unique<Registry>(*current) : std::make_unique<Registry>(&Registry::builtins());
    add(*next);
    published_layers().push_back(std::move(next));
    current_layer.store(published_layers().back().get(), std::memory_order_release);
}

/* ---- data model ------------------------------------------------------------------- */

ir::Type LoweringContext::scalar(TypeRef type) {
    switch (type->kind) {
    case Kind::Bool: return ir::Type::I1;
    case Kind::Int:
        switch (type->bits) {
        case 8: return ir::Type::I8;
        case 16: return ir::Type::I16;
        case 32: return ir::Type::I32;
        default: return ir::Type::I64;
        }
    case Kind::Float: return type->bits == 32 ? ir::Type::F32 : ir::Type::F64;
    case Kind::Pointer: return ir::Type::Ptr;
    default: throw TypingFailure(type->str() + " is not a scalar");
    }
}

ir::Type LoweringContext::memory_type(TypeRef type) {
    return type->kind == Kind::Bool ? ir::Type::I8 : scalar(type);
}

std::vector<ir::Type> LoweringContext::parts(TypeRef type) {
    switch (type->kind) {
    case Kind::Bool:
    case Kind::Int:
    case Kind::Float:
    case Kind::Pointer: return {scalar(type)};
    case Kind::Array: {
        std::vector<ir::Type> result{ir::Type::Ptr};
        result.insert(result.end(), static_cast<std::size_t>(type->ndim), ir::Type::I64);
        return result;
    }
    case Kind::Tuple:
    case Kind::Custom: {   // the members side by side (numba's StructModel)
        std::vector<ir::Type> result;
        for (TypeRef m : type->members) {
            auto sub = parts(m);
            result.insert(result.end(), sub.begin(), sub.end());
        }
        return result;
    }
    case Kind::Range: return {ir::Type::I64, ir::Type::I64, ir::Type::I64};   // start/current, stop, step
    case Kind::Record: return {ir::Type::Ptr};   // a reference: the record's address (numpy's semantics)
    case Kind::Method: return parts(type->element);   // the receiver
    case Kind::Combined: {   // the sources, side by side
        std::vector<ir::Type> result;
        for (TypeRef m : type->members) {
            auto sub = parts(m);
            result.insert(result.end(), sub.begin(), sub.end());
        }
        return result;
    }
    case Kind::Iterator: {
        TypeRef source = type->element;
        if (source->kind == Kind::Combined) {   // [counter for enumerate] + each source's iterator state
            std::vector<ir::Type> result;
            if (source->name == "enumerate")
                result.push_back(ir::Type::I64);
            for (TypeRef m : source->members) {
                auto sub = parts(types::iterator(m));
                result.insert(result.end(), sub.begin(), sub.end());
            }
            return result;
        }
        auto result = parts(source);
        if (source->kind != Kind::Range)
            result.push_back(ir::Type::I64);   // position (arrays, tuples)
        return result;
    }
    default: return {};   // compile-time-only values have no machine representation
    }
}

/* ---- helpers for implementations ------------------------------------------------- */

Lowered LoweringContext::cast(const Lowered &value, TypeRef from, TypeRef to) {
    if (from == to)
        return value;
    const CastLowerer *lowerer = registry_.find_cast(from, to);
    if (!lowerer)
        throw TypingFailure("cannot convert " + from->str() + " to " + to->str());
    return (*lowerer)(*this, from, to, value);
}

std::pair<Lowered, TypeRef> LoweringContext::call(const std::string &name, const std::vector<TypeRef> &types,
                                                  const std::vector<Lowered> &args) {
    CallArgs call_args{types, std::vector<std::optional<std::int64_t>>(types.size())};
    auto sig = registry_.resolve(name, call_args);
    if (!sig)
        throw TypingFailure("no implementation of " + name + " for these arguments");
    std::vector<Lowered> converted;
    for (std::size_t i = 0; i < args.size(); ++i)
        converted.push_back(cast(args[i], types[i], sig->args[i]));
    const Lowerer *lowerer = registry_.lowering_for(name, *sig);
    if (!lowerer)
        throw TypingFailure("no lowering registered for " + name);
    return {(*lowerer)(*this, *sig, converted), sig->result};
}

Lowered LoweringContext::constant(TypeRef type, const ConstantValue &value) {
    const ConstantLowerer *lowerer = registry_.find_constant(type);
    if (!lowerer)
        throw TypingFailure("cannot make a constant of type " + type->str());
    return (*lowerer)(*this, type, value);
}

void LoweringContext::raise_runtime_error(int code) {
    builder_.call_symbol("nativecall_record_runtime_error", ir::Type::Void, {ir::Type::I32},
                         {builder_.constant_int(ir::Type::I32, code)}, false);
}

void LoweringContext::raise_if(ir::Value condition, int code) {
    ir::BlockRef fail = builder_.new_block("runtime_error");
    ir::BlockRef ok = builder_.new_block("no_error");
    builder_.branch(condition, fail, ok);
    builder_.set_block(fail);
    raise_runtime_error(code);
    builder_.jump(ok);
    builder_.set_block(ok);
}

void LoweringContext::raise_and_return_if(ir::Value condition, int code) {
    if (!return_zero_)
        throw TypingFailure("internal: a runtime error that returns needs the function lowering's context");
    ir::BlockRef fail = builder_.new_block("runtime_error");
    ir::BlockRef ok = builder_.new_block("no_error");
    builder_.branch(condition, fail, ok);
    builder_.set_block(fail);
    raise_runtime_error(code);
    return_zero_();
    builder_.set_block(ok);
}

ir::Value LoweringContext::load_scalar(TypeRef type, ir::Value ptr) {
    ir::Value v = builder_.load(memory_type(type), ptr);
    if (type->kind == Kind::Bool)
        v = builder_.compare(ir::Predicate::NE, v, builder_.constant_int(ir::Type::I8, 0));
    return v;
}

void LoweringContext::store_scalar(TypeRef type, ir::Value value, ir::Value ptr) {
    if (type->kind == Kind::Bool)
        value = builder_.cast(ir::CastOp::ZExt, value, ir::Type::I8);
    builder_.store(value, ptr);
}

} // namespace nativecall::jit
