// Small helpers shared by the builtin typing/lowering registrations (signatures, kind tests, int/float ops).
#pragma once

#include <optional>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/registry.h"

namespace nativecall::jit::builtins {

inline bool is_int(TypeRef t) { return t->kind == Kind::Int; }
inline bool is_float(TypeRef t) { return t->kind == Kind::Float; }
inline bool is_integral(TypeRef t) { return t->kind == Kind::Int || t->kind == Kind::Bool; }

inline std::optional<CallSignature> signature(TypeRef result, std::vector<TypeRef> args) {
    return CallSignature{result, std::move(args)};
}

inline bool all_numbers(const CallArgs &args) {
    for (TypeRef t : args.types)
        if (!t->is_number())
            return false;
    return true;
}

/* A typer for operations on exactly `arity` numbers computed in a common type. */
template <class ResultOf> Typer numeric_typer(std::size_t arity, ResultOf result_of) {
    return [arity, result_of](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != arity || !all_numbers(args))
            return std::nullopt;
        TypeRef common = args.types[0];
        for (TypeRef t : args.types)
            common = types::arithmetic_result(common, t);
        if (arity == 1)
            common = types::arithmetic_result(common, common);
        auto [result, operand] = result_of(common);
        if (!result)
            return std::nullopt;
        return signature(result, std::vector<TypeRef>(arity, operand));
    };
}

inline ir::Value int_constant(LoweringContext &ctx, TypeRef type, std::int64_t value) {
    return ctx.b().constant_int(LoweringContext::scalar(type), value);
}

/* A lowering that returns its one argument unchanged (after the signature's casts). */
inline Lowered pass_through(LoweringContext &, const CallSignature &, const std::vector<Lowered> &args) {
    return args.at(0);
}

/* Iteration over a tuple or an array keeps the source's parts followed by an int64
   position. "iter.next" is the source's item at the position ... */
inline Lowered item_at_position(LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &args) {
    Lowered source(args[0].begin(), args[0].end() - 1);
    return ctx.call("getitem", {sig.args[0]->element, types::int64()}, {source, {args[0].back()}}).first;
}
/* ... and "iter.advance" moves the position by one. */
inline Lowered advance_position(LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &args) {
    Lowered state = args[0];
    state.back() = ctx.b().binary(ir::BinaryOp::Add, state.back(), ctx.b().constant_int(ir::Type::I64, 1));
    return state;
}

/* Registers `typer` and `lowerer` under `name`. The lowering applies to arguments whose
   first type matches `first` (any number of arguments: the typer has already checked them),
   which keeps overloads of one name (getitem on tuples, pointers, arrays) apart. */
inline void define(Registry &registry, const std::string &name, Typer typer, Lowerer lowerer,
                   TypePattern first = TypePattern::any()) {
    registry.add_typer(name, std::move(typer));
    registry.add_lowering(name, {first, TypePattern::any()}, std::move(lowerer), true);
}

/* define() for operations on numbers only: overloads of the same name on other kinds
   (a user's operator on pointers) stay reachable. */
inline void define_numeric(Registry &registry, const std::string &name, Typer typer, Lowerer lowerer) {
    define(registry, name, std::move(typer), std::move(lowerer), TypePattern::number());
}

/* Integer floor division and modulo with Python's signs; division by zero records
   ZeroDivisionError and yields 0. */
std::pair<ir::Value, ir::Value> int_floor_divmod(LoweringContext &ctx, TypeRef type, ir::Value a, ir::Value b);

/* &base[index] for elements of `element` (a scalar, a pointer or a record, whose
   stride is its size in bytes). */
inline ir::Value element_pointer(LoweringContext &ctx, TypeRef element, ir::Value base, ir::Value index) {
    if (element->kind != Kind::Record)
        return ctx.b().element_pointer(LoweringContext::memory_type(element), base, index);
    ir::Value stride = ctx.b().constant_int(ir::Type::I64, static_cast<std::int64_t>(element->size));
    return ctx.b().element_pointer(ir::Type::I8, base, ctx.b().binary(ir::BinaryOp::Mul, index, stride));
}

/* The value of the element at `address`: a load for scalars and pointers; for a record,
   the address itself (records are references, so writes through them reach memory). */
inline Lowered load_element(LoweringContext &ctx, TypeRef element, ir::Value address) {
    if (element->kind == Kind::Record)
        return {address};
    return {ctx.load_scalar(element, address)};
}

/* Copies a record of type `record` from `source` to `target` (numba's record assignment:
   `a[i] = a[j]`, `r.inner = q.inner`); records.cpp. */
void copy_record(LoweringContext &ctx, TypeRef record, ir::Value target, ir::Value source);

/* Stores `value` (of type `element`) at `address`: a store for scalars and pointers, a
   copy of the whole record for records. */
inline void store_element(LoweringContext &ctx, TypeRef element, const Lowered &value, ir::Value address) {
    if (element->kind == Kind::Record)
        copy_record(ctx, element, address, value.at(0));
    else
        ctx.store_scalar(element, value.at(0), address);
}

/* True when a value of type `value` can be stored into an element of type `element`
   (numbers convert; a record only into the same record type). */
inline bool storable(TypeRef value, TypeRef element) {
    return element->kind == Kind::Record ? value == element : value->is_number() && element->is_number();
}

/* Truth value of a lowered scalar (nonzero, non-null). */
ir::Value truth(LoweringContext &ctx, TypeRef type, ir::Value value);

} // namespace nativecall::jit::builtins
