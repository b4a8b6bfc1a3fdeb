// LLVM IR construction: ir::Builder over llvm::IRBuilder, C-ABI function declarations and the call thunk.
#include <cstdio>
#include <functional>

#include <llvm/Analysis/CFG.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/PromoteMemToReg.h>

#include "llvm_module.h"
#include "vector_math.h"
#include "nativecall/errors.h"
#include "nativecall/jit/llvm_interop.h"
#include "nativecall/jit/types.h"

namespace nativecall::jit {
namespace {

llvm::Value *V(ir::Value v) { return static_cast<llvm::Value *>(v.handle); }
ir::Value wrap(llvm::Value *v) { return ir::Value{v}; }
llvm::BasicBlock *B(ir::BlockRef b) { return static_cast<llvm::BasicBlock *>(b.handle); }

llvm::Type *llvm_type(llvm::LLVMContext &c, ir::Type t) {
    switch (t) {
    case ir::Type::Void: return llvm::Type::getVoidTy(c);
    case ir::Type::I1: return llvm::Type::getInt1Ty(c);
    case ir::Type::I8: return llvm::Type::getInt8Ty(c);
    case ir::Type::I16: return llvm::Type::getInt16Ty(c);
    case ir::Type::I32: return llvm::Type::getInt32Ty(c);
    case ir::Type::I64: return llvm::Type::getInt64Ty(c);
    case ir::Type::F32: return llvm::Type::getFloatTy(c);
    case ir::Type::F64: return llvm::Type::getDoubleTy(c);
    case ir::Type::Ptr: return llvm::PointerType::get(c, 0);
    }
    return nullptr;
}

/* The machine type of a C type in a signature (bool is i1 with zeroext, as clang passes _Bool). */
ir::Type abi_type(const CType &t) {
    switch (t.kind) {
    case TypeKind::Void: return ir::Type::Void;
    case TypeKind::Bool: return ir::Type::I1;
    case TypeKind::Int:
        return t.size == 1 ? ir::Type::I8 : t.size == 2 ? ir::Type::I16 : t.size == 4 ? ir::Type::I32 : ir::Type::I64;
    case TypeKind::Float: return t.size == 4 ? ir::Type::F32 : ir::Type::F64;
    case TypeKind::Pointer: return ir::Type::Ptr;
    }
    return ir::Type::Void;
}

/* Small integers are extended by the caller on x86-64 and AArch64; say so, as clang does. */
std::optional<llvm::Attribute::AttrKind> extension(const CType &t) {
    if (t.kind == TypeKind::Bool)
        return llvm::Attribute::ZExt;
    if (t.kind == TypeKind::Int && t.size < 4)
        return t.is_signed ? llvm::Attribute::SExt : llvm::Attribute::ZExt;
    return std::nullopt;
}

class LlvmBuilder : public ir::Builder {
public:
    LlvmBuilder(LlvmCodegenUnit &unit, llvm::Function *function)
        : unit_(unit), module_(*unit.module), context_(module_.getContext()), function_(function), b_(context_) {
        llvm::BasicBlock *entry = llvm::BasicBlock::Create(context_, "entry", function_);
        b_.SetInsertPoint(entry);
    }

    ir::Value constant_int(ir::Type type, std::int64_t value) override {
        return wrap(llvm::ConstantInt::get(llvm_type(context_, type), static_cast<std::uint64_t>(value), true));
    }
    ir::Value constant_float(ir::Type type, double value) override {
        return wrap(llvm::ConstantFP::get(llvm_type(context_, type), value));
    }
    ir::Value null_pointer() override {
        return wrap(llvm::ConstantPointerNull::get(llvm::PointerType::get(context_, 0)));
    }
    ir::Value argument(int index) override { return wrap(function_->getArg(static_cast<unsigned>(index))); }
    ir::Type type_of(ir::Value value) override {
        llvm::Type *t = V(value)->getType();
        if (t->isIntegerTy(1)) return ir::Type::I1;
        if (t->isIntegerTy(8)) return ir::Type::I8;
        if (t->isIntegerTy(16)) return ir::Type::I16;
        if (t->isIntegerTy(32)) return ir::Type::I32;
        if (t->isIntegerTy(64)) return ir::Type::I64;
        if (t->isFloatTy()) return ir::Type::F32;
        if (t->isDoubleTy()) return ir::Type::F64;
        if (t->isPointerTy()) return ir::Type::Ptr;
        return ir::Type::Void;
    }

