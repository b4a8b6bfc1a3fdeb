// Builtin operators with Python semantics: arithmetic, floor division/modulo signs, **, bitwise, comparisons, not.
#include "support.h"

namespace nativecall::jit {
namespace builtins {

std::pair<ir::Value, ir::Value> int_floor_divmod(LoweringContext &ctx, TypeRef type, ir::Value a, ir::Value b) {
    ir::Builder &bb = ctx.b();
    ir::Value zero = int_constant(ctx, type, 0);
    ir::Value one = int_constant(ctx, type, 1);
    ir::Value is_zero = bb.compare(ir::Predicate::EQ, b, zero);
    ctx.raise_if(is_zero, static_cast<int>(RuntimeErrorCode::ZeroDivision));
    ir::Value divisor = bb.select(is_zero, one, b);
    if (!type->is_signed) {
        ir::Value q = bb.binary(ir::BinaryOp::UDiv, a, divisor);
        ir::Value r = bb.binary(ir::BinaryOp::URem, a, divisor);
        return {bb.select(is_zero, zero, q), bb.select(is_zero, zero, r)};
    }
    /* INT_MIN / -1 overflows in hardware; Python ints would give 2**63, which wraps to INT_MIN. */
    ir::Value is_minus_one = bb.compare(ir::Predicate::EQ, divisor, int_constant(ctx, type, -1));
    ir::Value safe = bb.select(is_minus_one, one, divisor);
    ir::Value q = bb.binary(ir::BinaryOp::SDiv, a, safe);
    ir::Value r = bb.binary(ir::BinaryOp::SRem, a, safe);
    q = bb.select(is_minus_one, bb.binary(ir::BinaryOp::Sub, zero, a), q);
    r = bb.select(is_minus_one, zero, r);
    /* C truncates toward zero; Python floors: adjust when the remainder and divisor differ in sign. */
    ir::Value signs_differ = bb.compare(ir::Predicate::SLT, bb.binary(ir::BinaryOp::Xor, r, divisor), zero);
    ir::Value adjust = bb.binary(ir::BinaryOp::And, bb.compare(ir::Predicate::NE, r, zero), signs_differ);
    q = bb.select(adjust, bb.binary(ir::BinaryOp::Sub, q, one), q);
    r = bb.select(adjust, bb.binary(ir::BinaryOp::Add, r, divisor), r);
    return {bb.select(is_zero, zero, q), bb.select(is_zero, zero, r)};
}

} // namespace builtins

namespace {
using namespace builtins;

/* CPython's float_divmod: fmod, then fix the signs, then round the quotient. */
std::pair<ir::Value, ir::Value> float_floor_divmod(LoweringContext &ctx, TypeRef type, ir::Value x, ir::Value y) {
    ir::Builder &b = ctx.b();
    ir::Type t = LoweringContext::scalar(type);
    ir::Value zero = b.constant_float(t, 0.0);
    ir::Value one = b.constant_float(t, 1.0);
    ir::Value mod = b.binary(ir::BinaryOp::FRem, x, y);
    ir::Value div = b.binary(ir::BinaryOp::FDiv, b.binary(ir::BinaryOp::FSub, x, mod), y);
    ir::Value mod_nonzero = b.compare(ir::Predicate::FUNE, mod, zero);
    ir::Value signs_differ = b.compare(ir::Predicate::NE, b.compare(ir::Predicate::FOLT, y, zero),
                                       b.compare(ir::Predicate::FOLT, mod, zero));
    ir::Value fix = b.binary(ir::BinaryOp::And, mod_nonzero, signs_differ);
    mod = b.select(fix, b.binary(ir::BinaryOp::FAdd, mod, y), mod);
    div = b.select(fix, b.binary(ir::BinaryOp::FSub, div, one), div);
    mod = b.select(mod_nonzero, mod, b.call_intrinsic("copysign", t, {zero, y}));
    ir::Value floordiv = b.call_intrinsic("floor", t, {div});
    ir::Value round_up = b.compare(ir::Predicate::FOGT, b.binary(ir::BinaryOp::FSub, div, floordiv),
                                   b.constant_float(t, 0.5));
    floordiv = b.select(round_up, b.binary(ir::BinaryOp::FAdd, floordiv, one), floordiv);
    ir::Value div_nonzero = b.compare(ir::Predicate::FUNE, div, zero);
    floordiv = b.select(div_nonzero, floordiv,
                        b.call_intrinsic("copysign", t, {zero, b.binary(ir::BinaryOp::FDiv, x, y)}));
    return {floordiv, mod};
}

/* (result type, operand type) for an arithmetic operator given the common type. */
std::pair<TypeRef, TypeRef> same_type(TypeRef common) { return {common, common}; }

void register_arithmetic(Registry &registry) {
    struct Simple {
        const char *name;
        ir::BinaryOp int_op, float_op;
    };
    for (Simple op : {Simple{"+", ir::BinaryOp::Add, ir::BinaryOp::FAdd}, Simple{"-", ir::BinaryOp::Sub, ir::BinaryOp::FSub},
                      Simple{"*", ir::BinaryOp::Mul, ir::BinaryOp::FMul}}) {
        define_numeric(registry, op.name, numeric_typer(2, same_type),
               [op](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                   return {ctx.b().binary(is_float(sig.result) ? op.float_op : op.int_op, a[0][0], a[1][0])};
               });
    }
    /* True division: ints divide as float64. */
    define_numeric(registry, "/", numeric_typer(2, [](TypeRef common) {
               TypeRef t = is_float(common) ? common : types::float64();
               return std::make_pair(t, t);
           }),
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               return {ctx.b().binary(ir::BinaryOp::FDiv, a[0][0], a[1][0])};
           });
    define_numeric(registry, "//", numeric_typer(2, same_type),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               if (is_float(sig.result))
                   return {float_floor_divmod(ctx, sig.result, a[0][0], a[1][0]).first};
               return {int_floor_divmod(ctx, sig.result, a[0][0], a[1][0]).first};
           });
    define_numeric(registry, "%", numeric_typer(2, same_type),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               if (is_float(sig.result))
                   return {float_floor_divmod(ctx, sig.result, a[0][0], a[1][0]).second};
               return {int_floor_divmod(ctx, sig.result, a[0][0], a[1][0]).second};
           });
    define_numeric(registry, "**", numeric_typer(2, same_type),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               ir::Type t = LoweringContext::scalar(sig.result);
               if (is_float(sig.result))
                   return {ctx.b().call_intrinsic("pow", t, {a[0][0], a[1][0]})};
               /* Exponentiation by squaring in a runtime helper; it records NegativePower. */
               return {ctx.b().call_symbol("nativecall_jit_ipow", t, {t, t}, {a[0][0], a[1][0]}, false)};
           });
}

