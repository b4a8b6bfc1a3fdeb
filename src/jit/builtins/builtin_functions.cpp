// Builtin functions (abs, min, max, round, int, float, len, range), tuple indexing, calls of dtypes and other cfuncs.
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

void register_numeric_builtins(Registry &registry) {
    define_numeric(registry, "abs", numeric_typer(1, [](TypeRef common) { return std::make_pair(common, common); }),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               ir::Builder &b = ctx.b();
               ir::Type t = LoweringContext::scalar(sig.result);
               if (is_float(sig.result))
                   return {b.call_intrinsic("fabs", t, {a[0][0]})};
               if (!sig.result->is_signed)
                   return {a[0][0]};
               ir::Value negative = b.compare(ir::Predicate::SLT, a[0][0], b.constant_int(t, 0));
               return {b.select(negative, b.binary(ir::BinaryOp::Sub, b.constant_int(t, 0), a[0][0]), a[0][0])};
           });

    /* min/max keep Python's exact choice, NaN included: min(a, b) is `b if b < a else a`. */
    for (bool is_min : {true, false}) {
        define_numeric(registry, is_min ? "min" : "max",
               [](const CallArgs &args) -> std::optional<CallSignature> {
                   if (args.types.size() < 2 || !all_numbers(args))
                       return std::nullopt;
                   TypeRef common = args.types[0];
                   for (TypeRef t : args.types)
                       common = types::unify(common, t);
                   return signature(common, std::vector<TypeRef>(args.types.size(), common));
               },
               [is_min](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                   TypeRef t = sig.result;
                   ir::Predicate p = is_float(t) ? (is_min ? ir::Predicate::FOLT : ir::Predicate::FOGT)
                                   : t->kind == Kind::Bool || !t->is_signed ? (is_min ? ir::Predicate::ULT : ir::Predicate::UGT)
                                                                            : (is_min ? ir::Predicate::SLT : ir::Predicate::SGT);
                   ir::Value best = a[0][0];
                   for (std::size_t i = 1; i < a.size(); ++i)
                       best = ctx.b().select(ctx.b().compare(p, a[i][0], best), a[i][0], best);
                   return {best};
               });
    }

    define_numeric(registry, "round",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() == 2)
                   throw TypingFailure("round() with ndigits is not supported");
               if (args.types.size() != 1 || !args.types[0]->is_number())
                   return std::nullopt;
               TypeRef arg = is_float(args.types[0]) ? args.types[0] : types::int64();
               return signature(types::int64(), {arg});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               if (!is_float(sig.args[0]))
                   return {a[0][0]};
               /* rint rounds half to even in the default rounding mode, as Python's round does. */
               ir::Value r = ctx.b().call_intrinsic("rint", LoweringContext::scalar(sig.args[0]), {a[0][0]});
               return {ctx.cast_scalar(r, sig.args[0], types::int64())};
           });

    /* pow(a, b) is a ** b. */
    define_numeric(registry, "pow", numeric_typer(2, [](TypeRef common) { return std::make_pair(common, common); }),
                   [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) {
                       return ctx.call("**", sig.args, a).first;
                   });

    /* int(), float() convert numbers; bool() is the truth test registered with the operators. */
    auto conversion = [](TypeRef to) {
        return [to](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || !args.types[0]->is_number())
                return std::nullopt;
            return signature(to, {to});
        };
    };
    define_numeric(registry, "int", conversion(types::int64()), pass_through);
    define_numeric(registry, "float", conversion(types::float64()), pass_through);
}

