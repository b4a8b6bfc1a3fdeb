// Stage tests without the parser or LLVM: hand-built ASTs are typed, then lowered into a recording builder.
#include <gtest/gtest.h>

#include <algorithm>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

/* An ir::Builder that records one line per instruction instead of building LLVM IR,
   so lowering can be checked on its own. Values are indices into `types`. */
class RecordingBuilder : public ir::Builder {
public:
    std::vector<std::string> log;
    std::vector<ir::Type> types{ir::Type::Void};   // index 0 unused: a null handle means "no value"
    int blocks = 1;
    bool open = true;

    ir::Value make(ir::Type t, const std::string &what) {
        types.push_back(t);
        log.push_back(what);
        return ir::Value{reinterpret_cast<void *>(types.size() - 1)};
    }
    ir::Type type(ir::Value v) const { return types.at(reinterpret_cast<std::size_t>(v.handle)); }

    ir::Value constant_int(ir::Type t, std::int64_t v) override { return make(t, "const " + std::to_string(v)); }
    ir::Value constant_float(ir::Type t, double v) override { return make(t, "constf " + std::to_string(v)); }
    ir::Value null_pointer() override { return make(ir::Type::Ptr, "null"); }
    ir::Value argument(int i) override { return make(params.at(static_cast<std::size_t>(i)), "arg"); }
    ir::Type type_of(ir::Value v) override { return type(v); }
    ir::Value binary(ir::BinaryOp op, ir::Value l, ir::Value) override {
        static const char *names[] = {"add", "sub", "mul", "sdiv", "udiv", "srem", "urem", "fadd", "fsub",
                                      "fmul", "fdiv", "frem", "and", "or", "xor", "shl", "ashr", "lshr"};
        return make(type(l), names[static_cast<int>(op)]);
    }
    ir::Value negate_float(ir::Value v) override { return make(type(v), "fneg"); }
    ir::Value compare(ir::Predicate, ir::Value, ir::Value) override { return make(ir::Type::I1, "cmp"); }
    ir::Value select(ir::Value, ir::Value t, ir::Value) override { return make(type(t), "select"); }
    ir::Value cast(ir::CastOp op, ir::Value, ir::Type to) override {
        static const char *names[] = {"trunc", "zext", "sext", "fptrunc", "fpext", "sitofp", "uitofp", "fptosi", "fptoui"};
        return make(to, names[static_cast<int>(op)]);
    }
    ir::Value call_intrinsic(const std::string &name, ir::Type result, const std::vector<ir::Value> &) override {
        return make(result, "intrinsic " + name);
    }
    ir::Value call_symbol(const std::string &symbol, ir::Type result, const std::vector<ir::Type> &,
                          const std::vector<ir::Value> &, bool) override {
        return make(result, "call " + symbol);
    }
    ir::Value call_address(std::uintptr_t, const Signature &, const std::vector<ir::Value> &) override {
        return make(ir::Type::F64, "call address");
    }
    ir::Value call_self(const std::vector<ir::Value> &) override { return make(ir::Type::F64, "call self"); }
    ir::Value element_pointer(ir::Type, ir::Value, ir::Value) override { return make(ir::Type::Ptr, "gep"); }
    ir::Value load(ir::Type t, ir::Value) override { return make(t, "load"); }
    void store(ir::Value, ir::Value) override { log.push_back("store"); }
    ir::Value local(ir::Type) override { return make(ir::Type::Ptr, "alloca"); }
    ir::BlockRef new_block(const std::string &) override { return ir::BlockRef{reinterpret_cast<void *>(++blocks)}; }
    void set_block(ir::BlockRef) override { open = true; }
    bool block_open() override { return open; }
    bool block_reachable() override { return true; }
    void jump(ir::BlockRef) override { terminate("br"); }
    void branch(ir::Value, ir::BlockRef, ir::BlockRef) override { terminate("condbr"); }
    void ret(ir::Value v) override { terminate("ret " + std::to_string(static_cast<int>(type(v)))); }
    void ret_void() override { terminate("ret void"); }
    void unreachable() override { terminate("unreachable"); }

    std::vector<ir::Type> params;

    std::size_t count(const std::string &what) const { return static_cast<std::size_t>(std::count(log.begin(), log.end(), what)); }

private:
    void terminate(const std::string &what) {
        log.push_back(what);
        open = false;
    }
};

