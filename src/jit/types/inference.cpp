// Type inference: types flow forward from the signature; variables unify at joins until a fixed point.
#include <algorithm>
#include <set>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/frontend.h"

namespace nativecall::jit {
namespace {

/* How the error for an operator with unsupported operands reads ("cannot add float64 and ..."). */
std::string operator_error(const std::string &op, TypeRef left, TypeRef right) {
    static const std::map<std::string, std::string> verbs = {
        {"+", "add"}, {"-", "subtract"}, {"*", "multiply"}, {"/", "divide"}, {"//", "floor-divide"},
        {"%", "take the remainder of"}, {"**", "raise"}, {"<<", "shift"}, {">>", "shift"},
        {"&", "bitwise-and"}, {"|", "bitwise-or"}, {"^", "bitwise-xor"}};
    auto verb = verbs.find(op);
    if (verb != verbs.end())
        return "cannot " + verb->second + " " + left->str() + " and " + right->str() +
               (op == "**" ? " (to a power)" : "");
    return "cannot compare " + left->str() + " and " + right->str() + " with '" + op + "'";
}

TypeRef type_of_constant(const ConstantValue &c) {
    if (std::holds_alternative<std::int64_t>(c.value))
        return types::int64();
    if (std::holds_alternative<double>(c.value))
        return types::float64();
    if (std::holds_alternative<bool>(c.value))
        return types::boolean();
    std::vector<TypeRef> members;
    for (const auto &m : std::get<std::vector<ConstantValue>>(c.value))
        members.push_back(type_of_constant(m));
    return types::tuple(members);
}

/* Collects the names a function assigns: Python makes those local everywhere in it. */
void collect_assigned(const Expr &target, std::set<std::string> &names) {
    if (target.kind == Expr::Kind::Name)
        names.insert(target.text);
    else if (target.kind == Expr::Kind::Tuple)
        for (const auto &m : target.operands)
            collect_assigned(*m, names);
}
void collect_assigned(const Block &block, std::set<std::string> &names) {
    for (const auto &stmt : block) {
        for (const auto &t : stmt->targets)
            collect_assigned(*t, names);
        collect_assigned(stmt->body, names);
        collect_assigned(stmt->orelse, names);
    }
}

class Inference {
public:
    Inference(TypedFunction &fn, const Registry &registry) : fn_(fn), registry_(registry), file_(*fn.module->source) {}

    /* Inline mode: parameter types are given (the call site's), the result is inferred. */
    void run_inline(const std::vector<TypeRef> &param_types) {
        infer_result_ = true;
        const FunctionDef &def = *fn_.def;
        for (std::size_t i = 0; i < def.params.size(); ++i) {
            fn_.param_types.push_back(param_types.at(i));
            fn_.variables[def.params[i]] = param_types[i];
        }
        solve();
        if (!fn_.result)   // no return with a value anywhere
            fn_.result = types::void_();
    }

    void run(const std::vector<TypeRef> &parameter_types, TypeRef result_type) {
        const FunctionDef &def = *fn_.def;
        if (!parameter_types.empty() && parameter_types.size() != fn_.signature.params.size())
            throw InvalidArgument(std::to_string(parameter_types.size()) + " parameter types given for the signature '" +
                                  fn_.signature.numba_spelling() + "', which has " +
                                  std::to_string(fn_.signature.params.size()) + " parameters");
        if (def.params.size() != fn_.signature.params.size())
            throw CompileError(file_, def.loc,
                               "function '" + def.name + "' takes " + std::to_string(def.params.size()) +
                                   " parameter(s) but the signature '" + fn_.signature.numba_spelling() +
                                   "' has " + std::to_string(fn_.signature.params.size()));
        for (std::size_t i = 0; i < def.params.size(); ++i) {
            TypeRef t = types::from_ctype(fn_.signature.params[i]);
            if (!parameter_types.empty() && parameter_types[i])
                t = refined(t, parameter_types[i], "parameter " + std::to_string(i + 1));
            if (t->kind == Kind::Void)
                throw CompileError(file_, def.param_locs[i], "a parameter cannot have type void");
            fn_.param_types.push_back(t);
            fn_.variables[def.params[i]] = t;
        }
        fn_.result = types::from_ctype(fn_.signature.result);
        if (result_type)
            fn_.result = refined(fn_.result, result_type, "the result");
        solve();
    }

private:
    /* A refinement keeps the ABI: a data pointer stays a data pointer (a `void *` that
       points at a record is a CPointer(Record)), and a custom type stands for a C value
       when its data model is exactly that value. */
    static TypeRef refined(TypeRef declared, TypeRef refinement, const std::string &what) {
        bool pointers = declared->kind == Kind::Pointer && refinement->kind == Kind::Pointer;
        bool one_value = refinement->kind == Kind::Custom && declared->kind != Kind::Void &&
                         !declared->is_compile_time_only() && LoweringContext::parts(refinement).size() == 1 &&
                         LoweringContext::parts(declared) == LoweringContext::parts(refinement);
        if (!pointers && !one_value)
            throw InvalidArgument(what + " is " + declared->str() + " in the signature and cannot be given the type " +
                                  refinement->str() + " (only pointers, and custom types made of one " +
                                  declared->str() + ", can be refined)");
        return refinement;
    }

