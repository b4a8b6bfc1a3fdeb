// math.* and numpy scalar functions and constants (math.exp, np.sqrt, math.pi, np.inf, ...).
#include <cmath>

#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* How a function is emitted: an LLVM intrinsic (which the optimiser understands,
   e.g. pow(x, 2.0) → x*x), or a libm symbol bound by the engine. */
struct MathFunction {
    const char *name;         // registry name, "math.exp"
    int arity;
    const char *intrinsic;    // or nullptr
    const char *symbol;       // libm name when not an intrinsic
    char result;              // 'f' float64, 'b' bool (classification), 'i' int64 (math.floor & co)
};

const MathFunction kFunctions[] = {
    {"exp", 1, "exp", nullptr, 'f'},       {"expm1", 1, nullptr, "expm1", 'f'},
    {"log", 1, "log", nullptr, 'f'},       {"log1p", 1, nullptr, "log1p", 'f'},
    {"log10", 1, "log10", nullptr, 'f'},   {"log2", 1, "log2", nullptr, 'f'},
    {"sqrt", 1, "sqrt", nullptr, 'f'},     {"sin", 1, "sin", nullptr, 'f'},
    {"cos", 1, "cos", nullptr, 'f'},       {"tan", 1, nullptr, "tan", 'f'},
    {"asin", 1, nullptr, "asin", 'f'},     {"acos", 1, nullptr, "acos", 'f'},
    {"atan", 1, nullptr, "atan", 'f'},     {"atan2", 2, nullptr, "atan2", 'f'},
    {"sinh", 1, nullptr, "sinh", 'f'},     {"cosh", 1, nullptr, "cosh", 'f'},
    {"tanh", 1, nullptr, "tanh", 'f'},     {"asinh", 1, nullptr, "asinh", 'f'},
    {"acosh", 1, nullptr, "acosh", 'f'},   {"atanh", 1, nullptr, "atanh", 'f'},
    {"erf", 1, nullptr, "erf", 'f'},       {"erfc", 1, nullptr, "erfc", 'f'},
    {"gamma", 1, nullptr, "tgamma", 'f'},  {"lgamma", 1, nullptr, "nativecall_jit_lgamma", 'f'},
    {"hypot", 2, nullptr, "hypot", 'f'},   {"pow", 2, "pow", nullptr, 'f'},
    {"fabs", 1, "fabs", nullptr, 'f'},     {"copysign", 2, "copysign", nullptr, 'f'},
    {"fmod", 2, nullptr, "fmod", 'f'},     {"floor", 1, "floor", nullptr, 'i'},
    {"ceil", 1, "ceil", nullptr, 'i'},     {"trunc", 1, "trunc", nullptr, 'i'},
    {"isnan", 1, nullptr, nullptr, 'b'},   {"isinf", 1, nullptr, nullptr, 'b'},
    {"isfinite", 1, nullptr, nullptr, 'b'},
};

/* numpy spellings: same implementation; numpy's floor/ceil/trunc return floats. */
const std::pair<const char *, const char *> kNumpyAliases[] = {
    {"exp", "exp"},     {"expm1", "expm1"},   {"log", "log"},       {"log1p", "log1p"},     {"log10", "log10"},
    {"log2", "log2"},   {"sqrt", "sqrt"},     {"sin", "sin"},       {"cos", "cos"},         {"tan", "tan"},
    {"arcsin", "asin"}, {"arccos", "acos"},   {"arctan", "atan"},   {"arctan2", "atan2"},   {"sinh", "sinh"},
    {"cosh", "cosh"},   {"tanh", "tanh"},     {"arcsinh", "asinh"}, {"arccosh", "acosh"},   {"arctanh", "atanh"},
    {"hypot", "hypot"}, {"fabs", "fabs"},     {"copysign", "copysign"}, {"fmod", "fmod"}, {"isnan", "isnan"},
    {"isinf", "isinf"}, {"isfinite", "isfinite"}, {"floor", "floor"}, {"ceil", "ceil"},   {"trunc", "trunc"},
};