void register_bitwise(Registry &registry) {
    auto integral_typer = [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 2 || !is_integral(args.types[0]) || !is_integral(args.types[1]))
            return std::nullopt;
        if (args.types[0]->kind == Kind::Bool && args.types[1]->kind == Kind::Bool)
            return signature(types::boolean(), {types::boolean(), types::boolean()});
        TypeRef t = types::arithmetic_result(args.types[0], args.types[1]);
        return signature(t, {t, t});
    };
    struct Bitwise {
        const char *name;
        ir::BinaryOp op;
    };
    for (Bitwise op : {Bitwise{"&", ir::BinaryOp::And}, Bitwise{"|", ir::BinaryOp::Or}, Bitwise{"^", ir::BinaryOp::Xor}})
        define_numeric(registry, op.name, integral_typer,
               [op](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                   return {ctx.b().binary(op.op, a[0][0], a[1][0])};
               });
    auto shift_typer = [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 2 || !is_integral(args.types[0]) || !is_integral(args.types[1]))
            return std::nullopt;
        TypeRef t = types::arithmetic_result(args.types[0], args.types[0]);
        return signature(t, {t, t});
    };
    /* Shifts by 64 or more saturate as Python's unbounded ints would before wrapping
       (x << 64 → 0, x >> 64 → 0 or -1) instead of producing LLVM poison. */
    for (bool left : {true, false})
        define_numeric(registry, left ? "<<" : ">>", shift_typer,
               [left](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                   ir::Builder &b = ctx.b();
                   ir::Value x = a[0][0], n = a[1][0];
                   ir::Value too_far = b.compare(ir::Predicate::UGE, n, int_constant(ctx, sig.result, 64));
                   ir::Value safe_n = b.select(too_far, int_constant(ctx, sig.result, 63), n);
                   if (left)
                       return {b.select(too_far, int_constant(ctx, sig.result, 0), b.binary(ir::BinaryOp::Shl, x, safe_n))};
                   ir::BinaryOp op = sig.result->is_signed ? ir::BinaryOp::AShr : ir::BinaryOp::LShr;
                   ir::Value shifted = b.binary(op, x, safe_n);
                   return {sig.result->is_signed ? shifted : b.select(too_far, int_constant(ctx, sig.result, 0), shifted)};
               });
}