    void solve() {
        const FunctionDef &def = *fn_.def;
        collect_assigned(def.body, locals_);
        for (const auto &p : def.params)
            locals_.insert(p);

        /* Each pass may widen variables (int64 → float64 after `x = x / 2` in a loop);
           types only move up a finite lattice, so this terminates quickly. */
        for (int pass = 0; pass < 32; ++pass) {
            changed_ = false;
            type_block(def.body, 0);
            if (!changed_)
                break;
        }
        strict_ = true;
        type_block(def.body, 0);
    }

    [[noreturn]] void fail(SourceLocation where, const std::string &message) const {
        throw CompileError(file_, where, message);
    }

    /* ---- statements -------------------------------------------------------------- */
    void type_block(const Block &block, int loop_depth) {
        for (const auto &stmt : block) {
            try {
                type_statement(*stmt, loop_depth);
            } catch (const TypingFailure &failure) {
                fail(stmt->loc, failure.what());
            }
        }
    }

    void type_statement(const Stmt &stmt, int loop_depth) {
        switch (stmt.kind) {
        case Stmt::Kind::Assign: {
            TypeRef value = type_expr(*stmt.value);
            for (const auto &target : stmt.targets)
                assign(*target, value, stmt.value->loc);
            break;
        }
        case Stmt::Kind::AugAssign: {
            Expr &target = *stmt.targets[0];
            TypeRef current = type_expr(target);
            TypeRef value = type_expr(*stmt.value);
            if (!current || !value)
                break;
            auto sig = registry_.resolve(stmt.text, {{current, value}, {std::nullopt, std::nullopt}});
            if (!sig)
                fail(stmt.loc, operator_error(stmt.text, current, value));
            assign(target, sig->result, stmt.loc);
            break;
        }
        case Stmt::Kind::ExprStmt:
            if (stmt.value->kind != Expr::Kind::String)   // docstrings and bare strings are no-ops
                type_expr(*stmt.value);
            break;
        case Stmt::Kind::If:
            type_condition(*stmt.value);
            type_block(stmt.body, loop_depth);
            type_block(stmt.orelse, loop_depth);
            break;
        case Stmt::Kind::While:
            type_condition(*stmt.value);
            type_block(stmt.body, loop_depth + 1);
            break;
        case Stmt::Kind::For: {
            TypeRef iterable = type_expr(*stmt.value);
            TypeRef element = nullptr;
            if (iterable) {
                auto iter = registry_.resolve("iter", {{iterable}, {std::nullopt}});
                if (!iter)
                    fail(stmt.value->loc, "cannot iterate over " + iterable->str() +
                                              " (loops run over range(...) or an array view)");
                auto next = registry_.resolve("iter.next", {{iter->result}, {std::nullopt}});
                element = next ? next->result : nullptr;
            }
            assign(*stmt.targets[0], element, stmt.value->loc);
            type_block(stmt.body, loop_depth + 1);
            break;
        }
        case Stmt::Kind::Return: {
            if (infer_result_) {
                infer_return(stmt);
                break;
            }
            if (!stmt.value || stmt.value->kind == Expr::Kind::NoneLit) {
                if (fn_.result->kind != Kind::Void)
                    fail(stmt.loc, "return without a value in a function whose signature returns " +
                                       fn_.result->str());
                break;
            }
            TypeRef value = type_expr(*stmt.value);
            if (!value)
                break;
            if (fn_.result->kind == Kind::Void)
                fail(stmt.value->loc, "cannot return " + value->str() + " from a function whose signature returns void");
            if (value != fn_.result && !registry_.find_cast(value, fn_.result))
                fail(stmt.value->loc, "cannot return " + value->str() + " from a function whose signature returns " +
                                          fn_.result->str());
            break;
        }
        case Stmt::Kind::Break:
        case Stmt::Kind::Continue:
            if (loop_depth == 0)
                fail(stmt.loc, std::string("'") + (stmt.kind == Stmt::Kind::Break ? "break" : "continue") +
                                   "' outside a loop");
            break;
        case Stmt::Kind::Pass:
            break;
        }
    }