    ir::Value binary(ir::BinaryOp op, ir::Value l, ir::Value r) override {
        static const llvm::Instruction::BinaryOps ops[] = {
            llvm::Instruction::Add,  llvm::Instruction::Sub,  llvm::Instruction::Mul,  llvm::Instruction::SDiv,
            llvm::Instruction::UDiv, llvm::Instruction::SRem, llvm::Instruction::URem, llvm::Instruction::FAdd,
            llvm::Instruction::FSub, llvm::Instruction::FMul, llvm::Instruction::FDiv, llvm::Instruction::FRem,
            llvm::Instruction::And,  llvm::Instruction::Or,   llvm::Instruction::Xor,  llvm::Instruction::Shl,
            llvm::Instruction::AShr, llvm::Instruction::LShr};
        return wrap(b_.CreateBinOp(ops[static_cast<int>(op)], V(l), V(r)));
    }
    ir::Value negate_float(ir::Value v) override { return wrap(b_.CreateFNeg(V(v))); }
    ir::Value compare(ir::Predicate p, ir::Value l, ir::Value r) override {
        using P = llvm::CmpInst::Predicate;
        static const P predicates[] = {P::ICMP_EQ,  P::ICMP_NE,  P::ICMP_SLT, P::ICMP_SLE, P::ICMP_SGT, P::ICMP_SGE,
                                       P::ICMP_ULT, P::ICMP_ULE, P::ICMP_UGT, P::ICMP_UGE, P::FCMP_OEQ, P::FCMP_UNE,
                                       P::FCMP_OLT, P::FCMP_OLE, P::FCMP_OGT, P::FCMP_OGE, P::FCMP_UNO};
        P pred = predicates[static_cast<int>(p)];
        if (llvm::CmpInst::isFPPredicate(pred))
            return wrap(b_.CreateFCmp(pred, V(l), V(r)));
        return wrap(b_.CreateICmp(pred, V(l), V(r)));
    }
    ir::Value select(ir::Value c, ir::Value t, ir::Value f) override { return wrap(b_.CreateSelect(V(c), V(t), V(f))); }
    ir::Value cast(ir::CastOp op, ir::Value v, ir::Type to) override {
        static const llvm::Instruction::CastOps ops[] = {
            llvm::Instruction::Trunc,  llvm::Instruction::ZExt,   llvm::Instruction::SExt,
            llvm::Instruction::FPTrunc, llvm::Instruction::FPExt, llvm::Instruction::SIToFP,
            llvm::Instruction::UIToFP, llvm::Instruction::FPToSI, llvm::Instruction::FPToUI};
        return wrap(b_.CreateCast(ops[static_cast<int>(op)], V(v), llvm_type(context_, to)));
    }

    ir::Value call_intrinsic(const std::string &name, ir::Type result, const std::vector<ir::Value> &args) override {
        llvm::Intrinsic::ID id = llvm::Function::lookupIntrinsicID("llvm." + name);
        if (id == llvm::Intrinsic::not_intrinsic)
            throw std::logic_error("unknown LLVM intrinsic llvm." + name);
        std::vector<llvm::Type *> overload{llvm_type(context_, result)};
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sat") == 0)
            overload.push_back(V(args.at(0))->getType());   // fptosi.sat is overloaded on its source too
        llvm::Function *fn = llvm::Intrinsic::getDeclaration(&module_, id, overload);
        return wrap(b_.CreateCall(fn, values(args)));
    }

    ir::Value call_symbol(const std::string &symbol, ir::Type result, const std::vector<ir::Type> &params,
                          const std::vector<ir::Value> &args, bool pure) override {
        llvm::FunctionCallee callee = module_.getOrInsertFunction(symbol, function_type(result, params));
        if (auto *fn = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
            fn->setDoesNotThrow();
            fn->addFnAttr(llvm::Attribute::NoSync);   // libm and runtime helpers never synchronise threads
            if (pure) {
                fn->setDoesNotAccessMemory();
                fn->setWillReturn();
            }
        }
        return wrap(b_.CreateCall(callee, values(args)));
    }

