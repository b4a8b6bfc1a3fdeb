// Negation hoisting: signs move out of products and quotients, so f(x) and f(-x) of an even function become one computation.
#pragma once

#include <llvm/IR/PassManager.h>

namespace nativecall::jit {

/* Rewrites (-a) * b as -(a * b), a * (-b) as -(a * b), (-a) * (-b) as a * b, and the
   same for division, with a negative constant counting as the negation of its
   magnitude, in functions carrying kHoistNegationsAttribute (codegen.h). Round-to-
   nearest is symmetric in sign, so every rewritten value has the same bits as
   before, except that a NaN's sign bit may differ (IEEE leaves it unspecified, but
   copysign can read it); hence only the mirrored-sum loops ask for it.

   Why: loop entries that sum f(x) + f(-x) (LoopValue::MirroredSum) inline the body
   twice. For a body that is even in x, say exp(-a*x*x), the second copy computes
   ((-a) * (-x)) * (-x) and the first ((-a) * x) * x; InstCombine leaves them as
   (a * x) * (-x) and (x * (-a)) * x. With the signs hoisted both are -((a * x) * x),
   and common-subexpression elimination then evaluates the exp once for both. */
class NegationHoistingPass : public llvm::PassInfoMixin<NegationHoistingPass> {
public:
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

} // namespace nativecall::jit