    void assign(Expr &target, TypeRef value, SourceLocation where) {
        switch (target.kind) {
        case Expr::Kind::Name: {
            if (!value)
                return;
            if (value->is_compile_time_only())
                fail(where, "cannot store " + value->str() + " in variable '" + target.text + "'");
            TypeRef &slot = fn_.variables[target.text];
            TypeRef merged = types::unify(slot, value);
            if (!merged)
                fail(where, "variable '" + target.text + "' holds " + slot->str() + " elsewhere and cannot also hold " +
                                value->str() + " (a variable keeps one type)");
            if (merged != slot) {
                slot = merged;
                changed_ = true;
            }
            target.type = merged;
            return;
        }
        case Expr::Kind::Subscript: {
            TypeRef object = type_expr(*target.operands[0]);
            TypeRef index = type_expr(*target.operands[1]);
            if (!object || !index || !value)
                return;
            auto sig = registry_.resolve("setitem", {{object, index, value}, {std::nullopt, literal_int(*target.operands[1]), std::nullopt}});
            if (!sig)
                fail(target.loc, "cannot store " + value->str() + " into " + object->str() + "[" + index->str() + "]");
            return;
        }
        case Expr::Kind::Attribute: {
            TypeRef object = type_expr(*target.operands[0]);
            if (!object || !value)
                return;
            CallArgs args{{object, value}, {std::nullopt, std::nullopt}};
            args.attribute = target.text;
            if (!registry_.resolve("setattr", args))
                fail(target.loc, "cannot assign " + value->str() + " to attribute '" + target.text + "' of " +
                                     object->str());
            return;
        }
        case Expr::Kind::Tuple: {
            if (!value)
                return;
            if (value->kind != Kind::Tuple)
                fail(where, "cannot unpack " + value->str() + " (only tuples unpack)");
            if (value->members.size() != target.operands.size())
                fail(where, "cannot unpack a tuple of " + std::to_string(value->members.size()) + " values into " +
                                std::to_string(target.operands.size()) + " targets");
            for (std::size_t i = 0; i < target.operands.size(); ++i)
                assign(*target.operands[i], value->members[i], where);
            target.type = value;
            return;
        }
        default:
            fail(target.loc, "cannot assign to this expression");
        }
    }

    void type_condition(Expr &condition) {
        TypeRef t = type_expr(condition);
        if (t && !registry_.resolve("bool", {{t}, {std::nullopt}}))
            fail(condition.loc, t->str() + " has no truth value");
    }

    /* ---- expressions ------------------------------------------------------------- */

    /* The value of an integer known at compile time (literals, negated literals, global constants). */
    std::optional<std::int64_t> literal_int(const Expr &e) const { return literal_int_of(e, fn_); }

    TypeRef type_expr(Expr &e) {
        TypeRef t;
        try {
            t = compute_type(e);
        } catch (const TypingFailure &failure) {
            fail(e.loc, failure.what());
        }
        e.type = t;
        return t;
    }

