// Calls of jitable helpers (nativecall.extending.jitable): typed with each call site's argument types, lowered inline.
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "nativecall/jit/frontend.h"
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* One specialisation per (helper, registry, argument types). Typing asks again on every
   inference pass and lowering asks once more, so without the table nested helpers
   would be re-inferred exponentially often. Entries are never evicted: a helper's
   declaration lives as long as its interned type, which is forever. */
using SpecialisationKey = std::tuple<const JitableSource *, const Registry *, std::vector<TypeRef>>;
std::mutex specialisations_mutex;
std::map<SpecialisationKey, std::shared_ptr<const TypedFunction>> &specialisations() {
    static std::map<SpecialisationKey, std::shared_ptr<const TypedFunction>> table;
    return table;
}

/* The helpers being typed on this thread, innermost last: a helper met again while it
   is still being typed calls itself, which inline expansion cannot serve. */
thread_local std::vector<const JitableSource *> typing_stack;

std::shared_ptr<const TypedFunction> specialise(const JitableSource &helper, const Registry &registry,
                                                const std::vector<TypeRef> &params) {
    SpecialisationKey key{&helper, &registry, params};
    {
        std::lock_guard<std::mutex> lock(specialisations_mutex);
        auto found = specialisations().find(key);
        if (found != specialisations().end())
            return found->second;
    }
    for (const JitableSource *active : typing_stack)
        if (active == &helper)
            throw TypingFailure("jitable function '" + helper.name +
                                "' calls itself (directly or through other jitable functions); recursion "
                                "between jitable functions is not supported");
    /* Parsed again for each specialisation: inference annotates the AST in place. */
    auto module = std::make_shared<Module>(parse_module(helper.source));
    std::size_t expected = select_function(*module, helper.name).params.size();
    if (params.size() != expected)
        throw TypingFailure(helper.name + "() takes " + std::to_string(expected) + " arguments, " +
                            std::to_string(params.size()) + " given");
    typing_stack.push_back(&helper);
    std::shared_ptr<const TypedFunction> typed;
    try {
        typed = std::make_shared<TypedFunction>(infer_inline(module, helper.name, params, helper.globals, registry));
    } catch (...) {
        typing_stack.pop_back();
        throw;
    }
    typing_stack.pop_back();
    std::lock_guard<std::mutex> lock(specialisations_mutex);
    return specialisations().emplace(std::move(key), std::move(typed)).first->second;
}

} // namespace

void register_jitables(Registry &registry) {
    /* A helper takes its arguments as they are: no conversion at the call, the body
       is typed for exactly these types (numba's register_jitable). */
    registry.add_typer("call", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty() || args.types[0]->kind != Kind::Jitable)
            return std::nullopt;
        const JitableSource &helper = *args.types[0]->jitable;
        std::vector<TypeRef> params(args.types.begin() + 1, args.types.end());
        for (std::size_t i = 0; i < params.size(); ++i)
            if (params[i]->is_compile_time_only())
                throw TypingFailure("argument " + std::to_string(i + 1) + " of " + helper.name + "(): cannot pass " +
                                    params[i]->str() + " to a jitable function");
        auto typed = specialise(helper, *args.registry, params);
        std::vector<TypeRef> sig_args{args.types[0]};
        sig_args.insert(sig_args.end(), params.begin(), params.end());
        return signature(typed->result, std::move(sig_args));
    });
    registry.add_lowering("call", {TypePattern::of(Kind::Jitable), TypePattern::any()},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              std::vector<TypeRef> params(sig.args.begin() + 1, sig.args.end());
                              auto typed = specialise(*sig.args[0]->jitable, ctx.registry(), params);
                              return lower_inline(*typed, ctx, std::vector<Lowered>(a.begin() + 1, a.end()));
                          },
                          true);
}

} // namespace nativecall::jit
