// Calls of jitable helpers (nativecall.extending.jitable): typed with each call site's argument types, lowered inline.
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "nativecall/jit/extending.h"
#include "nativecall/jit/frontend.h"
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* One specialisation per (helper, registry, argument types). Typing asks again on every
   inference pass and lowering asks once more, so without the table nested helpers
   would be re-inferred exponentially often. Entries are never evicted, and each keeps its
   declaration alive so that no other declaration can reuse the key's address; the
   Python side declares each helper once (see bindings/jit.cpp), so the table grows with
   distinct helpers, not with compiles. */
using SpecialisationKey = std::tuple<const JitableSource *, const Registry *, std::vector<TypeRef>>;
struct Specialisation {
    std::shared_ptr<const JitableSource> helper;
    std::shared_ptr<const TypedFunction> typed;
};
std::mutex specialisations_mutex;
std::map<SpecialisationKey, Specialisation> &specialisations() {
    static std::map<SpecialisationKey, Specialisation> table;
    return table;
}

/* The helpers being typed on this thread, innermost last: a helper met again while it
   is still being typed calls itself, which inline expansion cannot serve. */
thread_local std::vector<const JitableSource *> typing_stack;

std::shared_ptr<const TypedFunction> specialise(const std::shared_ptr<const JitableSource> &declared,
                                                const Registry &registry, const std::vector<TypeRef> &params) {
    const JitableSource &helper = *declared;
    SpecialisationKey key{&helper, &registry, params};
    {
        std::lock_guard<std::mutex> lock(specialisations_mutex);
        auto found = specialisations().find(key);
        if (found != specialisations().end())
            return found->second.typed;
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
    return specialisations().emplace(std::move(key), Specialisation{declared, std::move(typed)}).first->second.typed;
}

/* The implementations an overload has chosen, by argument types: the chooser (a Python
   typing function, say) runs once per distinct argument types, and lowering finds the
   implementation typing picked without asking again. */
struct OverloadState {
    std::string name;
    ImplementationChooser choose;
    std::mutex mutex;
    std::map<std::vector<TypeRef>, std::shared_ptr<const JitableSource>> chosen;

    std::shared_ptr<const JitableSource> implementation(const std::vector<TypeRef> &types) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            auto found = chosen.find(types);
            if (found != chosen.end())
                return found->second;
        }
        /* Not under the lock: the chooser may compile (and so type other overloads). */
        std::shared_ptr<const JitableSource> impl = choose(types);
        std::lock_guard<std::mutex> lock(mutex);
        return chosen.emplace(types, std::move(impl)).first->second;   // the first answer wins a race
    }
};

} // namespace

CallSignature type_jitable_call(const std::shared_ptr<const JitableSource> &helper, const Registry &registry,
                                const std::vector<TypeRef> &params) {
    for (std::size_t i = 0; i < params.size(); ++i)
        if (params[i]->is_compile_time_only())
            throw TypingFailure("argument " + std::to_string(i + 1) + " of " + helper->name + "(): cannot pass " +
                                params[i]->str() + " to a jitable function");
    return CallSignature{specialise(helper, registry, params)->result, params};
}

Lowered lower_jitable_call(LoweringContext &ctx, const std::shared_ptr<const JitableSource> &helper,
                           const std::vector<TypeRef> &params, const std::vector<Lowered> &args) {
    return lower_inline(*specialise(helper, ctx.registry(), params), ctx, args);
}

void add_overload(Registry &registry, const std::string &name, ImplementationChooser choose) {
    auto state = std::make_shared<OverloadState>();
    state->name = name;
    state->choose = std::move(choose);
    registry.add_typer(name, [state](const CallArgs &args) -> std::optional<CallSignature> {
        for (TypeRef t : args.types)
            if (t->is_compile_time_only() && t->kind != Kind::Void)
                return std::nullopt;   // modules, functions, dtypes: not values an implementation can take
        auto impl = state->implementation(args.types);
        if (!impl)
            return std::nullopt;
        CallSignature sig = type_jitable_call(impl, *args.registry, args.types);
        sig.detail = impl;   // several overloads of one name share lowerings: say which one accepted
        return sig;
    });
    registry.add_lowering(name, {TypePattern::any()},
                          [state](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              auto impl = std::static_pointer_cast<const JitableSource>(sig.detail);
                              if (!impl)
                                  throw TypingFailure("internal: overload '" + state->name + "' lowered without an implementation");
                              return lower_jitable_call(ctx, impl, sig.args, a);
                          },
                          true);
}

std::size_t jitable_specialisation_count() {
    std::lock_guard<std::mutex> lock(specialisations_mutex);
    return specialisations().size();
}

void register_jitables(Registry &registry) {
    /* A helper takes its arguments as they are: no conversion at the call, the body
       is typed for exactly these types (numba's register_jitable). */
    registry.add_typer("call", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty() || args.types[0]->kind != Kind::Jitable)
            return std::nullopt;
        std::vector<TypeRef> params(args.types.begin() + 1, args.types.end());
        CallSignature sig = type_jitable_call(args.types[0]->jitable, *args.registry, params);
        sig.args.insert(sig.args.begin(), args.types[0]);
        return sig;
    });
    registry.add_lowering("call", {TypePattern::of(Kind::Jitable), TypePattern::any()},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              std::vector<TypeRef> params(sig.args.begin() + 1, sig.args.end());
                              return lower_jitable_call(ctx, sig.args[0]->jitable, params,
                                                        std::vector<Lowered>(a.begin() + 1, a.end()));
                          },
                          true);
}

} // namespace nativecall::jit