ExprPtr name(const std::string &id) {
    auto e = std::make_unique<Expr>(Expr::Kind::Name, SourceLocation{2, 12});
    e->text = id;
    return e;
}
ExprPtr number(double v) {
    auto e = std::make_unique<Expr>(Expr::Kind::Float, SourceLocation{2, 20});
    e->float_value = v;
    return e;
}
ExprPtr integer(std::int64_t v) {
    auto e = std::make_unique<Expr>(Expr::Kind::Int, SourceLocation{2, 20});
    e->int_value = v;
    return e;
}
ExprPtr binop(const std::string &op, ExprPtr l, ExprPtr r) {
    auto e = std::make_unique<Expr>(Expr::Kind::BinOp, l->loc);
    e->text = op;
    e->operands.push_back(std::move(l));
    e->operands.push_back(std::move(r));
    return e;
}

/* def f(<params>): return <expr>, built without the parser. */
std::shared_ptr<Module> function_returning(ExprPtr expr, std::vector<std::string> params) {
    auto module = std::make_shared<Module>();
    auto file = std::make_shared<SourceFile>();
    file->text = "def f(...):\n    return ...\n";
    file->filename = "<ast>";
    module->source = file;
    FunctionDef fn;
    fn.name = "f";
    fn.loc = {1, 1};
    fn.params = std::move(params);
    fn.param_locs.assign(fn.params.size(), SourceLocation{1, 7});
    auto ret = std::make_unique<Stmt>(Stmt::Kind::Return, SourceLocation{2, 5});
    ret->value = std::move(expr);
    fn.body.push_back(std::move(ret));
    module->functions.push_back(std::move(fn));
    return module;
}

TEST(Stages, HandBuiltAstIsTypedFromTheSignature) {
    auto module = function_returning(binop("+", binop("*", name("x"), number(2.0)), name("n")), {"x", "n"});
    TypedFunction typed = infer_types(module, "f", parse_signature("double (double, int)"), {});
    const Expr &sum = *typed.def->body[0]->value;
    EXPECT_EQ(sum.type, types::float64());
    EXPECT_EQ(sum.operands[1]->type, types::integer(32, true));
    EXPECT_EQ(typed.result, types::float64());
}

TEST(Stages, FloatAdditionLowersToOneFaddAndAReturn) {
    auto module = function_returning(binop("+", name("x"), name("y")), {"x", "y"});
    TypedFunction typed = infer_types(module, "f", parse_signature("double (double, double)"), {});
    RecordingBuilder b;
    b.params = {ir::Type::F64, ir::Type::F64};
    lower_function(typed, b, Registry::builtins(), false);
    EXPECT_EQ(b.count("fadd"), 1u);
    EXPECT_EQ(b.log.back(), "ret " + std::to_string(static_cast<int>(ir::Type::F64)));
}

TEST(Stages, MixedIntFloatArithmeticConvertsThroughTheCastRegistry) {
    auto module = function_returning(binop("*", name("n"), number(0.5)), {"n"});
    TypedFunction typed = infer_types(module, "f", parse_signature("double (int)"), {});
    RecordingBuilder b;
    b.params = {ir::Type::I32};
    lower_function(typed, b, Registry::builtins(), false);
    EXPECT_EQ(b.count("sitofp"), 1u);   // int32 → float64 once, then fmul
    EXPECT_EQ(b.count("fmul"), 1u);
}

TEST(Stages, IntegerFloorDivisionChecksForZeroAndRecordsTheError) {
    auto module = function_returning(binop("//", name("a"), integer(3)), {"a"});
    TypedFunction typed = infer_types(module, "f", parse_signature("int64_t (int64_t)"), {});
    RecordingBuilder b;
    b.params = {ir::Type::I64};
    lower_function(typed, b, Registry::builtins(), false);
    EXPECT_EQ(b.count("sdiv"), 1u);
    EXPECT_EQ(b.count("call nativecall_record_runtime_error"), 1u);   // on the divisor == 0 branch
}

TEST(Stages, ARegisteredOperatorReachesLowering) {
    /* A registry extended with a new operator on float64: the core has no special case for it. */
    Registry registry = Registry::builtins();
    registry.add_typer("%", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() == 2 && args.types[0] == types::pointer(types::float64()))
            return CallSignature{types::float64(), {args.types[0], types::int64()}};
        return std::nullopt;
    });
    registry.add_lowering("%", {TypePattern::of(Kind::Pointer), TypePattern::of(Kind::Int)},
                          [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                              return {ctx.b().load(ir::Type::F64, ctx.b().element_pointer(ir::Type::F64, a[0][0], a[1][0]))};
                          });
    auto module = function_returning(binop("%", name("p"), integer(1)), {"p"});
    TypedFunction typed = infer_types(module, "f", parse_signature("double (double *)"), {}, registry);
    RecordingBuilder b;
    b.params = {ir::Type::Ptr};
    lower_function(typed, b, registry, false);
    EXPECT_EQ(b.count("gep"), 1u);
}

} // namespace
} // namespace nativecall::jit
