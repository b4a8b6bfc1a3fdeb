// Extends the cfunc compiler from C++: functions, an attribute, a cast and a constant lowered with llvm::IRBuilder.
//
// Built and run by `make test` (ctest name: example_jit_extension). It registers
// extensions in nativecall::jit's extension layer (the counterparts of numba's
// lower_builtin, lower_getattr, lower_cast and lower_constant), compiles Python-subset source that
// uses them with nativecall::jit::compile, calls the native code and checks each result
// against plain C++. It exits with 1 if a check fails.
//
// It is the one place in the tree outside src/jit/codegen and src/jit/engine that includes
// LLVM: nativecall/jit/llvm_interop.h is opt-in, for programs that link LLVM 19 themselves.

#include <bitset>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include <llvm/IR/Constants.h>
#include <llvm/IR/Intrinsics.h>

#include "nativecall/errors.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/jit/extending.h"
#include "nativecall/jit/llvm_interop.h"

using namespace nativecall;
using namespace nativecall::jit;

namespace {

int failures = 0;
constexpr double pi = 3.14159265358979323846;

/* An angle in degrees, made of one double: compiled code keeps degrees, and converts to
   radians wherever a plain double is wanted (returning it from a `double` function). */
TypeRef degrees_type() { return types::custom("Degrees", {types::float64()}); }

std::string number(double x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", x);
    return text;
}

void check(bool ok, const std::string &what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    failures += ok ? 0 : 1;
}

void register_extensions() {
    extend([](Registry &r) {
        /* popcount(n): the number of set bits of an integer, as an int64 (numba's
           type_callable + lower_builtin). The typer accepts any integer; the call site
           converts nothing, so the lowering sees the integer's own width. */
        r.add_typer("popcount", [](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Int)
                return std::nullopt;
            return CallSignature{types::int64(), {args.types[0]}};
        });
        r.add_lowering("popcount", {TypePattern::of(Kind::Int)},
                       [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &args) -> Lowered {
                           llvm::IRBuilder<> &b = llvm_interop::ir_builder(ctx.b());
                           llvm::Value *n = llvm_interop::to_llvm(args[0][0]);
                           llvm::Value *count = b.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop, n);
                           /* The result is an int64 whatever the argument's width: ctpop never
                              exceeds 64, so zero-extension is exact. */
                           llvm::Value *wide = b.CreateZExtOrTrunc(count, b.getInt64Ty());
                           (void)sig;
                           return {llvm_interop::from_llvm(wide)};
                       });

        /* fma(a, b, c): a * b + c with one rounding; arguments convert to float64 first
           (the typer asks for float64 parameters and the compiler inserts the casts). */
        r.add_typer("fma", [](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 3)
                return std::nullopt;
            for (TypeRef t : args.types)
                if (!t->is_number())
                    throw TypingFailure("fma() takes numbers, got " + t->str());
            return CallSignature{types::float64(), {types::float64(), types::float64(), types::float64()}};
        });
        r.add_lowering("fma", {TypePattern::exactly(types::float64())},
                       [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &args) -> Lowered {
                           llvm::IRBuilder<> &b = llvm_interop::ir_builder(ctx.b());
                           llvm::Value *a = llvm_interop::to_llvm(args[0][0]);
                           llvm::Value *x = llvm_interop::to_llvm(args[1][0]);
                           llvm::Value *c = llvm_interop::to_llvm(args[2][0]);
                           return {llvm_interop::from_llvm(b.CreateIntrinsic(llvm::Intrinsic::fma, {a->getType()}, {a, x, c}))};
                       },
                       /*variadic=*/true);