Lowered emit_math(LoweringContext &ctx, const MathFunction &fn, bool float_rounding, const std::vector<Lowered> &a) {
    ir::Builder &b = ctx.b();
    ir::Value x = a[0][0];
    if (fn.result == 'b') {
        std::string n = fn.name;
        if (n == "isnan")
            return {b.compare(ir::Predicate::FUNO, x, x)};
        ir::Value is_inf = b.compare(ir::Predicate::FOEQ, b.call_intrinsic("fabs", ir::Type::F64, {x}),
                                     b.constant_float(ir::Type::F64, INFINITY));
        if (n == "isinf")
            return {is_inf};
        ir::Value is_nan = b.compare(ir::Predicate::FUNO, x, x);
        return {b.binary(ir::BinaryOp::Xor, b.binary(ir::BinaryOp::Or, is_inf, is_nan), b.constant_int(ir::Type::I1, 1))};
    }
    std::vector<ir::Value> args;
    for (const auto &v : a)
        args.push_back(v[0]);
    if (std::string(fn.name) == "log" && args.size() == 2)   // math.log(x, base)
        return {b.binary(ir::BinaryOp::FDiv, b.call_intrinsic("log", ir::Type::F64, {args[0]}),
                         b.call_intrinsic("log", ir::Type::F64, {args[1]}))};
    ir::Value r = fn.intrinsic ? b.call_intrinsic(fn.intrinsic, ir::Type::F64, args)
                               : b.call_symbol(fn.symbol, ir::Type::F64, std::vector<ir::Type>(args.size(), ir::Type::F64),
                                               args, true);
    if (fn.result == 'i' && !float_rounding)
        return {ctx.cast_scalar(r, types::float64(), types::int64())};
    return {r};
}

void define_math(Registry &registry, const std::string &name, const MathFunction &fn, bool float_rounding) {
    TypeRef result = fn.result == 'b' ? types::boolean() : fn.result == 'i' && !float_rounding ? types::int64() : types::float64();
    int arity = fn.arity;
    registry.add_typer(name, [arity, result](const CallArgs &args) -> std::optional<CallSignature> {
        if (static_cast<int>(args.types.size()) != arity || !all_numbers(args))
            return std::nullopt;
        return signature(result, std::vector<TypeRef>(args.types.size(), types::float64()));
    });
    registry.add_lowering(name, {TypePattern::number()},
                          [fn, float_rounding](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) {
                              return emit_math(ctx, fn, float_rounding, a);
                          },
                          true);
}

/* m.attr → the function registered as `target` (np.exp → "numpy.exp"). */
void define_module_function(Registry &registry, const std::string &module, const std::string &attr,
                            const std::string &target) {
    registry.add_typer("." + attr, [module, target](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != types::module(module))
            return std::nullopt;
        return signature(types::function(target), {args.types[0]});
    });
}

void define_module_constant(Registry &registry, const std::string &module, const std::string &attr, double value) {
    TypeRef m = types::module(module);
    registry.add_typer("." + attr, [m](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != m)
            return std::nullopt;
        return signature(types::float64(), {m});
    });
    registry.add_lowering("." + attr, {TypePattern::exactly(m)},
                          [value](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &) -> Lowered {
                              return {ctx.b().constant_float(ir::Type::F64, value)};
                          });
}

} // namespace

void register_math_functions(Registry &registry) {
    for (const MathFunction &fn : kFunctions) {
        define_math(registry, std::string("math.") + fn.name, fn, false);
        define_module_function(registry, "math", fn.name, std::string("math.") + fn.name);
    }
    for (const auto &[numpy_name, math_name] : kNumpyAliases) {
        for (const MathFunction &fn : kFunctions)
            if (std::string(fn.name) == math_name)
                define_math(registry, std::string("numpy.") + numpy_name, fn, true);
        define_module_function(registry, "numpy", numpy_name, std::string("numpy.") + numpy_name);
    }
    /* math.log(x, base) */
    registry.add_typer("math.log", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 2 || !all_numbers(args))
            return std::nullopt;
        return signature(types::float64(), {types::float64(), types::float64()});
    });
    /* numpy's abs and power follow the operators' integer/float rules. */
    for (const char *name : {"abs", "absolute"})
        define_module_function(registry, "numpy", name, "abs");
    define_module_function(registry, "numpy", "power", "numpy.power");
    registry.add_typer("numpy.power", numeric_typer(2, [](TypeRef common) { return std::make_pair(common, common); }));
    registry.add_lowering("numpy.power", {TypePattern::number()},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) {
                              return ctx.call("**", sig.args, a).first;
                          },
                          true);
    for (const char *module : {"math", "numpy"}) {
        define_module_constant(registry, module, "pi", M_PI);
        define_module_constant(registry, module, "e", M_E);
        define_module_constant(registry, module, "inf", INFINITY);
        define_module_constant(registry, module, "nan", NAN);
    }
    define_module_constant(registry, "math", "tau", 2 * M_PI);
}

} // namespace nativecall::jit
