// Builtin casts between numbers (and tuples of them) and constants for literals and global snapshots.
#include <cstdio>

#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* How messages show a constant's value: its kind, and a tuple's length. */
std::string describe_constant(const ConstantValue &c) {
    if (const auto *i = std::get_if<std::int64_t>(&c.value))
        return "the int " + std::to_string(*i);
    if (const auto *d = std::get_if<double>(&c.value)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", *d);
        return std::string("the float ") + text;
    }
    if (const auto *b = std::get_if<bool>(&c.value))
        return *b ? "True" : "False";
    return "a tuple of " + std::to_string(std::get<std::vector<ConstantValue>>(c.value).size()) + " values";
}

ir::Value cast_number(LoweringContext &ctx, TypeRef from, TypeRef to, ir::Value v) {
    ir::Builder &b = ctx.b();
    ir::Type target = LoweringContext::scalar(to);
    if (to->kind == Kind::Bool)
        return truth(ctx, from, v);
    if (from->kind == Kind::Bool)
        return to->kind == Kind::Float ? b.cast(ir::CastOp::UIToFP, v, target) : b.cast(ir::CastOp::ZExt, v, target);
    if (is_int(from) && is_int(to)) {
        if (from->bits == to->bits)
            return v;
        if (from->bits > to->bits)
            return b.cast(ir::CastOp::Trunc, v, target);
        return b.cast(from->is_signed ? ir::CastOp::SExt : ir::CastOp::ZExt, v, target);
    }
    if (is_int(from) && is_float(to))
        return b.cast(from->is_signed ? ir::CastOp::SIToFP : ir::CastOp::UIToFP, v, target);
    if (is_float(from) && is_float(to)) {
        if (from->bits == to->bits)
            return v;
        return b.cast(from->bits < to->bits ? ir::CastOp::FPExt : ir::CastOp::FPTrunc, v, target);
    }
    /* float → int saturates (NaN → 0) instead of producing LLVM poison. */
    return b.call_intrinsic(to->is_signed ? "fptosi.sat" : "fptoui.sat", target, {v});
}

} // namespace

namespace builtins {
ir::Value truth(LoweringContext &ctx, TypeRef type, ir::Value value) {
    ir::Builder &b = ctx.b();
    switch (type->kind) {
    case Kind::Bool: return value;
    case Kind::Int: return b.compare(ir::Predicate::NE, value, int_constant(ctx, type, 0));
    case Kind::Float:
        return b.compare(ir::Predicate::FUNE, value, b.constant_float(LoweringContext::scalar(type), 0.0));
    case Kind::Pointer: return b.compare(ir::Predicate::NE, value, b.null_pointer());
    default: throw TypingFailure(type->str() + " has no truth value");
    }
}
} // namespace builtins

void register_casts_and_constants(Registry &registry) {
    for (Kind from : {Kind::Bool, Kind::Int, Kind::Float})
        for (Kind to : {Kind::Bool, Kind::Int, Kind::Float})
            registry.add_cast(TypePattern::of(from), TypePattern::of(to),
                              [](LoweringContext &ctx, TypeRef f, TypeRef t, const Lowered &v) -> Lowered {
                                  return {cast_number(ctx, f, t, v.at(0))};
                              });
    /* Any data pointer converts to voidptr, as in C (returning p from a `void *` function). */
    registry.add_cast(TypePattern::of(Kind::Pointer), TypePattern::exactly(types::voidptr()),
                      [](LoweringContext &, TypeRef, TypeRef, const Lowered &v) -> Lowered { return v; });
    registry.add_cast(TypePattern::of(Kind::Tuple), TypePattern::of(Kind::Tuple),
                      [](LoweringContext &ctx, TypeRef f, TypeRef t, const Lowered &v) -> Lowered {
                          if (f->members.size() != t->members.size())
                              throw TypingFailure("cannot convert " + f->str() + " to " + t->str());
                          Lowered out;
                          std::size_t offset = 0;
                          for (std::size_t i = 0; i < f->members.size(); ++i) {
                              std::size_t n = LoweringContext::parts(f->members[i]).size();
                              Lowered member(v.begin() + offset, v.begin() + offset + n);
                              offset += n;
                              Lowered converted = ctx.cast(member, f->members[i], t->members[i]);
                              out.insert(out.end(), converted.begin(), converted.end());
                          }
                          return out;
                      });

    /* A constant's value need not match the type it is given (an extension's typed constant,
       e.g. a custom type's field read from Python): a mismatch is a typing error. */
    registry.add_constant(TypePattern::of(Kind::Int), [](LoweringContext &ctx, TypeRef t, const ConstantValue &c) -> Lowered {
        if (!std::holds_alternative<bool>(c.value) && !std::holds_alternative<std::int64_t>(c.value))
            throw TypingFailure("a constant " + t->str() + " must be an int or a bool, got " + describe_constant(c));
        std::int64_t v = std::holds_alternative<bool>(c.value) ? std::get<bool>(c.value) : std::get<std::int64_t>(c.value);
        return {int_constant(ctx, t, v)};
    });
    registry.add_constant(TypePattern::of(Kind::Bool), [](LoweringContext &ctx, TypeRef t, const ConstantValue &c) -> Lowered {
        if (!std::holds_alternative<bool>(c.value) && !std::holds_alternative<std::int64_t>(c.value))
            throw TypingFailure("a constant " + t->str() + " must be a bool or an int, got " + describe_constant(c));
        bool v = std::holds_alternative<bool>(c.value) ? std::get<bool>(c.value) : std::get<std::int64_t>(c.value) != 0;
        return {ctx.b().constant_int(ir::Type::I1, v)};
    });
    registry.add_constant(TypePattern::of(Kind::Float), [](LoweringContext &ctx, TypeRef t, const ConstantValue &c) -> Lowered {
        double v;
        if (const auto *d = std::get_if<double>(&c.value))
            v = *d;
        else if (const auto *i = std::get_if<std::int64_t>(&c.value))
            v = static_cast<double>(*i);
        else if (const auto *b = std::get_if<bool>(&c.value))
            v = *b ? 1.0 : 0.0;
        else
            throw TypingFailure("a constant " + t->str() + " must be a number, got " + describe_constant(c));
        return {ctx.b().constant_float(LoweringContext::scalar(t), v)};
    });
    registry.add_constant(TypePattern::of(Kind::Tuple), [](LoweringContext &ctx, TypeRef t, const ConstantValue &c) -> Lowered {
        const auto *values = std::get_if<std::vector<ConstantValue>>(&c.value);
        if (!values || values->size() != t->members.size())
            throw TypingFailure("a constant " + t->str() + " must be a tuple of " + std::to_string(t->members.size()) +
                                " values, got " + describe_constant(c));
        const auto &members = *values;
        Lowered out;
        for (std::size_t i = 0; i < members.size(); ++i) {
            Lowered m = ctx.constant(t->members[i], members[i]);
            out.insert(out.end(), m.begin(), m.end());
        }
        return out;
    });
    registry.add_constant(TypePattern::of(Kind::Void), [](LoweringContext &, TypeRef, const ConstantValue &) -> Lowered {
        return {};
    });
}

} // namespace nativecall::jit