void register_range(Registry &registry) {
    registry.add_parameter_names("range", {"start", "stop", "step"});
    define(registry, "range",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.empty() || args.types.size() > 3)
                   return std::nullopt;
               for (TypeRef t : args.types)
                   if (!is_integral(t))
                       throw TypingFailure("range() takes integers, not " + t->str());
               return signature(types::range(), std::vector<TypeRef>(args.types.size(), types::int64()));
           },
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               ir::Builder &b = ctx.b();
               ir::Value zero = b.constant_int(ir::Type::I64, 0), one = b.constant_int(ir::Type::I64, 1);
               if (a.size() == 1)
                   return {zero, a[0][0], one};
               if (a.size() == 2)
                   return {a[0][0], a[1][0], one};
               ir::Value step = a[2][0];
               ir::Value step_zero = b.compare(ir::Predicate::EQ, step, zero);
               ctx.raise_if(step_zero, static_cast<int>(RuntimeErrorCode::ZeroStep));
               /* A zero step would loop forever: after recording the error, run no iterations. */
               return {a[0][0], b.select(step_zero, a[0][0], a[1][0]), b.select(step_zero, one, step)};
           });
    auto unary = [](Kind kind, TypeRef result) {
        return [kind, result](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != kind)
                return std::nullopt;
            return signature(result ? result : args.types[0], {args.types[0]});
        };
    };
    define(registry, "iter", unary(Kind::Range, types::iterator(types::range())), pass_through,
           TypePattern::of(Kind::Range));
    registry.add_typer("iter.valid", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != types::iterator(types::range()))
            return std::nullopt;
        return signature(types::boolean(), {args.types[0]});
    });
    registry.add_lowering("iter.valid", {TypePattern::exactly(types::iterator(types::range()))},
                          [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                              ir::Builder &b = ctx.b();
                              ir::Value cur = a[0][0], stop = a[0][1], step = a[0][2];
                              ir::Value up = b.compare(ir::Predicate::SGT, step, b.constant_int(ir::Type::I64, 0));
                              return {b.select(up, b.compare(ir::Predicate::SLT, cur, stop),
                                               b.compare(ir::Predicate::SGT, cur, stop))};
                          });
    registry.add_typer("iter.next", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != types::iterator(types::range()))
            return std::nullopt;
        return signature(types::int64(), {args.types[0]});
    });
    registry.add_lowering("iter.next", {TypePattern::exactly(types::iterator(types::range()))},
                          [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                              return {a[0][0]};
                          });
    registry.add_typer("iter.advance", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != types::iterator(types::range()))
            return std::nullopt;
        return signature(args.types[0], {args.types[0]});
    });
    registry.add_lowering("iter.advance", {TypePattern::exactly(types::iterator(types::range()))},
                          [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                              return {ctx.b().binary(ir::BinaryOp::Add, a[0][0], a[0][2]), a[0][1], a[0][2]};
                          });
}

/* Index of a tuple member's first part in the flattened value. */
std::size_t part_offset(TypeRef tuple, std::size_t member) {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < member; ++i)
        offset += LoweringContext::parts(tuple->members[i]).size();
    return offset;
}