    ir::Value call_address(std::uintptr_t address, const Signature &abi, const std::vector<ir::Value> &args) override {
        /* Through a symbol the engine binds to `address` at load time, not the address itself:
           the object code stays valid in a process where the callee lives elsewhere. */
        std::vector<ir::Type> params;
        for (const CType &p : abi.params)
            params.push_back(abi_type(p));
        llvm::FunctionType *type = function_type(abi_type(abi.result), params);
        llvm::FunctionCallee target = module_.getOrInsertFunction(unit_.import_symbol(address), type);
        llvm::CallInst *call = b_.CreateCall(type, target.getCallee(), values(args));
        for (unsigned i = 0; i < abi.params.size(); ++i)
            if (auto ext = extension(abi.params[i]))
                call->addParamAttr(i, *ext);
        if (auto ext = extension(abi.result))
            call->addRetAttr(*ext);
        return abi.result.kind == TypeKind::Void ? ir::Value{} : wrap(call);
    }

    ir::Value call_self(const std::vector<ir::Value> &args) override {
        llvm::CallInst *call = b_.CreateCall(function_, values(args));
        call->setAttributes(function_->getAttributes());
        return function_->getReturnType()->isVoidTy() ? ir::Value{} : wrap(call);
    }

    ir::Value element_pointer(ir::Type element, ir::Value ptr, ir::Value index) override {
        return wrap(b_.CreateGEP(llvm_type(context_, element), V(ptr), {V(index)}));
    }
    ir::Value load(ir::Type type, ir::Value ptr) override { return wrap(b_.CreateLoad(llvm_type(context_, type), V(ptr))); }
    void store(ir::Value value, ir::Value ptr) override { b_.CreateStore(V(value), V(ptr)); }
    ir::Value local(ir::Type type) override {
        /* Allocas at the top of the entry block, where mem2reg/SROA promote them. */
        llvm::BasicBlock &entry = function_->getEntryBlock();
        llvm::IRBuilder<> at_entry(&entry, entry.getFirstInsertionPt());
        return wrap(at_entry.CreateAlloca(llvm_type(context_, type)));
    }