    /* Types all operands; nullptr when one is still unknown (only before the strict pass). */
    bool type_operands(Expr &e, std::size_t first, CallArgs &args) {
        bool known = true;
        for (std::size_t i = first; i < e.operands.size(); ++i) {
            TypeRef t = type_expr(*e.operands[i]);
            args.types.push_back(t);
            args.literal_ints.push_back(literal_int(*e.operands[i]));
            known = known && t;
        }
        return known;
    }

    TypeRef compute_type(Expr &e) {
        switch (e.kind) {
        case Expr::Kind::Int: return types::int64();
        case Expr::Kind::Float: return types::float64();
        case Expr::Kind::Bool: return types::boolean();
        case Expr::Kind::NoneLit: return types::void_();
        case Expr::Kind::String: fail(e.loc, "string literals are not supported in compiled code");
        case Expr::Kind::Name: return type_name(e);
        case Expr::Kind::BinOp: {
            CallArgs args;
            if (!type_operands(e, 0, args))
                return nullptr;
            auto sig = registry_.resolve(e.text, args);
            if (!sig)
                fail(e.loc, operator_error(e.text, args.types[0], args.types[1]));
            return sig->result;
        }
        case Expr::Kind::UnaryOp: {
            CallArgs args;
            if (!type_operands(e, 0, args))
                return nullptr;
            std::string name = e.text == "not" || e.text == "~" ? e.text : "unary" + e.text;
            auto sig = registry_.resolve(name, args);
            if (!sig)
                fail(e.loc, "bad operand type for unary " + e.text + ": " + args.types[0]->str());
            return sig->result;
        }
        case Expr::Kind::BoolOp: {
            TypeRef result = nullptr;
            bool known = true;
            for (auto &operand : e.operands) {
                type_condition(*operand);
                TypeRef t = operand->type;
                if (!t) {
                    known = false;
                    continue;
                }
                TypeRef merged = result ? types::unify(result, t) : t;
                if (!merged)
                    fail(operand->loc, "the operands of '" + e.text + "' have incompatible types " + result->str() +
                                           " and " + t->str());
                result = merged;
            }
            return known ? result : nullptr;
        }
        case Expr::Kind::Compare: {
            bool known = true;
            for (auto &operand : e.operands)
                known = type_expr(*operand) && known;
            if (!known)
                return nullptr;
            for (std::size_t i = 0; i < e.compare_ops.size(); ++i) {
                TypeRef l = e.operands[i]->type, r = e.operands[i + 1]->type;
                if (!registry_.resolve(e.compare_ops[i], {{l, r}, {std::nullopt, std::nullopt}}))
                    fail(e.operands[i]->loc, operator_error(e.compare_ops[i], l, r));
            }
            return types::boolean();
        }
        case Expr::Kind::IfExp: {
            type_condition(*e.operands[0]);
            TypeRef a = type_expr(*e.operands[1]);
            TypeRef b = type_expr(*e.operands[2]);
            if (!a || !b)
                return nullptr;
            TypeRef merged = types::unify(a, b);
            if (!merged)
                fail(e.loc, "the branches of the conditional expression have incompatible types " + a->str() +
                                " and " + b->str());
            return merged;
        }
        case Expr::Kind::Call: return type_call(e);
        case Expr::Kind::Attribute: {
            TypeRef object = type_expr(*e.operands[0]);
            if (!object)
                return nullptr;
            auto sig = registry_.resolve("." + e.text, {{object}, {std::nullopt}});
            if (!sig) {
                if (object->kind == Kind::Module)
                    fail(e.loc, object->name + "." + e.text + " is not supported in compiled code");
                fail(e.loc, object->str() + " has no attribute '" + e.text + "'");
            }
            return sig->result;
        }
        case Expr::Kind::Subscript: {
            CallArgs args;
            if (!type_operands(e, 0, args))
                return nullptr;
            auto sig = registry_.resolve("getitem", args);
            if (!sig)
                fail(e.loc, "cannot index " + args.types[0]->str() + " with " + args.types[1]->str());
            return sig->result;
        }
        case Expr::Kind::Tuple: {
            CallArgs args;
            if (!type_operands(e, 0, args))
                return nullptr;
            for (std::size_t i = 0; i < args.types.size(); ++i)
                if (args.types[i]->is_compile_time_only())
                    fail(e.operands[i]->loc, "a tuple cannot hold " + args.types[i]->str());
            return types::tuple(args.types);
        }
        }
        return nullptr;
    }

