// The JIT's own LLVM passes on IR written here: negation hoisting lets CSE merge f(x) and f(-x) of an even body.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

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

#include "codegen/codegen.h"
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

/* The attribute that lets the pass run (codegen.h), for the @f of the tests' IR. */
const std::string kMarked = std::string("attributes #0 = { \"") + kHoistNegationsAttribute + "\" }\n";

/* @f(a, x) = g(x) + g(-x), g's IR given with {x} for its argument and {n} in its value
   names, ending in %e{n}: the shape of a mirrored-sum loop's body after inlining. */
std::string at_x_and_minus_x(const std::string &body) {
    auto instance = [&body](const std::string &x, const std::string &n) {
        std::string text = body;
        for (const auto &[key, value] : {std::pair{std::string("{x}"), x}, std::pair{std::string("{n}"), n}})
            for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
                text.replace(at, key.size(), value);
        return text;
    };
    return "define double @f(double %a, double %x) #0 {\n" + instance("%x", "1") + "  %nx = fneg double %x\n" +
           instance("%nx", "2") + "  %s = fadd double %e1, %e2\n  ret double %s\n}\n" +
           "declare double @llvm.exp.f64(double)\n" + kMarked;
}

/* exp(-a*x*x) as the frontend writes it, exp(x*(-2)*x) with a negative constant, and
   exp(-(x*x)/a) with a quotient: each even, so one exp is left. */
TEST(NegationHoisting, AnEvenBodyAtXAndAtMinusXBecomesOneEvaluation) {
    const char *bodies[] = {
        "  %na{n} = fneg double %a\n  %m{n} = fmul double %na{n}, {x}\n  %p{n} = fmul double %m{n}, {x}\n"
        "  %e{n} = call double @llvm.exp.f64(double %p{n})\n",
        "  %m{n} = fmul double {x}, -2.0\n  %p{n} = fmul double %m{n}, {x}\n"
        "  %e{n} = call double @llvm.exp.f64(double %p{n})\n",
        "  %sq{n} = fmul double {x}, {x}\n  %ng{n} = fneg double %sq{n}\n  %q{n} = fdiv double %ng{n}, %a\n"
        "  %e{n} = call double @llvm.exp.f64(double %q{n})\n",
    };
    for (const char *body : bodies) {
        llvm::LLVMContext context;
        std::unique_ptr<llvm::Module> module = hoist_then_cse(context, at_x_and_minus_x(body));
        ASSERT_TRUE(module);
        EXPECT_EQ(calls_to_exp(*module->getFunction("f")), 1) << body;
    }
}

/* A shifted body, exp((x-a)^2), keeps both evaluations: the pass only moves signs. */
TEST(NegationHoisting, ABodyThatIsNotEvenKeepsBothEvaluations) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = hoist_then_cse(
        context, at_x_and_minus_x("  %d{n} = fsub double {x}, %a\n  %p{n} = fmul double %d{n}, %d{n}\n"
                                  "  %e{n} = call double @llvm.exp.f64(double %p{n})\n"));
    ASSERT_TRUE(module);
    EXPECT_EQ(calls_to_exp(*module->getFunction("f")), 2);
}

/* Each product or quotient with negated operands becomes one of their magnitudes,
   negated once when an odd number of operands was negated; -0.0 counts as negated. */
TEST(NegationHoisting, SignsMoveToTheResult) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = hoist_then_cse(context, R"(
define double @f(double %a, double %b) #0 {
  %na = fneg double %a
  %nb = fneg double %b
  %both = fmul double %na, %nb
  %one = fdiv double %both, %nb
  %zero = fmul double %a, -0.0
  %sum = fadd double %one, %zero
  ret double %sum
}
)" + kMarked);
    ASSERT_TRUE(module);
    std::string text;
    llvm::raw_string_ostream out(text);
    module->getFunction("f")->print(out);
    out.flush();
    EXPECT_NE(text.find("%both = fmul double %a, %b"), std::string::npos) << text;   // two negations cancel
    EXPECT_NE(text.find("fdiv double %both, %b"), std::string::npos) << text;
    EXPECT_NE(text.find("%one = fneg double"), std::string::npos) << text;           // one: negated once
    EXPECT_NE(text.find("fmul double %a, 0.000000e+00"), std::string::npos) << text;
    EXPECT_NE(text.find("%zero = fneg double"), std::string::npos) << text;
    EXPECT_EQ(text.find("-0.000000e+00"), std::string::npos) << text;
}

/* The pass leaves functions without the attribute alone, and takes -0.0 - x for a
   negation but not 0.0 - x (+0 at x = +0, where -x is -0). */
TEST(NegationHoisting, OnlyMarkedFunctionsAndExactNegations) {
    const std::string body = R"(
  %na = fsub double -0.0, %a
  %p = fmul double %na, %b
  %zb = fsub double 0.0, %b
  %q = fmul double %p, %zb
  ret double %q
}
)";
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> marked =
        hoist_then_cse(context, "define double @f(double %a, double %b) #0 {" + body + kMarked);
    std::unique_ptr<llvm::Module> unmarked = hoist_then_cse(context, "define double @f(double %a, double %b) {" + body);
    ASSERT_TRUE(marked && unmarked);
    auto text_of = [](const llvm::Module &module) {
        std::string text;
        llvm::raw_string_ostream out(text);
        module.getFunction("f")->print(out);
        return out.str();
    };
    const std::string hoisted = text_of(*marked), untouched = text_of(*unmarked);
    EXPECT_NE(hoisted.find("fmul double %a, %b"), std::string::npos) << hoisted;
    EXPECT_NE(hoisted.find("fsub double 0.000000e+00, %b"), std::string::npos) << hoisted;
    EXPECT_EQ(untouched.find("fmul double %a, %b"), std::string::npos) << untouched;
    EXPECT_NE(untouched.find("fmul double %na, %b"), std::string::npos) << untouched;
}

} // namespace
} // namespace nativecall::jit
