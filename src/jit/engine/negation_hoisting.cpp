// Negation hoisting for compiled loop entries: a * (-b) becomes -(a * b), exactly, so mirrored evaluations meet in CSE.
#include "negation_hoisting.h"

#include "../codegen/codegen.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/PatternMatch.h>

namespace nativecall::jit {
namespace {

/* `v` without its sign when it is a negation (fneg, or -0.0 - x, which equals it for
   every x; not 0.0 - x, which differs at x = +0) or a negative constant (a scalar or
   a splat; -0.0 counts, NaN does not), else null. */
llvm::Value *magnitude_of_negated(llvm::Value *v) {
    using namespace llvm::PatternMatch;
    if (auto *unary = llvm::dyn_cast<llvm::UnaryOperator>(v); unary && unary->getOpcode() == llvm::Instruction::FNeg)
        return unary->getOperand(0);
    llvm::Value *inner = nullptr;
    if (match(v, m_FSub(m_NegZeroFP(), m_Value(inner))))
        return inner;
    const llvm::APFloat *value = nullptr;
    if (match(v, m_APFloat(value)) && value->isNegative() && !value->isNaN())
        return llvm::ConstantFP::get(v->getType(), llvm::neg(*value));
    return nullptr;
}

} // namespace

llvm::PreservedAnalyses NegationHoistingPass::run(llvm::Function &function, llvm::FunctionAnalysisManager &) {
    if (!function.hasFnAttribute(kHoistNegationsAttribute))
        return llvm::PreservedAnalyses::all();
    bool changed = false;
    for (llvm::BasicBlock &block : function) {
        for (auto it = block.begin(); it != block.end();) {
            llvm::Instruction &inst = *it++;
            if (inst.getOpcode() != llvm::Instruction::FMul && inst.getOpcode() != llvm::Instruction::FDiv)
                continue;
            llvm::Value *operands[2] = {inst.getOperand(0), inst.getOperand(1)};
            bool negated = false, rewritten = false;
            for (llvm::Value *&operand : operands)
                if (llvm::Value *magnitude = magnitude_of_negated(operand)) {
                    operand = magnitude;
                    negated = !negated;
                    rewritten = true;
                }
            if (!rewritten)
                continue;
            llvm::IRBuilder<> b(&inst);
            auto *op = llvm::cast<llvm::BinaryOperator>(&inst);
            llvm::Value *result = b.CreateBinOp(op->getOpcode(), operands[0], operands[1]);
            if (auto *made = llvm::dyn_cast<llvm::Instruction>(result))
                made->copyIRFlags(&inst);
            if (negated)
                result = b.CreateFNegFMF(result, &inst);
            result->takeName(&inst);
            inst.replaceAllUsesWith(result);
            inst.eraseFromParent();
            changed = true;
        }
    }
    if (!changed)
        return llvm::PreservedAnalyses::all();
    llvm::PreservedAnalyses kept;
    kept.preserveSet<llvm::CFGAnalyses>();
    return kept;
}

} // namespace nativecall::jit