    ir::BlockRef new_block(const std::string &name) override {
        return ir::BlockRef{llvm::BasicBlock::Create(context_, name, function_)};
    }
    void set_block(ir::BlockRef block) override { b_.SetInsertPoint(B(block)); }
    bool block_open() override { return b_.GetInsertBlock()->getTerminator() == nullptr; }
    bool block_reachable() override {
        llvm::BasicBlock *bb = b_.GetInsertBlock();
        return bb == &function_->getEntryBlock() || !llvm::pred_empty(bb);
    }
    void jump(ir::BlockRef target) override { b_.CreateBr(B(target)); }
    void branch(ir::Value c, ir::BlockRef t, ir::BlockRef f) override { b_.CreateCondBr(V(c), B(t), B(f)); }
    void ret(ir::Value value) override { b_.CreateRet(V(value)); }
    void ret_void() override { b_.CreateRetVoid(); }
    void unreachable() override { b_.CreateUnreachable(); }

private:
    std::vector<llvm::Value *> values(const std::vector<ir::Value> &args) {
        std::vector<llvm::Value *> out;
        for (ir::Value v : args)
            out.push_back(V(v));
        return out;
    }
    llvm::FunctionType *function_type(ir::Type result, const std::vector<ir::Type> &params) {
        std::vector<llvm::Type *> p;
        for (ir::Type t : params)
            p.push_back(llvm_type(context_, t));
        return llvm::FunctionType::get(llvm_type(context_, result), p, false);
    }

public:
    /* For nativecall/jit/llvm_interop.h: extensions that emit LLVM IR directly. */
    llvm::IRBuilder<> &llvm_builder() { return b_; }

private:
    LlvmCodegenUnit &unit_;
    llvm::Module &module_;
    llvm::LLVMContext &context_;
    llvm::Function *function_;
    llvm::IRBuilder<> b_;
};

} // namespace

std::unique_ptr<CodegenUnit> CodegenUnit::create(const std::string &module_name) {
    return std::make_unique<LlvmCodegenUnit>(module_name);
}

namespace {

/* Optimisation remarks and missed-transformation warnings go nowhere: LLVM prints them
   on stderr, where they mean nothing to the author of the Python function (a loop entry
   asks for vectorisation that a body calling back into the runtime cannot get, and then
   runs scalar, correctly). Anything else keeps LLVM's default handling. */
struct QuietOptimiser : llvm::DiagnosticHandler {
    bool handleDiagnostics(const llvm::DiagnosticInfo &info) override {
        return llvm::isa<llvm::DiagnosticInfoOptimizationBase>(info) && info.getSeverity() != llvm::DS_Error;
    }
};

} // namespace

LlvmCodegenUnit::LlvmCodegenUnit(const std::string &module_name)
    : context(std::make_unique<llvm::LLVMContext>()), module(std::make_unique<llvm::Module>(module_name, *context)) {
    context->setDiagnosticHandler(std::make_unique<QuietOptimiser>());
}

LlvmCodegenUnit::~LlvmCodegenUnit() {
    builder_.reset();   // before the module its handles point into
}

ir::Builder &LlvmCodegenUnit::define_function(const std::string &symbol, const Signature &sig) {
    signature = sig;
    std::vector<llvm::Type *> params;
    for (const CType &p : sig.params)
        params.push_back(llvm_type(*context, abi_type(p)));
    auto *type = llvm::FunctionType::get(llvm_type(*context, abi_type(sig.result)), params, false);
    function = llvm::Function::Create(type, llvm::Function::ExternalLinkage, symbol, *module);
    for (unsigned i = 0; i < sig.params.size(); ++i)
        if (auto ext = extension(sig.params[i]))
            function->addParamAttr(i, *ext);
    if (auto ext = extension(sig.result))
        function->addRetAttr(*ext);
    function->setDoesNotThrow();
    builder_ = std::make_unique<LlvmBuilder>(*this, function);
    return *builder_;
}

void LlvmCodegenUnit::define_thunk(const std::string &symbol) {
    llvm::LLVMContext &c = *context;
    llvm::Type *ptr = llvm::PointerType::get(c, 0);
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(c), {ptr, ptr}, false);
    llvm::Function *thunk = llvm::Function::Create(type, llvm::Function::ExternalLinkage, symbol, *module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", thunk));
    std::vector<llvm::Value *> args;
    for (unsigned i = 0; i < signature.params.size(); ++i) {
        llvm::Value *slot = b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, thunk->getArg(0), i));
        const CType &p = signature.params[i];
        if (p.kind == TypeKind::Bool) {
            llvm::Value *byte = b.CreateLoad(llvm::Type::getInt8Ty(c), slot);
            args.push_back(b.CreateICmpNE(byte, b.getInt8(0)));
        } else {
            args.push_back(b.CreateLoad(llvm_type(c, abi_type(p)), slot));
        }
    }
    llvm::CallInst *call = b.CreateCall(function, args);
    call->setAttributes(function->getAttributes());
    if (signature.result.kind == TypeKind::Bool)
        b.CreateStore(b.CreateZExt(call, llvm::Type::getInt8Ty(c)), thunk->getArg(1));
    else if (signature.result.kind != TypeKind::Void)
        b.CreateStore(call, thunk->getArg(1));
    b.CreateRetVoid();
}

std::string LlvmCodegenUnit::import_symbol(std::uintptr_t address) {
    char hex[2 * sizeof(std::uintptr_t) + 1];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(address));
    std::string symbol = std::string("nativecall_import_") + hex;
    imports_[symbol] = address;
    return symbol;
}

std::string LlvmCodegenUnit::verify() {
    std::string problems;
    llvm::raw_string_ostream out(problems);
    llvm::verifyModule(*module, &out);
    return out.str();
}

/* The one definition behind nativecall/jit/llvm_interop.h; the value conversions are
   inline there and match V()/wrap() above (an ir::Value is an llvm::Value *). */
llvm::IRBuilder<> &llvm_interop::ir_builder(ir::Builder &builder) {
    auto *llvm_backed = dynamic_cast<LlvmBuilder *>(&builder);
    if (!llvm_backed)
        throw InvalidArgument("llvm_interop::ir_builder: this ir::Builder is not the LLVM one compile() uses "
                              "(a test double or another backend has no llvm::IRBuilder)");
    return llvm_backed->llvm_builder();
}

