// The JIT's own LLVM passes on IR written here: negation hoisting lets CSE merge f(x) and f(-x) of an even body.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>

#include "engine/negation_hoisting.h"

namespace nativecall::jit {
namespace {

/* Parses `ir`, runs negation hoisting then EarlyCSE on @f (as the loop entries'
   pipeline does) and returns the module. */
std::unique_ptr<llvm::Module> hoist_then_cse(llvm::LLVMContext &context, const std::string &ir) {
    llvm::SMDiagnostic problem;
    std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(ir, problem, context);
    if (!module) {
        ADD_FAILURE() << "bad test IR: " << problem.getMessage().str();
        return nullptr;
    }
    llvm::PassBuilder builder;
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(cgscc);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, cgscc, modules);
    llvm::FunctionPassManager passes;
    passes.addPass(NegationHoistingPass());
    passes.addPass(llvm::EarlyCSEPass());
    passes.run(*module->getFunction("f"), functions);
    EXPECT_FALSE(llvm::verifyModule(*module, &llvm::errs()));
    return module;
}

int calls_to_exp(const llvm::Function &f) {
    int calls = 0;
    for (const llvm::BasicBlock &block : f)
        for (const llvm::Instruction &inst : block)
            if (const auto *call = llvm::dyn_cast<llvm::IntrinsicInst>(&inst))
                calls += call->getIntrinsicID() == llvm::Intrinsic::exp;
    return calls;
}

/* f(x) + f(-x) for exp(-a*x*x) as the frontend writes it and as InstCombine leaves
   the mirrored copy ((-a) * (-x) folded to a * x), then with a negative constant
   (exp(-2*x*x): -2 * (-x) folded to x * 2) and with a quotient (exp(-(x*x)/a)). */
TEST(NegationHoisting, AnEvenBodyAtXAndAtMinusXBecomesOneEvaluation) {
    const char *cases[] = {
        R"(
define double @f(double %a, double %x) {
  %na = fneg double %a
  %m1 = fmul double %na, %x
  %p1 = fmul double %m1, %x
  %e1 = call double @llvm.exp.f64(double %p1)
  %nx = fneg double %x
  %m2 = fmul double %a, %x
  %p2 = fmul double %m2, %nx
  %e2 = call double @llvm.exp.f64(double %p2)
  %s = fadd double %e1, %e2
  ret double %s
})",
        R"(
define double @f(double %a, double %x) {
  %m1 = fmul double %x, -2.0
  %p1 = fmul double %m1, %x
  %e1 = call double @llvm.exp.f64(double %p1)
  %nx = fneg double %x
  %m2 = fmul double %x, 2.0
  %p2 = fmul double %m2, %nx
  %e2 = call double @llvm.exp.f64(double %p2)
  %s = fadd double %e1, %e2
  ret double %s
})",
        R"(
define double @f(double %a, double %x) {
  %sq1 = fmul double %x, %x
  %n1 = fneg double %sq1
  %q1 = fdiv double %n1, %a
  %e1 = call double @llvm.exp.f64(double %q1)
  %nx = fneg double %x
  %sq2 = fmul double %nx, %nx
  %n2 = fneg double %sq2
  %q2 = fdiv double %n2, %a
  %e2 = call double @llvm.exp.f64(double %q2)
  %s = fadd double %e1, %e2
  ret double %s
})",
    };
    for (const char *ir : cases) {
        llvm::LLVMContext context;
        std::unique_ptr<llvm::Module> module =
            hoist_then_cse(context, std::string(ir) + "\ndeclare double @llvm.exp.f64(double)\n");
        ASSERT_TRUE(module);
        EXPECT_EQ(calls_to_exp(*module->getFunction("f")), 1) << ir;
    }
}

/* An odd or shifted body keeps both evaluations: the pass only moves signs. */
TEST(NegationHoisting, ABodyThatIsNotEvenKeepsBothEvaluations) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = hoist_then_cse(context, R"(
define double @f(double %a, double %x) {
  %d1 = fsub double %x, %a
  %p1 = fmul double %d1, %d1
  %e1 = call double @llvm.exp.f64(double %p1)
  %nx = fneg double %x
  %d2 = fsub double %nx, %a
  %p2 = fmul double %d2, %d2
  %e2 = call double @llvm.exp.f64(double %p2)
  %s = fadd double %e1, %e2
  ret double %s
}
declare double @llvm.exp.f64(double)
)");
    ASSERT_TRUE(module);
    EXPECT_EQ(calls_to_exp(*module->getFunction("f")), 2);
}

/* Each product or quotient with negated operands becomes one of their magnitudes, negated
   once when an odd number of operands was negated; NaN constants stay as they are. */
TEST(NegationHoisting, SignsMoveToTheResult) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = hoist_then_cse(context, R"(
define double @f(double %a, double %b) {
  %na = fneg double %a
  %nb = fneg double %b
  %both = fmul double %na, %nb
  %one = fdiv double %both, %nb
  %zero = fmul double %one, -0.0
  %nan = fmul double %zero, 0xFFF8000000000000
  ret double %nan
}
)");
    ASSERT_TRUE(module);
    std::string text;
    llvm::raw_string_ostream out(text);
    module->getFunction("f")->print(out);
    out.flush();
    /* a*b, then (a*b)/b negated, then times +0.0 negated twice (so not negated), NaN untouched. */
    EXPECT_NE(text.find("fmul double %a, %b"), std::string::npos) << text;
    EXPECT_NE(text.find("fdiv double %both, %b"), std::string::npos) << text;
    EXPECT_NE(text.find("0.000000e+00"), std::string::npos) << text;
    EXPECT_EQ(text.find("-0.000000e+00"), std::string::npos) << text;
    EXPECT_NE(text.find("0xFFF8000000000000"), std::string::npos) << text;
}

} // namespace
} // namespace nativecall::jit