    TypeRef type_name(const Expr &e) {
        if (locals_.count(e.text)) {
            auto it = fn_.variables.find(e.text);
            if (it != fn_.variables.end() && it->second)
                return it->second;
            if (strict_)
                fail(e.loc, "local variable '" + e.text + "' is used before it is assigned");
            return nullptr;
        }
        auto g = fn_.globals.find(e.text);
        if (g != fn_.globals.end())
            return type_of_global(g->second, e);
        if (registry_.knows(e.text))
            return types::function(e.text);
        static const std::set<std::string> python_builtins = {
            "print", "sum", "enumerate", "zip", "list", "dict", "set", "tuple", "str", "isinstance", "sorted",
            "reversed", "map", "filter", "any", "all", "divmod", "hasattr", "getattr", "type", "id", "input",
            "open", "iter", "next", "repr", "chr", "ord", "hex", "complex", "super", "object", "Exception"};
        if (python_builtins.count(e.text))
            fail(e.loc, "the Python builtin '" + e.text + "' is not supported in compiled code");
        fail(e.loc, "name '" + e.text + "' is not defined");
    }

    TypeRef type_of_global(const GlobalValue &g, const Expr &e) const {
        switch (g.kind) {
        case GlobalValue::Kind::Constant: return g.type ? g.type : type_of_constant(g.constant);
        case GlobalValue::Kind::Module: return types::module(g.name);
        case GlobalValue::Kind::Function: return types::function(g.name);
        case GlobalValue::Kind::DType: {
            TypeRef scalar = g.type ? g.type : types::scalar_by_name(g.name);
            if (!scalar)
                fail(e.loc, "'" + e.text + "' is the type " + g.name + ", which compiled code does not support");
            return types::dtype(scalar);
        }
        case GlobalValue::Kind::External: return types::external(g.name, g.signature, g.address);
        case GlobalValue::Kind::Jitable: return types::jitable(g.jitable);
        case GlobalValue::Kind::Self:   // address 0: the function being compiled
            return types::external(fn_.def->name, fn_.signature, 0);
        case GlobalValue::Kind::Unusable:
            fail(e.loc, "global '" + e.text + "' is " + g.name + ", which compiled code cannot use (globals are read "
                        "as int, float, bool or tuple constants, math/numpy modules, dtypes or other cfuncs)");
        }
        return nullptr;
    }

    TypeRef type_call(Expr &e) {
        TypeRef callee = type_expr(*e.operands[0]);
        if (!callee)
            return nullptr;
        std::string name;
        CallArgs args;
        if (callee->kind == Kind::Function) {
            name = callee->name;
        } else if (callee->kind == Kind::External || callee->kind == Kind::DType || callee->kind == Kind::Jitable ||
                   callee->kind == Kind::Method) {
            name = "call";
            args.types.push_back(callee);
            args.literal_ints.push_back(std::nullopt);
        } else if (callee->kind == Kind::Module) {
            fail(e.loc, "module '" + callee->name + "' is not callable");
        } else {
            fail(e.loc, "'" + callee->str() + "' object is not callable");
        }
        place_keywords(e, name);
        if (!type_operands(e, 1, args))
            return nullptr;
        auto sig = registry_.resolve(name, args);
        if (!sig) {
            std::string shown;
            for (std::size_t i = callee->kind == Kind::Function ? 0 : 1; i < args.types.size(); ++i)
                shown += (shown.empty() ? "" : ", ") + args.types[i]->str();
            std::string what = callee->kind == Kind::Function ? name + "()" : callee->str();
            /* A function known by name with no typer at all: an overload registered where the
               snapshot was taken (another process, for a pickle) but not here. */
            if (callee->kind == Kind::Function && !registry_.knows(name))
                fail(e.loc, "cannot call " + what + ": no implementation of it is registered in this process "
                            "(by nativecall.extending.overload or register_type: import the module that registers it)");
            fail(e.loc, "cannot call " + what + " with arguments (" + shown + ")");
        }
        return sig->result;
    }

