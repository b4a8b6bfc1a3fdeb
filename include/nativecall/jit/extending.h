// The compiler's extension API for C++: the process-wide extension registry over the builtins, inline helpers, overloads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/registry.h"

namespace nativecall::jit {

/* ---- the extension registry ---------------------------------------------------------

   compile() types and lowers with two layers: the builtins (Registry::builtins(),
   read-only) and one process-wide extension layer. The builtins are consulted first,
   so an extension gives meaning to operations the builtins reject (a function the
   compiler does not know, `+` on a type of yours) and can never change what a builtin
   operation does or how fast it compiles.

   Registrations are rare and compiles are concurrent, so the extension layer is
   copy-on-write: extend() copies the current layer, applies the registrations and
   publishes the copy atomically. A compile reads one snapshot from start to end;
   compiles already running keep the snapshot they started with. Snapshots are kept for
   the life of the process (each holds only the extension entries, not the builtins). */

/* The registry compile() uses now: the builtins, then every extension registered so far. */
const Registry &active_registry();

/* The newest extension snapshot, or null while nothing is registered (active_registry() is then
   the builtins). Unlike active_registry() it never builds the builtins, which costs a process that
   only loads cached code more than the load: whoever keeps it resolves it when the registry is used. */
const Registry *active_extensions();

/* Registers extensions: `add` receives the new extension layer (its lookups already see
   the builtins and earlier extensions) and calls add_typer / add_lowering / add_cast /
   add_constant / add_parameter_names on it. When `add` throws, nothing is published.
   Safe to call from any thread, also while other threads compile.

       nativecall::jit::extend([](Registry &r) {
           r.add_typer("popcount", ...);                              // numba's type_callable
           r.add_lowering("popcount", {TypePattern::of(Kind::Int)}, ...);   // numba's lower_builtin
       });

   A name registered this way is visible to compiled code as a global name, or through a
   GlobalValue::of_function(name) in CompileRequest::globals. Lowerings build IR through
   ir::Builder; nativecall/jit/llvm_interop.h turns it into an llvm::IRBuilder<>. */
void extend(const std::function<void(Registry &)> &add);

/* ---- inline helpers and overloads ---------------------------------------------------- */

/* Types a call of a jitable helper with these argument types (inferred once per
   helper, registry and argument types, then cached): args are `params`, the result is
   what the helper returns. Throws TypingFailure when the helper does not type. */
CallSignature type_jitable_call(const std::shared_ptr<const JitableSource> &helper, const Registry &registry,
                                const std::vector<TypeRef> &params);
/* Lowers the helper inline where the builder stands (after type_jitable_call). */
Lowered lower_jitable_call(LoweringContext &ctx, const std::shared_ptr<const JitableSource> &helper,
                           const std::vector<TypeRef> &params, const std::vector<Lowered> &args);

/* numba's @overload: picks the implementation of `name` for the argument types of a call
   site, or returns nullptr to decline (another typer may accept). It runs at most once per
   distinct argument types per overload: the answer is remembered for the process's life. */
using ImplementationChooser =
    std::function<std::shared_ptr<const JitableSource>(const std::vector<TypeRef> &arg_types)>;

/* Registers a typer and a lowering for `name` (a function name, or an operator spelling
   such as "+" or "unary-") that compile the chosen implementation inline at each call. */
void add_overload(Registry &registry, const std::string &name, ImplementationChooser choose);

/* numba's overload_method: `obj.method(args...)` for objects of type `receiver`; the
   chooser gets (receiver, argument types...) and returns an implementation taking the
   object first, or nullptr to decline. */
void add_method_overload(Registry &registry, TypeRef receiver, const std::string &method, ImplementationChooser choose);

/* ---- custom types --------------------------------------------------------------------- */

/* A type of yours with named fields, stored side by side (numba's StructModel). */
struct CustomTypeSpec {
    std::string name;                                        // unique: it is the type's identity
    std::vector<std::pair<std::string, TypeRef>> fields;     // numbers, pointers, tuples or other custom types
    /* The function name that constructs a value from its fields in compiled code
       (positional, converted like call arguments); empty: none. */
    std::string constructor;
};

/* Registers `spec`: the type, an attribute per field (numba's lower_getattr), the
   constructor, and constants of the type (numba's lower_constant: a ConstantValue
   holding each field's value). A type of one number or pointer also converts to that
   machine type (so it can be returned where the C signature has it). Returns the type. */
TypeRef add_custom_type(Registry &registry, const CustomTypeSpec &spec);

/* numba's lower_cast with the conversion written as an inline helper taking the value:
   its result (converted further to `to` when it differs) is the converted value. */
void add_cast_implementation(Registry &registry, TypeRef from, TypeRef to,
                             std::shared_ptr<const JitableSource> implementation);

/* How many (helper, registry, argument types) specialisations have been typed so far:
   it grows with distinct helpers, not with the number of compiles. */
std::size_t jitable_specialisation_count();

} // namespace nativecall::jit