        /* An attribute of every integer: n.bit_length (the counterpart of lower_getattr). */
        r.add_typer(".bit_length", [](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types[0]->kind != Kind::Int)
                return std::nullopt;
            return CallSignature{types::int64(), {types::int64()}};
        });
        r.add_lowering(".bit_length", {TypePattern::exactly(types::int64())},
                       [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &args) -> Lowered {
                           llvm::IRBuilder<> &b = llvm_interop::ir_builder(ctx.b());
                           llvm::Value *n = llvm_interop::to_llvm(args[0][0]);
                           llvm::Value *magnitude = b.CreateBinaryIntrinsic(llvm::Intrinsic::abs, n, b.getFalse());
                           llvm::Value *zeros = b.CreateBinaryIntrinsic(llvm::Intrinsic::ctlz, magnitude, b.getFalse());
                           return {llvm_interop::from_llvm(b.CreateSub(b.getInt64(64), zeros))};
                       });

        /* Degrees → float64 multiplies by pi/180 (numba's lower_cast)... */
        r.add_cast(TypePattern::exactly(degrees_type()), TypePattern::exactly(types::float64()),
                   [](LoweringContext &ctx, TypeRef, TypeRef, const Lowered &value) -> Lowered {
                       llvm::IRBuilder<> &b = llvm_interop::ir_builder(ctx.b());
                       llvm::Value *scale = llvm::ConstantFP::get(b.getDoubleTy(), pi / 180.0);
                       return {llvm_interop::from_llvm(b.CreateFMul(llvm_interop::to_llvm(value[0]), scale))};
                   });
        /* ...and a Degrees constant is its number of degrees (numba's lower_constant). */
        r.add_constant(TypePattern::exactly(degrees_type()),
                       [](LoweringContext &ctx, TypeRef, const ConstantValue &c) -> Lowered {
                           llvm::IRBuilder<> &b = llvm_interop::ir_builder(ctx.b());
                           return {llvm_interop::from_llvm(llvm::ConstantFP::get(b.getDoubleTy(), std::get<double>(c.value)))};
                       });
    });
}

std::shared_ptr<CompiledFunction> compile_text(const std::string &text, const std::string &signature) {
    CompileRequest request;
    request.source = text;
    request.filename = "<jit_extension example>";
    request.signature = parse_signature(signature);
    request.globals["golden"] = GlobalValue::of_constant(ConstantValue{(1.0 + std::sqrt(5.0)) / 2.0});
    request.globals["RIGHT_ANGLE"] = GlobalValue::of_constant(degrees_type(), ConstantValue{90.0});
    return compile(request);
}

} // namespace

int main() {
    register_extensions();
    try {
        auto bits = compile_text("def bits(n):\n"
                                 "    return popcount(n) + n.bit_length\n",
                                 "int64(int64)");
        auto bits_fn = reinterpret_cast<std::int64_t (*)(std::int64_t)>(bits->address());
        for (std::int64_t n : {0LL, 1LL, 255LL, 1LL << 40, -7LL}) {
            std::int64_t magnitude = n < 0 ? -n : n;
            std::int64_t length = 0;
            while (magnitude >> length)
                ++length;
            std::int64_t expected = static_cast<std::int64_t>(std::bitset<64>(static_cast<std::uint64_t>(n)).count()) + length;
            check(bits_fn(n) == expected, "bits(" + std::to_string(n) + ") = " + std::to_string(bits_fn(n)));
        }

        auto fused = compile_text("def fused(a, b, k):\n"
                                  "    return fma(a, b, k) * golden\n",
                                  "double (double, double, int)");
        auto fused_fn = reinterpret_cast<double (*)(double, double, int)>(fused->address());
        double golden = (1.0 + std::sqrt(5.0)) / 2.0;
        double a = 1.0 + std::ldexp(1.0, -30), b = 1.0 - std::ldexp(1.0, -30);
        check(fused_fn(a, b, -1) == std::fma(a, b, -1.0) * golden,
              "fused(a, b, -1) keeps fma's single rounding: " + number(fused_fn(a, b, -1)));
        check(fused->llvm_ir().find("llvm.fma.f64") != std::string::npos, "the IR calls llvm.fma.f64");

        auto angle = compile_text("def quarter_turn():\n"
                                  "    return RIGHT_ANGLE\n",
                                  "double (void)");
        double radians = reinterpret_cast<double (*)()>(angle->address())();
        check(radians == 90.0 * (pi / 180.0), "a Degrees constant returned as double is in radians: " + number(radians));

        /* A typer's TypingFailure becomes a CompileError at the call site. */
        try {
            compile_text("def bad(p):\n    return fma(p, 1.0, 2.0)\n", "double (double *)");
            check(false, "fma on a pointer is rejected");
        } catch (const CompileError &e) {
            check(std::string(e.what()).find("fma() takes numbers, got CPointer(float64)") != std::string::npos,
                  std::string("fma on a pointer is rejected: ") + e.what());
        }
    } catch (const std::exception &e) {
        check(false, std::string("unexpected exception: ") + e.what());
    }
    return failures == 0 ? 0 : 1;
}