    /* An inlined function's result: what all its returns unify to. */
    void infer_return(const Stmt &stmt) {
        bool bare = !stmt.value || stmt.value->kind == Expr::Kind::NoneLit;
        TypeRef value = bare ? types::void_() : type_expr(*stmt.value);
        if (!value)
            return;
        if (!bare && value->kind == Kind::Void)
            fail(stmt.value->loc, "cannot return the result of a void call");
        TypeRef merged = fn_.result ? types::unify(fn_.result, value) : value;
        if (!merged)
            fail(stmt.loc, "'" + fn_.def->name + "' returns both " + fn_.result->str() + " and " + value->str());
        if (merged != fn_.result) {
            fn_.result = merged;
            changed_ = true;
        }
    }

    /* Moves keyword arguments to their positions, using the parameter names the
       function was registered with. */
    void place_keywords(Expr &call, const std::string &name) {
        if (call.keywords.empty())
            return;
        const std::vector<std::string> *params = registry_.parameter_names(name);
        if (!params)
            fail(call.keywords.front().second->loc, name + "() does not take keyword arguments");
        std::vector<ExprPtr> placed(params->size());
        std::size_t positional = call.operands.size() - 1;
        if (positional > params->size())
            fail(call.loc, name + "() takes at most " + std::to_string(params->size()) + " arguments");
        for (std::size_t i = 0; i < positional; ++i)
            placed[i] = std::move(call.operands[i + 1]);
        for (auto &[key, value] : call.keywords) {
            auto it = std::find(params->begin(), params->end(), key);
            if (it == params->end())
                fail(value->loc, name + "() got an unexpected keyword argument '" + key + "'");
            std::size_t index = static_cast<std::size_t>(it - params->begin());
            if (placed[index])
                fail(value->loc, name + "() got multiple values for argument '" + key + "'");
            placed[index] = std::move(value);
        }
        call.keywords.clear();
        call.operands.resize(1);
        std::size_t last = placed.size();
        while (last > 0 && !placed[last - 1])
            --last;
        for (std::size_t i = 0; i < last; ++i) {
            if (!placed[i])
                fail(call.loc, name + "() missing argument '" + (*params)[i] + "'");
            call.operands.push_back(std::move(placed[i]));
        }
    }

    TypedFunction &fn_;
    const Registry &registry_;
    const SourceFile &file_;
    std::set<std::string> locals_;
    bool changed_ = false;
    bool strict_ = false;
    bool infer_result_ = false;
};

} // namespace

std::optional<std::int64_t> literal_int_of(const Expr &e, const TypedFunction &fn) {
    if (e.kind == Expr::Kind::Int || e.kind == Expr::Kind::Bool)
        return e.int_value;
    /* A global is constant only where no assignment makes the name local. */
    if (e.kind == Expr::Kind::Name && !fn.variables.count(e.text)) {
        auto g = fn.globals.find(e.text);
        if (g != fn.globals.end() && g->second.kind == GlobalValue::Kind::Constant &&
            std::holds_alternative<std::int64_t>(g->second.constant.value))
            return std::get<std::int64_t>(g->second.constant.value);
    }
    return std::nullopt;
}

TypedFunction infer_types(std::shared_ptr<Module> module, const std::string &function_name,
                          const Signature &signature, const Globals &globals, const Registry &registry,
                          const std::vector<TypeRef> &parameter_types, TypeRef result_type) {
    TypedFunction fn;
    fn.def = &select_function(*module, function_name);
    fn.module = std::move(module);
    fn.signature = signature;
    fn.globals = globals;
    Inference(fn, registry).run(parameter_types, result_type);
    return fn;
}

TypedFunction infer_inline(std::shared_ptr<Module> module, const std::string &function_name,
                           const std::vector<TypeRef> &param_types, const Globals &globals,
                           const Registry &registry) {
    TypedFunction fn;
    fn.def = &select_function(*module, function_name);
    fn.module = std::move(module);
    fn.globals = globals;
    Inference(fn, registry).run_inline(param_types);
    return fn;
}

} // namespace nativecall::jit