namespace {

/* Which integrand form a signature has: 0 none, 1 scalar x (+ user_data), 2 packed (int, double *) (+ user_data). */
int loop_entry_form(const Signature &signature) {
    auto is_double = [](const CType &t) { return t.kind == TypeKind::Float && t.size == 8; };
    auto is_pointer = [](const CType &t) { return t.kind == TypeKind::Pointer; };
    const std::vector<CType> &p = signature.params;
    if (!is_double(signature.result) || p.empty() || p.size() > 3)
        return 0;
    if (is_double(p[0]) && p.size() <= 2 && (p.size() == 1 || is_pointer(p[1])))
        return 1;
    if (p[0].kind == TypeKind::Int && p[0].size == 4 && p.size() >= 2 && is_pointer(p[1]) && p[1].pointee &&
        is_double(*p[1].pointee) && (p.size() == 2 || is_pointer(p[2])))
        return 2;
    return 0;
}

/* Whether `v` has one value for every point of one loop entry call: made, without
   memory reads or calls, of constants and the body's integer and pointer parameters
   (user_data, the packed forms' count and xx; not x, and not what xx points to). */
bool same_for_every_point(const llvm::Value *v, int depth = 0) {
    if (llvm::isa<llvm::Constant>(v))
        return true;
    if (auto *argument = llvm::dyn_cast<llvm::Argument>(v))
        return !argument->getType()->isFloatingPointTy();
    auto *inst = llvm::dyn_cast<llvm::Instruction>(v);
    if (!inst || depth > 8 || inst->mayReadOrWriteMemory() || llvm::isa<llvm::PHINode>(inst) ||
        llvm::isa<llvm::CallBase>(inst))
        return false;
    for (const llvm::Value *operand : inst->operands())
        if (!same_for_every_point(operand, depth + 1))
            return false;
    return true;
}

/* An error check that fails for every point of a call or for none (carray's NULL check
   on user_data): a block holding only the call that records it, entered from a branch on
   a condition that is the same for every point. Evaluating points again then records
   nothing new (the first error wins, and it was recorded by the first evaluation of
   the first point), and LLVM moves the check out of the loop, which stays vectorisable. */
bool same_error_for_every_point(const llvm::CallBase &call) {
    const llvm::Function *callee = call.getCalledFunction();
    if (!callee || callee->getName() != "nativecall_record_runtime_error")
        return false;
    const llvm::BasicBlock *block = call.getParent();
    const llvm::BasicBlock *from = block->getSinglePredecessor();
    if (!from || block->size() != 2 || call.getNextNode() != block->getTerminator())
        return false;   // the call, then the return or the jump back
    auto *branch = llvm::dyn_cast<llvm::BranchInst>(from->getTerminator());
    return branch && branch->isConditional() && same_for_every_point(branch->getCondition());
}

/* Lowering keeps parameters and variables in stack slots, promoted to values by the
   optimiser; same_for_every_point() needs them promoted now. */
void promote_locals(llvm::Function &body) {
    std::vector<llvm::AllocaInst *> slots;
    for (llvm::Instruction &inst : body.getEntryBlock())
        if (auto *slot = llvm::dyn_cast<llvm::AllocaInst>(&inst))
            if (llvm::isAllocaPromotable(slot))
                slots.push_back(slot);
    if (slots.empty())
        return;
    llvm::DominatorTree dominators(body);
    llvm::PromoteMemToReg(slots, dominators);
}

/* Whether evaluating some points a second time, after all points were evaluated once
   in order, leaves everything as one evaluation per point would, and the loop around
   the body stays innermost (what the vectorizer widens): no stores but to the body's
   own stack, no calls but to functions that access no memory (libm) or to the body
   itself, no other memory writes (atomics, fences, volatile accesses), no loops.
   Error recording (the runtime call behind raise, integer division and carray's NULL
   check) counts as a side effect unless its check is the same for every point
   (same_error_for_every_point): repeating any of it would be harmless (the first error
   wins, and a repeated point was already evaluated once), but a check that depends on
   x keeps the block scalar, and repeated points would then cost a call each. */
bool repeatable(llvm::Function &body) {
    auto local = [](const llvm::Value *pointer) {
        return llvm::isa<llvm::AllocaInst>(llvm::getUnderlyingObject(pointer, 0));
    };
    for (llvm::BasicBlock &block : body) {
        for (llvm::Instruction &inst : block) {
            if (auto *store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
                if (store->isVolatile() || store->isAtomic() || !local(store->getPointerOperand()))
                    return false;
            } else if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst)) {
                if (call->getCalledFunction() == &body || call->isLifetimeStartOrEnd() ||
                    llvm::isa<llvm::DbgInfoIntrinsic>(call) || same_error_for_every_point(*call))
                    continue;
                if (auto *fill = llvm::dyn_cast<llvm::MemIntrinsic>(call)) {
                    if (fill->isVolatile() || !local(fill->getDest()))
                        return false;
                } else if (!call->doesNotAccessMemory()) {
                    return false;
                }
            } else if (inst.mayWriteToMemory()) {
                return false;
            }
        }
    }
    llvm::SmallVector<std::pair<const llvm::BasicBlock *, const llvm::BasicBlock *>, 4> back_edges;
    llvm::FindFunctionBackedges(body, back_edges);
    return back_edges.empty();
}

