// exp in LLVM IR for the vectorised loop entries (see vector_math.h): reduction, polynomial and scaling chosen so the widened code needs no table, branch or call.
#include "vector_math.h"
#include "vector_math_exp.h"

#include <cstdint>
#include <iterator>
#include <map>
#include <vector>

#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Module.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

namespace nativecall::jit {

using namespace exp_kernel;   // the constants, shared with the scalar model

llvm::Value *emit_exp(llvm::IRBuilder<> &b, llvm::Value *x, bool fused) {
    llvm::Type *type = x->getType();
    llvm::Type *int_type = type->getWithNewType(b.getInt64Ty());
    auto constant = [&](double v) { return llvm::ConstantFP::get(type, v); };
    auto bits = [&](std::uint64_t v) { return llvm::ConstantInt::get(int_type, v); };
    /* a * m + add, rounded once where the host fuses. */
    auto mul_add = [&](llvm::Value *a, llvm::Value *m, llvm::Value *add) -> llvm::Value * {
        if (fused)
            return b.CreateIntrinsic(llvm::Intrinsic::fma, {type}, {a, m, add});
        return b.CreateFAdd(b.CreateFMul(a, m), add);
    };

    /* Below the low clamp exp is 0: those lanes compute exp(0) and are zeroed at the
       end, since letting the scaling underflow to 0 costs a microcode assist per vector
       on some processors (twice the time of a whole block on AMD Zen 3), and integrands
       like exp(-a x^2) on infinite ranges meet it in many lanes. An unordered compare
       is false, so NaN passes both tests. */
    llvm::Value *low = constant(kClampLow), *high = constant(kClampHigh);
    llvm::Value *zero_result = b.CreateFCmpOLT(x, low);
    llvm::Value *xc = b.CreateSelect(zero_result, constant(0.0), x);
    xc = b.CreateSelect(b.CreateFCmpOGT(xc, high), high, xc);

    /* n = rint(x / ln2), both as a double and in the low bits of t. */
    llvm::Value *t = mul_add(xc, constant(kLog2e), constant(kShifter));
    llvm::Value *n = b.CreateFSub(t, constant(kShifter));
    llvm::Value *r = mul_add(n, constant(-kLn2Hi), xc);
    r = mul_add(n, constant(-kLn2Lo), r);

    /* Q's low terms by Horner, its high ones by Estrin (see exp_model): a dependency
       chain of 7 operations instead of 11, and the chain, not the operation count,
       bounds the loop (a block's dependent FMAs fill the scheduler before the next
       block's can start). */
    llvm::Value *r2 = b.CreateFMul(r, r), *r4 = b.CreateFMul(r2, r2);
    llvm::Value *pairs[4];
    for (int k = 0; k < 4; ++k)
        pairs[k] = mul_add(constant(kQ[2 * k]), r, constant(kQ[2 * k + 1]));
    llvm::Value *q = mul_add(mul_add(pairs[0], r2, pairs[1]), r4, mul_add(pairs[2], r2, pairs[3]));
    for (std::size_t k = kQEstrinTerms; k < std::size(kQ); ++k)
        q = mul_add(q, r, constant(kQ[k]));
    llvm::Value *p = mul_add(q, r, constant(1.0));

    /* 2^(n - m) from n's low bits shifted into the exponent field; the sign test on the
       bits is a blend on the sign bit, no compare. */
    llvm::Value *exponent = b.CreateShl(b.CreateBitCast(t, int_type), 52);
    llvm::Value *negative = b.CreateICmpSLT(b.CreateBitCast(xc, int_type), bits(0));
    llvm::Value *bias = b.CreateSelect(negative, bits(std::uint64_t(1023 + kSplit) << 52),
                                       bits(std::uint64_t(1023 - kSplit) << 52));
    llvm::Value *first = b.CreateBitCast(b.CreateAdd(exponent, bias), type);
    /* 2^m: its exponent field is 2046 minus the bias's, one subtraction where a second
       select would hold two more constants in vector registers. */
    llvm::Value *second = b.CreateBitCast(b.CreateSub(bits(std::uint64_t(2046) << 52), bias), type);
    return b.CreateSelect(zero_result, constant(0.0), b.CreateFMul(b.CreateFMul(p, first), second));
}

int inline_exp_calls(llvm::Function &body) {
    std::vector<llvm::CallInst *> calls;
    for (llvm::BasicBlock &block : body)
        for (llvm::Instruction &inst : block)
            if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
                if (call->getIntrinsicID() == llvm::Intrinsic::exp && call->getType()->getScalarType()->isDoubleTy())
                    calls.push_back(call);
    const bool fused = host_has_fma();
    for (llvm::CallInst *call : calls) {
        llvm::IRBuilder<> b(call);
        call->replaceAllUsesWith(emit_exp(b, call->getArgOperand(0), fused));
        call->eraseFromParent();
    }
    return static_cast<int>(calls.size());
}

int load_vector_constants(llvm::Function &f) {
    /* Only AVX hosts: AVX-512 broadcasts from memory inside the instruction and has 32
       registers; NEON and SSE have no memory operands of this kind to gain. */
    if (host_vector_doubles() != 4)
        return 0;
    /* The uses to rewrite, by vector type: each gets an element of its own in one
       constant array per type (identical loads would be merged into one value in a
       register, which is what this avoids; one array, not a global per use, keeps
       object emission and linking as cheap as before). */
    std::map<llvm::Type *, std::vector<llvm::Use *>> uses;
    for (llvm::BasicBlock &block : f) {
        for (llvm::Instruction &inst : block) {
            /* A compare and a select sharing a constant make one max/min (the exp's
               clamps): two loads would not. */
            if (llvm::isa<llvm::PHINode>(inst) || llvm::isa<llvm::ShuffleVectorInst>(inst) ||
                llvm::isa<llvm::CmpInst>(inst) || llvm::isa<llvm::SelectInst>(inst) ||
                llvm::isa<llvm::GetElementPtrInst>(inst))
                continue;
            auto *call = llvm::dyn_cast<llvm::CallBase>(&inst);
            if (call && !call->getCalledFunction())
                continue;
            for (llvm::Use &use : inst.operands()) {
                if (inst.isShift() && use.getOperandNo() == 1)
                    continue;   // an immediate shift count stays one
                if (call && (!call->isArgOperand(&use) || call->paramHasAttr(call->getArgOperandNo(&use),
                                                                             llvm::Attribute::ImmArg)))
                    continue;
                auto *constant = llvm::dyn_cast<llvm::Constant>(use.get());
                if (!constant || llvm::isa<llvm::UndefValue>(constant) || constant->isNullValue())
                    continue;
                auto *type = llvm::dyn_cast<llvm::FixedVectorType>(constant->getType());
                if (!type || type->getNumElements() < 4 || !constant->getSplatValue())
                    continue;
                llvm::Type *element = type->getElementType();
                if (element->isDoubleTy() || element->isIntegerTy(64))
                    uses[type].push_back(&use);
            }
        }
    }
    llvm::Module &module = *f.getParent();
    int rewritten = 0;
    for (auto &[type, list] : uses) {
        std::vector<llvm::Constant *> values;
        for (llvm::Use *use : list)
            values.push_back(llvm::cast<llvm::Constant>(use->get()));
        auto *array_type = llvm::ArrayType::get(type, values.size());
        auto *table = new llvm::GlobalVariable(module, array_type, true, llvm::GlobalValue::PrivateLinkage,
                                               llvm::ConstantArray::get(array_type, values), "nativecall.splats");
        const llvm::Align align(module.getDataLayout().getTypeAllocSize(type));
        table->setAlignment(align);
        for (std::size_t k = 0; k < list.size(); ++k) {
            auto *user = llvm::cast<llvm::Instruction>(list[k]->getUser());
            llvm::IRBuilder<> b(user);
            llvm::Value *slot = b.CreateConstInBoundsGEP2_64(array_type, table, 0, k);
            list[k]->set(b.CreateAlignedLoad(type, slot, align));
            ++rewritten;
        }
    }
    return rewritten;
}

namespace {

/* The host's features as code generation sees them (read once: each read runs CPUID). */
struct HostVectors {
    bool fma = false;
    int doubles = 2;

    static const HostVectors &get() {
        static const HostVectors host = [] {
            HostVectors h;
            llvm::Triple triple(llvm::sys::getProcessTriple());
            if (triple.isAArch64()) {
                h.fma = true;   // part of the base architecture, with 128-bit NEON
            } else if (triple.isX86()) {
                llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
                auto has = [&](const char *name) {
                    auto found = features.find(name);
                    return found != features.end() && found->second;
                };
                h.fma = has("fma");
                h.doubles = has("avx512f") ? 8 : has("avx") ? 4 : 2;
            }
            return h;
        }();
        return host;
    }
};

} // namespace

bool host_has_fma() { return HostVectors::get().fma; }

int host_vector_doubles() { return HostVectors::get().doubles; }

} // namespace nativecall::jit