void register_tuples(Registry &registry) {
    define(registry, "len",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || args.types[0]->kind != Kind::Tuple)
                   return std::nullopt;
               return signature(types::int64(), {args.types[0]});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &) -> Lowered {
               return {ctx.b().constant_int(ir::Type::I64, static_cast<std::int64_t>(sig.args[0]->members.size()))};
           },
           TypePattern::of(Kind::Tuple));
    /* t[k] with k known at compile time works on any tuple; a homogeneous tuple of
       scalars may also be indexed at run time (shape[i]). */
    define(registry, "getitem",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 2 || args.types[0]->kind != Kind::Tuple || !is_integral(args.types[1]))
                   return std::nullopt;
               TypeRef tuple = args.types[0];
               auto n = static_cast<std::int64_t>(tuple->members.size());
               if (auto k = args.literal_ints[1]) {
                   std::int64_t index = *k < 0 ? *k + n : *k;
                   if (index < 0 || index >= n)
                       throw TypingFailure("tuple index " + std::to_string(*k) + " out of range for " + tuple->str());
                   return signature(tuple->members[static_cast<std::size_t>(index)], {tuple, types::int64()});
               }
               for (TypeRef m : tuple->members)
                   if (m != tuple->members.front() || !m->is_number())
                       throw TypingFailure("only a tuple of one number type can be indexed at run time; " +
                                           tuple->str() + " needs a constant index");
               if (n == 0)
                   throw TypingFailure("cannot index an empty tuple");
               return signature(tuple->members.front(), {tuple, types::int64()});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               TypeRef tuple = sig.args[0];
               auto n = static_cast<std::int64_t>(tuple->members.size());
               if (auto k = sig.literal_ints[1]) {
                   auto index = static_cast<std::size_t>(*k < 0 ? *k + n : *k);
                   std::size_t begin = part_offset(tuple, index);
                   std::size_t count = LoweringContext::parts(tuple->members[index]).size();
                   return Lowered(a[0].begin() + begin, a[0].begin() + begin + count);
               }
               ir::Builder &b = ctx.b();
               ir::Value i = a[1][0];
               ir::Value negative = b.compare(ir::Predicate::SLT, i, b.constant_int(ir::Type::I64, 0));
               i = b.select(negative, b.binary(ir::BinaryOp::Add, i, b.constant_int(ir::Type::I64, n)), i);
               if (ctx.debug())
                   ctx.raise_if(b.compare(ir::Predicate::UGE, i, b.constant_int(ir::Type::I64, n)),
                                static_cast<int>(RuntimeErrorCode::IndexOutOfBounds));
               ir::Value result = a[0][0];
               for (std::int64_t k = 1; k < n; ++k)
                   result = b.select(b.compare(ir::Predicate::EQ, i, b.constant_int(ir::Type::I64, k)),
                                     a[0][static_cast<std::size_t>(k)], result);
               return {result};
           },
           TypePattern::of(Kind::Tuple));
}

/* for s in shape: a tuple of one scalar type, indexed at run time; state = members + position. */
void register_tuple_iteration(Registry &registry) {
    auto homogeneous = [](TypeRef t) {
        if (t->kind != Kind::Tuple || t->members.empty())
            return false;
        for (TypeRef m : t->members)
            if (m != t->members.front() || !m->is_number())
                return false;
        return true;
    };
    define(registry, "iter",
           [homogeneous](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || args.types[0]->kind != Kind::Tuple)
                   return std::nullopt;
               if (!homogeneous(args.types[0]))
                   throw TypingFailure("only tuples of one number type can be looped over, not " + args.types[0]->str());
               return signature(types::iterator(args.types[0]), {args.types[0]});
           },
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               Lowered state = a[0];
               state.push_back(ctx.b().constant_int(ir::Type::I64, 0));
               return state;
           },
           TypePattern::of(Kind::Tuple));
    auto over_tuple = [](TypeRef (*result)(TypeRef)) {
        return [result](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Iterator ||
                args.types[0]->element->kind != Kind::Tuple)
                return std::nullopt;
            return signature(result(args.types[0]), {args.types[0]});
        };
    };
    define(registry, "iter.valid", over_tuple([](TypeRef) { return types::boolean(); }),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               auto n = static_cast<std::int64_t>(sig.args[0]->element->members.size());
               return {ctx.b().compare(ir::Predicate::SLT, a[0].back(), ctx.b().constant_int(ir::Type::I64, n))};
           },
           TypePattern::iterator_over(Kind::Tuple));
    define(registry, "iter.next", over_tuple([](TypeRef it) { return it->element->members.front(); }),
           item_at_position, TypePattern::iterator_over(Kind::Tuple));
    define(registry, "iter.advance", over_tuple([](TypeRef it) { return it; }), advance_position,
           TypePattern::iterator_over(Kind::Tuple));
}

