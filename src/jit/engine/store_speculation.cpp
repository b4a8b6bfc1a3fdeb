// Store speculation for compiled callbacks: conditional stores to already-written locations become selects.
#include "store_speculation.h"

#include <vector>

#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>

namespace nativecall::jit {
namespace {

/* Nothing in `function` can order its memory accesses with another thread's. */
bool free_of_synchronisation(const llvm::Function &function) {
    for (const llvm::BasicBlock &block : function)
        for (const llvm::Instruction &inst : block) {
            if (inst.isAtomic() || llvm::isa<llvm::FenceInst>(inst))
                return false;
            if (const auto *call = llvm::dyn_cast<llvm::CallBase>(&inst))
                if (!call->hasFnAttr(llvm::Attribute::NoSync))
                    return false;
        }
    return true;
}

/* A simple store of the same type to the same pointer that dominates `later`. */
bool written_before(const llvm::StoreInst &later, const llvm::DominatorTree &dominators) {
    const llvm::Value *pointer = later.getPointerOperand();
    for (const llvm::User *user : pointer->users()) {
        const auto *earlier = llvm::dyn_cast<llvm::StoreInst>(user);
        if (earlier && earlier != &later && earlier->isSimple() && earlier->getPointerOperand() == pointer &&
            earlier->getValueOperand()->getType() == later.getValueOperand()->getType() &&
            earlier->getAlign() >= later.getAlign() && dominators.dominates(earlier, &later))
            return true;
    }
    return false;
}

/* The store that can move into its block's only predecessor as a select: the first
   instruction of `block` touching memory, its value available in the predecessor, whose
   conditional branch enters `block` on one edge only. */
llvm::StoreInst *speculable_store(llvm::BasicBlock &block, const llvm::DominatorTree &dominators) {
    llvm::BasicBlock *predecessor = block.getSinglePredecessor();
    if (!predecessor)
        return nullptr;
    auto *branch = llvm::dyn_cast<llvm::BranchInst>(predecessor->getTerminator());
    if (!branch || !branch->isConditional() || branch->getSuccessor(0) == branch->getSuccessor(1))
        return nullptr;
    for (llvm::Instruction &inst : block) {
        auto *store = llvm::dyn_cast<llvm::StoreInst>(&inst);
        if (store) {
            if (!store->isSimple() || !dominators.dominates(store->getValueOperand(), branch) ||
                !dominators.dominates(store->getPointerOperand(), branch) || !written_before(*store, dominators))
                return nullptr;
            return store;
        }
        if (inst.mayReadOrWriteMemory() || inst.mayHaveSideEffects())
            return nullptr;
    }
    return nullptr;
}

} // namespace

llvm::PreservedAnalyses StoreSpeculationPass::run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses) {
    if (!free_of_synchronisation(function))
        return llvm::PreservedAnalyses::all();
    const auto &dominators = analyses.getResult<llvm::DominatorTreeAnalysis>(function);
    std::vector<llvm::StoreInst *> stores;
    for (llvm::BasicBlock &block : function)
        if (llvm::StoreInst *store = speculable_store(block, dominators))
            stores.push_back(store);
    for (llvm::StoreInst *store : stores) {
        auto *branch = llvm::cast<llvm::BranchInst>(store->getParent()->getSinglePredecessor()->getTerminator());
        llvm::IRBuilder<> builder(branch);
        llvm::Value *pointer = store->getPointerOperand();
        llvm::Value *stored = store->getValueOperand();
        llvm::LoadInst *old = builder.CreateAlignedLoad(stored->getType(), pointer, store->getAlign(), "unchanged");
        bool taken_when_true = branch->getSuccessor(0) == store->getParent();
        llvm::Value *chosen = builder.CreateSelect(branch->getCondition(), taken_when_true ? stored : old,
                                                   taken_when_true ? old : stored, "speculated");
        builder.CreateAlignedStore(chosen, pointer, store->getAlign());
        store->eraseFromParent();
    }
    if (stores.empty())
        return llvm::PreservedAnalyses::all();
    llvm::PreservedAnalyses kept;
    kept.preserveSet<llvm::CFGAnalyses>();
    return kept;
}

} // namespace nativecall::jit