/* A distinct, self-referencing loop ID carrying `hints` (llvm.loop.* names; a value of
   -1 means the hint takes no operand, 0/1 become i1 for the boolean hints). */
llvm::MDNode *loop_hints(llvm::LLVMContext &c, std::initializer_list<std::pair<const char *, int>> hints) {
    std::vector<llvm::Metadata *> ops{nullptr};
    for (const auto &[name, value] : hints) {
        std::vector<llvm::Metadata *> hint{llvm::MDString::get(c, name)};
        if (value >= 0) {
            const bool boolean = llvm::StringRef(name).ends_with(".enable");
            llvm::Type *type = boolean ? llvm::Type::getInt1Ty(c) : llvm::Type::getInt32Ty(c);
            hint.push_back(llvm::ConstantAsMetadata::get(llvm::ConstantInt::get(type, value)));
        }
        ops.push_back(llvm::MDNode::get(c, hint));
    }
    llvm::MDNode *id = llvm::MDNode::getDistinct(c, ops);
    id->replaceOperandWith(0, id);
    return id;
}

} // namespace

bool has_loop_entry(const Signature &signature) { return loop_entry_form(signature) != 0; }

/* The loop evaluates blocks of `block` points, each block an inner loop of that
   constant trip count, which the vectorizer turns into straight-line vector code with
   no lane masks and no remainder. The points that do not fill a block:
   - for a body that may be evaluated twice (repeatable()), the last block is moved
     back to end at n, recomputing a few points already stored (same values); when
     n < block, one block runs on a local copy of the points padded with the last
     one, and its first n results are copied out (one copy of the body in all);
   - otherwise they go through one more loop, folded into masked vector iterations,
     so that each point is evaluated exactly once. */