void register_calls(Registry &registry) {
    /* np.float64(x), types.intc(x): a dtype called on a number converts it. */
    registry.add_typer("call", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 2 || args.types[0]->kind != Kind::DType || !args.types[1]->is_number() ||
            !args.types[0]->element->is_number())   // a record dtype converts nothing
            return std::nullopt;
        TypeRef to = args.types[0]->element;
        return signature(to, {args.types[0], to});
    });
    registry.add_lowering("call", {TypePattern::of(Kind::DType), TypePattern::any()},
                          [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                              return a[1];
                          });
    /* Another cfunc, called through its address. */
    registry.add_typer("call", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty() || args.types[0]->kind != Kind::External)
            return std::nullopt;
        const Signature &target = *args.types[0]->signature;
        if (args.types.size() - 1 != target.params.size())
            throw TypingFailure(args.types[0]->name + "() takes " + std::to_string(target.params.size()) +
                                " arguments, " + std::to_string(args.types.size() - 1) + " given");
        CallSignature sig{types::from_ctype(target.result), {args.types[0]}};
        for (std::size_t i = 0; i < target.params.size(); ++i) {
            TypeRef param = types::from_ctype(target.params[i]);
            TypeRef given = args.types[i + 1];
            /* Any data pointer passes as void * (C's implicit conversion; a struct pointer
               given to another cfunc's user_data). */
            bool convertible = given == param || (given->is_number() && param->is_number()) ||
                               (param == types::voidptr() && given->kind == Kind::Pointer);
            if (!convertible)
                throw TypingFailure("argument " + std::to_string(i + 1) + " of " + args.types[0]->name + "(): cannot pass " +
                                    given->str() + " as " + param->str());
            sig.args.push_back(param);
        }
        return sig;
    });
    registry.add_lowering("call", {TypePattern::of(Kind::External), TypePattern::any()},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              std::vector<ir::Value> values;
                              for (std::size_t i = 1; i < a.size(); ++i)
                                  values.push_back(a[i][0]);
                              ir::Value v = sig.args[0]->address == 0
                                                ? ctx.b().call_self(values)
                                                : ctx.b().call_address(sig.args[0]->address, *sig.args[0]->signature, values);
                              if (!v)
                                  return {};
                              return {v};
                          },
                          true);
}

/* Scalar type objects reachable as module attributes (np.float64, types.intc, numba.int32). */
void register_dtype_attributes(Registry &registry) {
    static const char *const scalar_names[] = {
        "bool_", "boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intc", "uintc",
        "intp", "uintp", "float32", "float64", "double", "single", "int_", "float_", "byte", "short", "longlong"};
    for (const char *name : scalar_names) {
        TypeRef scalar = types::scalar_by_name(name);
        registry.add_typer(std::string(".") + name, [scalar](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Module)
                return std::nullopt;
            const std::string &m = args.types[0]->name;
            if (m != "numpy" && m != "types" && m != "numba" && m != "nativecall")
                return std::nullopt;
            return signature(types::dtype(scalar), {args.types[0]});
        });
    }
    /* numba.types / nativecall.types reached as attributes of their package. */
    registry.add_typer(".types", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0]->kind != Kind::Module)
            return std::nullopt;
        const std::string &m = args.types[0]->name;
        if (m != "numba" && m != "nativecall")
            return std::nullopt;
        return signature(types::module("types"), {args.types[0]});
    });
    for (const char *fn : {"carray", "farray"}) {
        std::string name = fn;
        registry.add_typer("." + name, [name](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Module)
                return std::nullopt;
            const std::string &m = args.types[0]->name;
            if (m != "numba" && m != "nativecall")
                return std::nullopt;
            return signature(types::function(name), {args.types[0]});
        });
    }
}

} // namespace

void register_builtin_functions(Registry &registry) {
    register_numeric_builtins(registry);
    register_range(registry);
    register_tuples(registry);
    register_tuple_iteration(registry);
    register_calls(registry);
    register_dtype_attributes(registry);
}

} // namespace nativecall::jit
