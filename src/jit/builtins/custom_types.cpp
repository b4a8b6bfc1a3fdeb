// Custom types from extensions: fields as attributes, construction, constants, and casts written as inline helpers.
#include "nativecall/jit/extending.h"
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* Where field `index` of `type` starts among its lowered parts, and how many parts it has. */
std::pair<std::size_t, std::size_t> field_parts(TypeRef type, std::size_t index) {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < index; ++i)
        offset += LoweringContext::parts(type->members[i]).size();
    return {offset, LoweringContext::parts(type->members[index]).size()};
}

bool converts_to(const Registry &registry, TypeRef from, TypeRef to) {
    return from == to || (from->is_number() && to->is_number()) || registry.find_cast(from, to) != nullptr;
}

} // namespace

TypeRef add_custom_type(Registry &registry, const CustomTypeSpec &spec) {
    if (spec.name.empty())
        throw InvalidArgument("a custom type needs a name");
    std::vector<TypeRef> model;
    for (const auto &[field, type] : spec.fields) {
        if (type->is_compile_time_only() || type->kind == Kind::Array || type->kind == Kind::Range ||
            type->kind == Kind::Iterator || type->kind == Kind::Combined)
            throw InvalidArgument("field '" + field + "' of " + spec.name + " has type " + type->str() +
                                  "; fields are numbers, pointers, tuples or custom types");
        model.push_back(type);
    }
    TypeRef self = types::custom(spec.name, model);
    const std::size_t n = spec.fields.size();

    for (std::size_t i = 0; i < n; ++i) {
        TypeRef field_type = spec.fields[i].second;
        registry.add_typer("." + spec.fields[i].first, [self, field_type](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0] != self)
                return std::nullopt;
            return signature(field_type, {self});
        });
        registry.add_lowering("." + spec.fields[i].first, {TypePattern::exactly(self)},
                              [self, i](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                                  auto [offset, count] = field_parts(self, i);
                                  return Lowered(a[0].begin() + static_cast<std::ptrdiff_t>(offset),
                                                 a[0].begin() + static_cast<std::ptrdiff_t>(offset + count));
                              });
    }

    if (!spec.constructor.empty()) {
        registry.add_typer(spec.constructor, [self, n, name = spec.name](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != n)
                throw TypingFailure(name + "() takes " + std::to_string(n) + " argument(s), " +
                                    std::to_string(args.types.size()) + " given");
            for (std::size_t i = 0; i < n; ++i)
                if (!converts_to(*args.registry, args.types[i], self->members[i]))
                    throw TypingFailure("argument " + std::to_string(i + 1) + " of " + name + "(): cannot convert " +
                                        args.types[i]->str() + " to " + self->members[i]->str());
            return signature(self, self->members);
        });
        registry.add_lowering(spec.constructor, {TypePattern::any()},
                              [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                                  Lowered out;
                                  for (const Lowered &field : a)
                                      out.insert(out.end(), field.begin(), field.end());
                                  return out;
                              },
                              true);
    }

    registry.add_constant(TypePattern::exactly(self), [self](LoweringContext &ctx, TypeRef, const ConstantValue &c) -> Lowered {
        const auto *values = std::get_if<std::vector<ConstantValue>>(&c.value);
        if (!values || values->size() != self->members.size())
            throw TypingFailure("a constant " + self->str() + " needs one value per field (" +
                                std::to_string(self->members.size()) + ")");
        Lowered out;
        for (std::size_t i = 0; i < values->size(); ++i) {
            Lowered m = ctx.constant(self->members[i], (*values)[i]);
            out.insert(out.end(), m.begin(), m.end());
        }
        return out;
    });

    /* A type of one machine value stands for it where C code sees the value. */
    if (n == 1 && LoweringContext::parts(self).size() == 1) {
        TypeRef model_type = self->members[0];
        registry.add_cast(TypePattern::exactly(self), TypePattern::exactly(model_type),
                          [](LoweringContext &, TypeRef, TypeRef, const Lowered &v) -> Lowered { return v; });
    }
    return self;
}

void add_method_overload(Registry &registry, TypeRef receiver, const std::string &method, ImplementationChooser choose) {
    /* The implementations are an overload of a name no source can spell; `obj.method` is
       a bound method (the object's value), and calling it calls that overload. */
    std::string key = "method " + receiver->str() + "." + method;
    add_overload(registry, key, std::move(choose));
    TypeRef bound = types::method(receiver, method);
    registry.add_typer("." + method, [receiver, bound](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0] != receiver)
            return std::nullopt;
        return signature(bound, {receiver});
    });
    registry.add_lowering("." + method, {TypePattern::exactly(receiver)}, pass_through);
    registry.add_typer("call", [bound, key](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty() || args.types[0] != bound)
            return std::nullopt;
        std::vector<TypeRef> inner{bound->element};
        inner.insert(inner.end(), args.types.begin() + 1, args.types.end());
        auto sig = args.registry->resolve(key, CallArgs{inner, std::vector<std::optional<std::int64_t>>(inner.size())});
        if (!sig)
            return std::nullopt;
        std::vector<TypeRef> outer{bound};
        outer.insert(outer.end(), sig->args.begin() + 1, sig->args.end());
        return signature(sig->result, outer);
    });
    registry.add_lowering("call", {TypePattern::exactly(bound), TypePattern::any()},
                          [bound, key](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
                              std::vector<TypeRef> inner{bound->element};
                              inner.insert(inner.end(), sig.args.begin() + 1, sig.args.end());
                              return ctx.call(key, inner, a).first;   // a[0] is the object's value
                          },
                          true);
}

void add_cast_implementation(Registry &registry, TypeRef from, TypeRef to,
                             std::shared_ptr<const JitableSource> implementation) {
    registry.add_cast(TypePattern::exactly(from), TypePattern::exactly(to),
                      [implementation](LoweringContext &ctx, TypeRef f, TypeRef t, const Lowered &v) -> Lowered {
                          CallSignature sig = type_jitable_call(implementation, ctx.registry(), {f});
                          if (sig.result->kind == Kind::Void)
                              throw TypingFailure("the conversion " + implementation->name + "() from " + f->str() +
                                                  " to " + t->str() + " returns nothing");
                          /* A conversion reached again while it is being lowered (it returns its
                             own input type, or casts form a cycle) would recurse without end. */
                          thread_local std::vector<std::pair<TypeRef, TypeRef>> converting;
                          for (const auto &pair : converting)
                              if (pair.first == f && pair.second == t)
                                  throw TypingFailure("the conversion " + implementation->name + "() from " + f->str() +
                                                      " to " + t->str() + " returns " + sig.result->str() +
                                                      ", whose conversion to " + t->str() + " leads back to it");
                          converting.emplace_back(f, t);
                          struct Pop {
                              ~Pop() { converting.pop_back(); }
                          } pop;
                          Lowered converted = lower_jitable_call(ctx, implementation, {f}, {v});
                          return sig.result == t ? converted : ctx.cast(converted, sig.result, t);
                      });
}

} // namespace nativecall::jit
