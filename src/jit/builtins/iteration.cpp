// enumerate() and zip(): combined iterables whose loops drive their sources' own iteration protocols.
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* Splits a flattened value into one piece per type, by each type's data model. */
std::vector<Lowered> split(const std::vector<TypeRef> &pieces, const Lowered &value, std::size_t offset = 0) {
    std::vector<Lowered> out;
    for (TypeRef t : pieces) {
        std::size_t n = LoweringContext::parts(t).size();
        out.emplace_back(value.begin() + static_cast<std::ptrdiff_t>(offset),
                         value.begin() + static_cast<std::ptrdiff_t>(offset + n));
        offset += n;
    }
    return out;
}

std::vector<TypeRef> iterators_of(TypeRef combined) {
    std::vector<TypeRef> out;
    for (TypeRef m : combined->members)
        out.push_back(types::iterator(m));
    return out;
}

bool is_enumerate(TypeRef combined) { return combined->name == "enumerate"; }

/* The sources' iterator states inside a combined iterator's state (after enumerate's counter). */
std::vector<Lowered> source_states(TypeRef combined, const Lowered &state) {
    return split(iterators_of(combined), state, is_enumerate(combined) ? 1 : 0);
}

Typer combined_iterator_typer(TypeRef (*result)(const CallArgs &, TypeRef)) {
    return [result](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0]->kind != Kind::Iterator ||
            args.types[0]->element->kind != Kind::Combined)
            return std::nullopt;
        TypeRef r = result(args, args.types[0]->element);
        if (!r)
            return std::nullopt;
        return signature(r, {args.types[0]});
    };
}

/* Whether `t` can be looped over, asked of the registry. */
bool iterable(const CallArgs &args, TypeRef t) {
    return args.registry && args.registry->resolve("iter", {{t}, {std::nullopt}, nullptr}).has_value();
}

} // namespace

void register_iteration(Registry &registry) {
    registry.add_typer("enumerate", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1)
            return std::nullopt;
        if (!iterable(args, args.types[0]))
            throw TypingFailure("enumerate() needs something to loop over, not " + args.types[0]->str());
        return signature(types::combined("enumerate", {args.types[0]}), {args.types[0]});
    });
    registry.add_typer("zip", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty())
            return std::nullopt;
        for (TypeRef t : args.types)
            if (!iterable(args, t))
                throw TypingFailure("zip() needs things to loop over, not " + t->str());
        return signature(types::combined("zip", args.types), args.types);
    });
    for (const char *name : {"enumerate", "zip"})
        registry.add_lowering(name, {TypePattern::any()},
                              [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                                  Lowered all;
                                  for (const Lowered &v : a)
                                      all.insert(all.end(), v.begin(), v.end());
                                  return all;
                              },
                              true);

    define(registry, "iter",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || args.types[0]->kind != Kind::Combined)
                   return std::nullopt;
               return signature(types::iterator(args.types[0]), {args.types[0]});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               TypeRef combined = sig.args[0];
               Lowered state;
               if (is_enumerate(combined))
                   state.push_back(ctx.b().constant_int(ir::Type::I64, 0));
               auto sources = split(combined->members, a[0]);
               for (std::size_t i = 0; i < sources.size(); ++i) {
                   Lowered s = ctx.call("iter", {combined->members[i]}, {sources[i]}).first;
                   state.insert(state.end(), s.begin(), s.end());
               }
               return state;
           },
           TypePattern::of(Kind::Combined));

    /* zip stops at its shortest source. */
    registry.add_typer("iter.valid", combined_iterator_typer([](const CallArgs &, TypeRef) { return types::boolean(); }));
    registry.add_lowering("iter.valid", {TypePattern::iterator_over(Kind::Combined)},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              TypeRef combined = sig.args[0]->element;
                              auto states = source_states(combined, a[0]);
                              auto iterators = iterators_of(combined);
                              ir::Value all = ctx.b().constant_int(ir::Type::I1, 1);
                              for (std::size_t i = 0; i < states.size(); ++i) {
                                  ir::Value v = ctx.call("iter.valid", {iterators[i]}, {states[i]}).first.at(0);
                                  all = ctx.b().binary(ir::BinaryOp::And, all, v);
                              }
                              return {all};
                          });

    /* enumerate yields (index, item); zip yields (item, item, ...). */
    registry.add_typer("iter.next", combined_iterator_typer([](const CallArgs &args, TypeRef combined) -> TypeRef {
        std::vector<TypeRef> items;
        if (is_enumerate(combined))
            items.push_back(types::int64());
        for (TypeRef m : combined->members) {
            auto next = args.registry->resolve("iter.next", {{types::iterator(m)}, {std::nullopt}, nullptr});
            if (!next)
                return nullptr;
            items.push_back(next->result);
        }
        return types::tuple(items);
    }));
    registry.add_lowering("iter.next", {TypePattern::iterator_over(Kind::Combined)},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              TypeRef combined = sig.args[0]->element;
                              Lowered item;
                              if (is_enumerate(combined))
                                  item.push_back(a[0][0]);
                              auto states = source_states(combined, a[0]);
                              auto iterators = iterators_of(combined);
                              for (std::size_t i = 0; i < states.size(); ++i) {
                                  Lowered v = ctx.call("iter.next", {iterators[i]}, {states[i]}).first;
                                  item.insert(item.end(), v.begin(), v.end());
                              }
                              return item;
                          });
    registry.add_typer("iter.advance", combined_iterator_typer([](const CallArgs &, TypeRef combined) {
        return types::iterator(combined);
    }));
    registry.add_lowering("iter.advance", {TypePattern::iterator_over(Kind::Combined)},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              TypeRef combined = sig.args[0]->element;
                              Lowered state;
                              if (is_enumerate(combined))
                                  state.push_back(ctx.b().binary(ir::BinaryOp::Add, a[0][0],
                                                                 ctx.b().constant_int(ir::Type::I64, 1)));
                              auto states = source_states(combined, a[0]);
                              auto iterators = iterators_of(combined);
                              for (std::size_t i = 0; i < states.size(); ++i) {
                                  Lowered s = ctx.call("iter.advance", {iterators[i]}, {states[i]}).first;
                                  state.insert(state.end(), s.begin(), s.end());
                              }
                              return state;
                          });
}

} // namespace nativecall::jit