void register_comparisons(Registry &registry) {
    struct Comparison {
        const char *name;
        ir::Predicate sint, uint, flt;
    };
    const Comparison comparisons[] = {
        {"==", ir::Predicate::EQ, ir::Predicate::EQ, ir::Predicate::FOEQ},
        {"!=", ir::Predicate::NE, ir::Predicate::NE, ir::Predicate::FUNE},
        {"<", ir::Predicate::SLT, ir::Predicate::ULT, ir::Predicate::FOLT},
        {"<=", ir::Predicate::SLE, ir::Predicate::ULE, ir::Predicate::FOLE},
        {">", ir::Predicate::SGT, ir::Predicate::UGT, ir::Predicate::FOGT},
        {">=", ir::Predicate::SGE, ir::Predicate::UGE, ir::Predicate::FOGE},
    };
    /* Pointers compare for identity. */
    for (const char *name : {"==", "!="}) {
        bool equal = std::string(name) == "==";
        define(registry, name,
               [](const CallArgs &args) -> std::optional<CallSignature> {
                   if (args.types.size() != 2 || args.types[0]->kind != Kind::Pointer || args.types[1]->kind != Kind::Pointer)
                       return std::nullopt;
                   return signature(types::boolean(), {args.types[0], args.types[1]});
               },
               [equal](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                   return {ctx.b().compare(equal ? ir::Predicate::EQ : ir::Predicate::NE, a[0][0], a[1][0])};
               },
               TypePattern::of(Kind::Pointer));
    }
    for (const Comparison &c : comparisons) {
        define_numeric(registry, c.name,
               numeric_typer(2, [](TypeRef common) { return std::make_pair(types::boolean(), common); }),
               [c](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                   TypeRef t = sig.args[0];
                   ir::Predicate p = is_float(t) ? c.flt : t->is_signed ? c.sint : c.uint;
                   return {ctx.b().compare(p, a[0][0], a[1][0])};
               });
    }
}

void register_unary(Registry &registry) {
    define_numeric(registry, "unary-", numeric_typer(1, same_type),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               if (is_float(sig.result))
                   return {ctx.b().negate_float(a[0][0])};
               return {ctx.b().binary(ir::BinaryOp::Sub, int_constant(ctx, sig.result, 0), a[0][0])};
           });
    define_numeric(registry, "unary+", numeric_typer(1, same_type), pass_through);
    define_numeric(registry, "~",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || !is_integral(args.types[0]))
                   return std::nullopt;
               TypeRef t = types::arithmetic_result(args.types[0], args.types[0]);
               return signature(t, {t});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               return {ctx.b().binary(ir::BinaryOp::Xor, a[0][0], int_constant(ctx, sig.result, -1))};
           });
    /* Truth testing: `if x`, `not x`, and/or, and the builtin bool(). */
    auto truth_typer = [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1)
            return std::nullopt;
        TypeRef t = args.types[0];
        if (!t->is_number() && t->kind != Kind::Pointer)
            return std::nullopt;
        return signature(types::boolean(), {t});
    };
    define(registry, "bool", truth_typer,
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               return {truth(ctx, sig.args[0], a[0][0])};
           });
    define(registry, "not", truth_typer,
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               ir::Value t = truth(ctx, sig.args[0], a[0][0]);
               return {ctx.b().binary(ir::BinaryOp::Xor, t, ctx.b().constant_int(ir::Type::I1, 1))};
           });
}

} // namespace

void register_operators(Registry &registry) {
    register_arithmetic(registry);
    register_bitwise(registry);
    register_comparisons(registry);
    register_unary(registry);
}

} // namespace nativecall::jit