bool LlvmCodegenUnit::define_many(const std::string &symbol, LoopValue value) {
    const int form = function ? loop_entry_form(signature) : 0;
    if (form == 0)
        return false;
    const bool packed = form == 2, mirrored = value == LoopValue::MirroredSum;
    const std::vector<CType> &p = signature.params;
    /* Our exp, inlined and widened with the loop: libmvec's costs a call per vector
       (with every vector register spilled around it) and hands lanes beyond about
       +-708 to scalar exp one by one. */
    inline_exp_calls(*function);
    promote_locals(*function);
    const bool overlap = repeatable(*function);
    const int width = host_vector_doubles();
    /* Blocks of 8 points (4 with SSE2 or NEON): two vectors per block share the exp's
       constants in registers, and the integration rules' 15, 21 and 30 points waste
       little; one AVX-512 vector is already 8. */
    const int interleave = width >= 8 ? 1 : 2;
    const std::int64_t block = width * interleave;

    llvm::LLVMContext &c = *context;
    llvm::Type *ptr = llvm::PointerType::get(c, 0), *f64 = llvm::Type::getDoubleTy(c), *i64 = llvm::Type::getInt64Ty(c);
    /* (x, fx, n) then the scalar parameters that are not x itself. */
    std::vector<llvm::Type *> params{ptr, ptr, i64};
    for (std::size_t i = packed ? 0 : 1; i < p.size(); ++i)
        params.push_back(function->getFunctionType()->getParamType(static_cast<unsigned>(i)));
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(c), params, false);
    llvm::Function *many = llvm::Function::Create(type, llvm::Function::ExternalLinkage, symbol, *module);
    many->setDoesNotThrow();
    /* Where the engine's negation hoisting may run (negation_hoisting.h): only here does
       it pay, and it may flip the sign of a NaN, which copysign could make visible. */
    if (mirrored)
        many->addFnAttr(kHoistNegationsAttribute);
    /* No overlap between x, fx and xx: what lets the loop keep xx[0] in a register and widen. */
    many->addParamAttr(0, llvm::Attribute::NoAlias);
    many->addParamAttr(0, llvm::Attribute::ReadOnly);
    many->addParamAttr(1, llvm::Attribute::NoAlias);
    if (packed)
        many->addParamAttr(4, llvm::Attribute::NoAlias);
    /* The scalar body exists here only to be inlined into the loops. */
    function->setLinkage(llvm::GlobalValue::InternalLinkage);
    function->addFnAttr(llvm::Attribute::AlwaysInline);

    auto new_block = [&](const char *name) { return llvm::BasicBlock::Create(c, name, many); };
    llvm::BasicBlock *entry = new_block("entry"), *start = new_block("start"),
                     *pad = overlap ? new_block("pad") : nullptr, *blocks_begin = new_block("blocks_begin"),
                     *blocks = new_block("blocks"), *inner = new_block("block"), *next_block = new_block("next_block"),
                     *blocks_end = new_block("blocks_end"), *rest = overlap ? nullptr : new_block("rest"),
                     *exit = new_block("exit");
    llvm::Value *n = many->getArg(2);
    auto int64 = [&](std::int64_t v) { return llvm::ConstantInt::get(i64, v); };
    /* f(x) at the builder's insertion point. */
    auto call_at = [&](llvm::IRBuilder<> &b, llvm::Value *x) -> llvm::Value * {
        std::vector<llvm::Value *> args;
        if (packed)
            b.CreateStore(x, many->getArg(4));
        else
            args.push_back(x);
        for (unsigned a = 3; a < many->arg_size(); ++a)
            args.push_back(many->getArg(a));
        llvm::CallInst *call = b.CreateCall(function, args);
        call->setAttributes(function->getAttributes());
        return call;
    };
    /* fx[k] = f(x[k]), or f(x[k]) + f(-x[k]) (in that order, as QUADPACK adds them). */
    auto evaluate = [&](llvm::IRBuilder<> &b, llvm::Value *x_base, llvm::Value *fx_base, llvm::Value *k) {
        llvm::Value *x = b.CreateLoad(f64, b.CreateGEP(f64, x_base, k));
        llvm::Value *fx = call_at(b, x);
        if (mirrored)
            fx = b.CreateFAdd(fx, call_at(b, b.CreateFNeg(x)));
        b.CreateStore(fx, b.CreateGEP(f64, fx_base, k));
    };
    /* A scalar loop k = from .. to - 1 around `body`, which the vectorizer leaves alone. */
    auto scalar_loop = [&](llvm::IRBuilder<> &b, llvm::Value *from, llvm::Value *to, llvm::BasicBlock *after,
                           const std::function<void(llvm::Value *)> &body) {
        llvm::BasicBlock *before = b.GetInsertBlock(), *loop = new_block("copy");
        b.CreateBr(loop);
        b.SetInsertPoint(loop);
        llvm::PHINode *k = b.CreatePHI(i64, 2);
        k->addIncoming(from, before);
        body(k);
        llvm::Value *k_next = b.CreateAdd(k, int64(1), "", true, true);
        k->addIncoming(k_next, loop);
        b.CreateCondBr(b.CreateICmpEQ(k_next, to), after, loop)
            ->setMetadata(llvm::LLVMContext::MD_loop, loop_hints(c, {{"llvm.loop.vectorize.enable", 0}}));
    };

    llvm::IRBuilder<> b(entry);
    /* xx[0] is scratch, restored on return: with nothing live after the loops, the
       store of each x into it is dead once the body is inlined. */
    llvm::Value *saved = packed ? b.CreateLoad(f64, many->getArg(4)) : nullptr;
    /* A repeatable body's points when n < block: padded with copies of the last point. */
    llvm::Type *block_type = llvm::ArrayType::get(f64, static_cast<std::uint64_t>(block));
    llvm::Value *x_pad = overlap ? b.CreateAlloca(block_type) : nullptr;
    llvm::Value *fx_pad = overlap ? b.CreateAlloca(block_type) : nullptr;
    b.CreateCondBr(b.CreateICmpSGT(n, int64(0)), start, exit);
    b.SetInsertPoint(start);
    llvm::Value *whole = b.CreateAnd(n, int64(-block));   // the points in whole blocks
    b.CreateCondBr(b.CreateICmpNE(whole, int64(0)), blocks_begin, overlap ? pad : rest);

    if (overlap) {
        b.SetInsertPoint(pad);
        llvm::Value *last = b.CreateSub(n, int64(1));
        scalar_loop(b, int64(0), int64(block), blocks_begin, [&](llvm::Value *k) {
            llvm::Value *from = b.CreateSelect(b.CreateICmpSGT(k, last), last, k);
            llvm::Value *x = b.CreateLoad(f64, b.CreateGEP(f64, many->getArg(0), from));
            b.CreateStore(x, b.CreateGEP(f64, x_pad, k));
        });
    }
    llvm::BasicBlock *padded = overlap ? &many->back() : nullptr;   // the padding loop's block

    /* The blocks run over (x, fx, n), or over the padded copies for a short call. */
    b.SetInsertPoint(blocks_begin);
    llvm::Value *x_base = many->getArg(0), *fx_base = many->getArg(1), *count = n;
    if (overlap) {
        auto incoming = [&](llvm::Value *direct, llvm::Value *padded_value, llvm::Type *type) {
            llvm::PHINode *phi = b.CreatePHI(type, 2);
            phi->addIncoming(direct, start);
            phi->addIncoming(padded_value, padded);
            return phi;
        };
        x_base = incoming(x_base, x_pad, ptr);
        fx_base = incoming(fx_base, fx_pad, ptr);
        count = incoming(n, int64(block), i64);
    }
    b.CreateBr(blocks);
    b.SetInsertPoint(blocks);
    llvm::PHINode *i = b.CreatePHI(i64, 2);
    i->addIncoming(int64(0), blocks_begin);
    llvm::Value *first = i;
    if (overlap) {
        llvm::Value *last = b.CreateSub(count, int64(block));
        first = b.CreateSelect(b.CreateICmpSGT(i, last), last, i);
    }
    b.CreateBr(inner);
    b.SetInsertPoint(inner);
    llvm::PHINode *j = b.CreatePHI(i64, 2);
    j->addIncoming(int64(0), blocks);
    evaluate(b, x_base, fx_base, b.CreateAdd(first, j, "", true, true));
    llvm::Value *j_next = b.CreateAdd(j, int64(1), "", true, true);
    j->addIncoming(j_next, inner);
    /* The width and interleave the block was sized for; unrolled only by the vectorizer
       (fully unrolling the scalar block first would leave it to the SLP vectorizer). */
    b.CreateCondBr(b.CreateICmpEQ(j_next, int64(block)), next_block, inner)
        ->setMetadata(llvm::LLVMContext::MD_loop,
                      loop_hints(c, {{"llvm.loop.vectorize.enable", 1},
                                     {"llvm.loop.vectorize.width", width},
                                     {"llvm.loop.interleave.count", interleave},
                                     {"llvm.loop.unroll.disable", -1}}));
    b.SetInsertPoint(next_block);
    llvm::Value *i_next = b.CreateAdd(i, int64(block), "", true, true);
    i->addIncoming(i_next, next_block);
    if (overlap)
        b.CreateCondBr(b.CreateICmpSLT(i_next, count), blocks, blocks_end);
    else
        b.CreateCondBr(b.CreateICmpEQ(i_next, whole), blocks_end, blocks);

    b.SetInsertPoint(blocks_end);
    if (overlap) {
        /* After a padded block, its first n results are the call's. */
        llvm::BasicBlock *copy_back = new_block("copy_back");
        b.CreateCondBr(b.CreateICmpEQ(count, n), exit, copy_back);
        b.SetInsertPoint(copy_back);
        scalar_loop(b, int64(0), n, exit, [&](llvm::Value *k) {
            llvm::Value *y = b.CreateLoad(f64, b.CreateGEP(f64, fx_pad, k));
            b.CreateStore(y, b.CreateGEP(f64, many->getArg(1), k));
        });
    } else {
        b.CreateCondBr(b.CreateICmpEQ(whole, n), exit, rest);
        b.SetInsertPoint(rest);
        llvm::PHINode *k = b.CreatePHI(i64, 3);
        k->addIncoming(int64(0), start);
        k->addIncoming(whole, blocks_end);
        evaluate(b, many->getArg(0), many->getArg(1), k);
        llvm::Value *k_next = b.CreateAdd(k, int64(1), "", true, true);
        k->addIncoming(k_next, rest);
        /* Fewer points than a block: masked vector iterations, not a scalar epilogue
           that would call scalar libm for each. */
        b.CreateCondBr(b.CreateICmpEQ(k_next, n), exit, rest)
            ->setMetadata(llvm::LLVMContext::MD_loop,
                          loop_hints(c, {{"llvm.loop.vectorize.predicate.enable", 1},
                                         {"llvm.loop.vectorize.width", width}}));
    }

    b.SetInsertPoint(exit);
    if (packed)
        b.CreateStore(saved, many->getArg(4));
    b.CreateRetVoid();
    return true;
}

} // namespace nativecall::jit
