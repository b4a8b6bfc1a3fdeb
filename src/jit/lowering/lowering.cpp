// Lowering: walks the typed AST and emits IR; control flow lives here, every operation comes from the registry.
#include <map>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit {
namespace {

class FunctionLowering {
public:
    FunctionLowering(const TypedFunction &fn, ir::Builder &builder, const Registry &registry, bool debug)
        : fn_(fn), b_(builder), registry_(registry), ctx_(registry, builder, debug), file_(*fn.module->source) {
        ctx_.set_return_zero([this] {
            Lowered zero;
            for (ir::Type part : LoweringContext::parts(fn_.result))
                zero.push_back(zero_of(part));
            leave(zero);
        });
    }

    /* An error that returns (raise_and_return_if) leaves the native function, as `outer`'s
       does, not just this inlined body. */
    void return_zero_as(const LoweringContext &outer) {
        if (outer.return_zero())
            ctx_.set_return_zero(outer.return_zero());
    }

    /* Inlined at a call site: parameters come from `args`, each return stores the
       result in stack slots and jumps to one exit block, where lowering continues. */
    Lowered run_inline(const std::vector<Lowered> &args) {
        inline_args_ = &args;
        for (ir::Type part : LoweringContext::parts(fn_.result))
            result_slots_.push_back(b_.local(part));
        exit_ = b_.new_block("inline.exit");
        run();
        b_.set_block(exit_);
        Lowered result;
        auto parts = LoweringContext::parts(fn_.result);
        for (std::size_t i = 0; i < result_slots_.size(); ++i)
            result.push_back(b_.load(parts[i], result_slots_[i]));
        return result;
    }

    void run() {
        for (const auto &[name, type] : fn_.variables) {
            Variable var{type, {}};
            for (ir::Type part : LoweringContext::parts(type)) {
                /* Zero-initialised, so a variable assigned on only some paths reads 0, never garbage. */
                ir::Value slot = b_.local(part);
                b_.store(zero_of(part), slot);
                var.slots.push_back(slot);
            }
            variables_[name] = std::move(var);
        }
        const FunctionDef &def = *fn_.def;
        for (std::size_t i = 0; i < def.params.size(); ++i)
            store_variable(def.params[i],
                           inline_args_ ? (*inline_args_)[i] : Lowered{b_.argument(static_cast<int>(i))},
                           fn_.param_types[i], def.param_locs[i]);
        lower_block(def.body);
        if (b_.block_open()) {
            if (!b_.block_reachable())
                b_.unreachable();
            else if (fn_.result->kind == Kind::Void)
                leave({});
            else
                fail(def.loc, "function '" + def.name + "' can reach its end without returning a value, but its "
                              "signature returns " + fn_.result->str());
        }
    }

private:
    struct Variable {
        TypeRef type;
        std::vector<ir::Value> slots;
    };
    struct Loop {
        ir::BlockRef continue_target, break_target;
    };

    [[noreturn]] void fail(SourceLocation where, const std::string &message) const {
        throw CompileError(file_, where, message);
    }

    /* A return: from the native function, or out of an inlined body. */
    void leave(const Lowered &value) {
        if (!inline_args_) {
            if (value.empty())
                b_.ret_void();
            else
                b_.ret(value.at(0));
            return;
        }
        for (std::size_t i = 0; i < result_slots_.size(); ++i)
            b_.store(value[i], result_slots_[i]);
        b_.jump(exit_);
    }

    ir::Value zero_of(ir::Type type) {
        switch (type) {
        case ir::Type::F32:
        case ir::Type::F64: return b_.constant_float(type, 0.0);
        case ir::Type::Ptr: return b_.null_pointer();
        default: return b_.constant_int(type, 0);
        }
    }

    /* ---- registry access ------------------------------------------------------------ */

    /* Types `name` on the given operands again (typing recorded only result types), converts
       the operands to the signature's argument types and runs the registered lowering. */
    Lowered apply(const std::string &name, const std::vector<TypeRef> &types, std::vector<Lowered> args,
                  const std::vector<std::optional<std::int64_t>> &literals, SourceLocation where,
                  TypeRef *result = nullptr, const std::string &attribute = {}) {
        try {
            CallArgs call_args{types, literals};
            call_args.attribute = attribute;
            auto sig = registry_.resolve(name, call_args);
            if (!sig)
                fail(where, "internal: '" + name + "' did not type during lowering");
            if (result)
                *result = sig->result;
            if (sig->result->is_compile_time_only() && sig->result->kind != Kind::Void)
                return {};
            for (std::size_t i = 0; i < args.size(); ++i)
                args[i] = ctx_.cast(args[i], types[i], sig->args[i]);
            const Lowerer *lowerer = registry_.lowering_for(name, *sig);
            if (!lowerer)
                fail(where, "no implementation of '" + name + "' for these types");
            return (*lowerer)(ctx_, *sig, args);
        } catch (const TypingFailure &failure) {
            fail(where, failure.what());
        }
    }

    Lowered convert(const Lowered &value, TypeRef from, TypeRef to, SourceLocation where) {
        try {
            return ctx_.cast(value, from, to);
        } catch (const TypingFailure &failure) {
            fail(where, failure.what());
        }
    }

    ir::Value truth(const Expr &e) {
        Lowered v = lower_expr(e);
        return apply("bool", {e.type}, {v}, {std::nullopt}, e.loc).at(0);
    }

    /* ---- variables ------------------------------------------------------------------ */

    void store_variable(const std::string &name, const Lowered &value, TypeRef type, SourceLocation where) {
        Variable &var = variables_.at(name);
        Lowered converted = convert(value, type, var.type, where);
        for (std::size_t i = 0; i < var.slots.size(); ++i)
            b_.store(converted[i], var.slots[i]);
    }

    Lowered load_variable(const std::string &name) {
        const Variable &var = variables_.at(name);
        auto parts = LoweringContext::parts(var.type);
        Lowered out;
        for (std::size_t i = 0; i < var.slots.size(); ++i)
            out.push_back(b_.load(parts[i], var.slots[i]));
        return out;
    }

    /* Stack slots for a value that control flow merges (and/or, conditional expressions). */
    std::vector<ir::Value> temporary(TypeRef type) {
        std::vector<ir::Value> slots;
        for (ir::Type part : LoweringContext::parts(type))
            slots.push_back(b_.local(part));
        return slots;
    }
    void store_parts(const std::vector<ir::Value> &slots, const Lowered &value) {
        for (std::size_t i = 0; i < slots.size(); ++i)
            b_.store(value[i], slots[i]);
    }
    Lowered load_parts(const std::vector<ir::Value> &slots, TypeRef type) {
        auto parts = LoweringContext::parts(type);
        Lowered out;
        for (std::size_t i = 0; i < slots.size(); ++i)
            out.push_back(b_.load(parts[i], slots[i]));
        return out;
    }

    /* ---- statements ------------------------------------------------------------------ */

    void lower_block(const Block &block) {
        for (const auto &stmt : block) {
            if (!b_.block_open())
                b_.set_block(b_.new_block("dead"));   // code after return/break: emitted, never run
            lower_statement(*stmt);
        }
    }

    void lower_statement(const Stmt &stmt) {
        switch (stmt.kind) {
        case Stmt::Kind::Assign: {
            Lowered value = lower_expr(*stmt.value);
            for (const auto &target : stmt.targets)
                assign(*target, value, stmt.value->type, stmt.loc);
            break;
        }
        case Stmt::Kind::AugAssign: lower_aug_assign(stmt); break;
        case Stmt::Kind::ExprStmt:
            if (stmt.value->kind != Expr::Kind::String)
                lower_expr(*stmt.value);
            break;
        case Stmt::Kind::If: {
            ir::BlockRef then_block = b_.new_block("if.then");
            ir::BlockRef else_block = b_.new_block("if.else");
            ir::BlockRef end = b_.new_block("if.end");
            b_.branch(truth(*stmt.value), then_block, else_block);
            b_.set_block(then_block);
            lower_block(stmt.body);
            if (b_.block_open())
                b_.jump(end);
            b_.set_block(else_block);
            lower_block(stmt.orelse);
            if (b_.block_open())
                b_.jump(end);
            b_.set_block(end);
            break;
        }
        case Stmt::Kind::While: {
            ir::BlockRef header = b_.new_block("while.cond");
            ir::BlockRef body = b_.new_block("while.body");
            ir::BlockRef end = b_.new_block("while.end");
            b_.jump(header);
            b_.set_block(header);
            b_.branch(truth(*stmt.value), body, end);
            b_.set_block(body);
            loops_.push_back({header, end});
            lower_block(stmt.body);
            loops_.pop_back();
            if (b_.block_open())
                b_.jump(header);
            b_.set_block(end);
            break;
        }
        case Stmt::Kind::For: lower_for(stmt); break;
        case Stmt::Kind::Return:
            if (fn_.result->kind == Kind::Void) {
                leave({});
            } else {
                Lowered value = lower_expr(*stmt.value);
                leave(convert(value, stmt.value->type, fn_.result, stmt.value->loc));
            }
            break;
        case Stmt::Kind::Break: b_.jump(loops_.back().break_target); break;
        case Stmt::Kind::Continue: b_.jump(loops_.back().continue_target); break;
        case Stmt::Kind::Pass: break;
        }
    }

    /* The iteration protocol: state = iter(x); while iter.valid(state): target = iter.next(state);
       state = iter.advance(state); body. The state lives in its own slots, so assigning
       the loop variable inside the body does not disturb the iteration (as in Python). */
    void lower_for(const Stmt &stmt) {
        const Expr &iterable = *stmt.value;
        Lowered source = lower_expr(iterable);
        TypeRef state_type = nullptr;
        Lowered state = apply("iter", {iterable.type}, {source}, {std::nullopt}, iterable.loc, &state_type);
        std::vector<ir::Value> slots = temporary(state_type);
        store_parts(slots, state);

        ir::BlockRef header = b_.new_block("for.cond");
        ir::BlockRef body = b_.new_block("for.body");
        ir::BlockRef end = b_.new_block("for.end");
        b_.jump(header);
        b_.set_block(header);
        Lowered current = load_parts(slots, state_type);
        b_.branch(apply("iter.valid", {state_type}, {current}, {std::nullopt}, iterable.loc).at(0), body, end);
        b_.set_block(body);
        TypeRef element = nullptr;
        Lowered value = apply("iter.next", {state_type}, {current}, {std::nullopt}, iterable.loc, &element);
        store_parts(slots, apply("iter.advance", {state_type}, {current}, {std::nullopt}, iterable.loc));
        assign(*stmt.targets[0], value, element, stmt.loc);
        loops_.push_back({header, end});
        lower_block(stmt.body);
        loops_.pop_back();
        if (b_.block_open())
            b_.jump(header);
        b_.set_block(end);
    }

    void lower_aug_assign(const Stmt &stmt) {
        Expr &target = *stmt.targets[0];
        if (target.kind == Expr::Kind::Name) {
            Lowered current = load_variable(target.text);
            Lowered value = lower_expr(*stmt.value);
            TypeRef result = nullptr;
            Lowered updated = apply(stmt.text, {variables_.at(target.text).type, stmt.value->type}, {current, value},
                                    {std::nullopt, std::nullopt}, stmt.loc, &result);
            store_variable(target.text, updated, result, stmt.loc);
            return;
        }
        if (target.kind == Expr::Kind::Attribute) {   /* r.x += v evaluates r once. */
            const Expr &object = *target.operands[0];
            Lowered obj = lower_expr(object);
            TypeRef field_type = nullptr;
            Lowered field = apply("." + target.text, {object.type}, {obj}, {std::nullopt}, target.loc, &field_type);
            Lowered value = lower_expr(*stmt.value);
            TypeRef result = nullptr;
            Lowered updated = apply(stmt.text, {field_type, stmt.value->type}, {field, value},
                                    {std::nullopt, std::nullopt}, stmt.loc, &result);
            apply("setattr", {object.type, result}, {obj, updated}, {std::nullopt, std::nullopt}, target.loc, nullptr,
                  target.text);
            return;
        }
        /* a[i] += v evaluates a and i once. */
        const Expr &object = *target.operands[0];
        const Expr &index = *target.operands[1];
        Lowered obj = lower_expr(object);
        Lowered idx = lower_expr(index);
        auto literal = literal_int_of(index, fn_);
        TypeRef item_type = nullptr;
        Lowered item = apply("getitem", {object.type, index.type}, {obj, idx}, {std::nullopt, literal}, target.loc, &item_type);
        Lowered value = lower_expr(*stmt.value);
        TypeRef result = nullptr;
        Lowered updated = apply(stmt.text, {item_type, stmt.value->type}, {item, value}, {std::nullopt, std::nullopt},
                                stmt.loc, &result);
        apply("setitem", {object.type, index.type, result}, {obj, idx, updated}, {std::nullopt, literal, std::nullopt},
              target.loc);
    }

    void assign(const Expr &target, const Lowered &value, TypeRef type, SourceLocation where) {
        switch (target.kind) {
        case Expr::Kind::Name: store_variable(target.text, value, type, where); return;
        case Expr::Kind::Subscript: {
            const Expr &object = *target.operands[0];
            const Expr &index = *target.operands[1];
            Lowered obj = lower_expr(object);
            Lowered idx = lower_expr(index);
            apply("setitem", {object.type, index.type, type}, {obj, idx, value},
                  {std::nullopt, literal_int_of(index, fn_), std::nullopt}, target.loc);
            return;
        }
        case Expr::Kind::Attribute: {
            const Expr &object = *target.operands[0];
            apply("setattr", {object.type, type}, {lower_expr(object), value}, {std::nullopt, std::nullopt}, target.loc,
                  nullptr, target.text);
            return;
        }
        case Expr::Kind::Tuple: {
            std::size_t offset = 0;
            for (std::size_t i = 0; i < target.operands.size(); ++i) {
                TypeRef member = type->members[i];
                std::size_t n = LoweringContext::parts(member).size();
                assign(*target.operands[i], Lowered(value.begin() + offset, value.begin() + offset + n), member, where);
                offset += n;
            }
            return;
        }
        default: fail(target.loc, "cannot assign to this expression");
        }
    }

    /* ---- expressions ---------------------------------------------------------------- */

    Lowered lower_expr(const Expr &e) {
        switch (e.kind) {
        case Expr::Kind::Int: return constant(e, ConstantValue{e.int_value});
        case Expr::Kind::Float: return constant(e, ConstantValue{e.float_value});
        case Expr::Kind::Bool: return constant(e, ConstantValue{e.int_value != 0});
        case Expr::Kind::NoneLit: return {};
        case Expr::Kind::String: fail(e.loc, "string literals are not supported in compiled code");
        case Expr::Kind::Name: return lower_name(e);
        case Expr::Kind::BinOp:
            return apply(e.text, {e.operands[0]->type, e.operands[1]->type},
                         {lower_expr(*e.operands[0]), lower_expr(*e.operands[1])}, {std::nullopt, std::nullopt}, e.loc);
        case Expr::Kind::UnaryOp: {
            std::string name = e.text == "not" || e.text == "~" ? e.text : "unary" + e.text;
            return apply(name, {e.operands[0]->type}, {lower_expr(*e.operands[0])}, {std::nullopt}, e.loc);
        }
        case Expr::Kind::BoolOp: return lower_bool_op(e);
        case Expr::Kind::Compare: return lower_compare(e);
        case Expr::Kind::IfExp: {
            std::vector<ir::Value> slots = temporary(e.type);
            ir::BlockRef then_block = b_.new_block("ifexp.then");
            ir::BlockRef else_block = b_.new_block("ifexp.else");
            ir::BlockRef end = b_.new_block("ifexp.end");
            b_.branch(truth(*e.operands[0]), then_block, else_block);
            for (int arm = 1; arm <= 2; ++arm) {
                b_.set_block(arm == 1 ? then_block : else_block);
                const Expr &value = *e.operands[static_cast<std::size_t>(arm)];
                store_parts(slots, convert(lower_expr(value), value.type, e.type, value.loc));
                b_.jump(end);
            }
            b_.set_block(end);
            return load_parts(slots, e.type);
        }
        case Expr::Kind::Call: return lower_call(e);
        case Expr::Kind::Attribute:
            return apply("." + e.text, {e.operands[0]->type}, {lower_expr(*e.operands[0])}, {std::nullopt}, e.loc);
        case Expr::Kind::Subscript:
            return apply("getitem", {e.operands[0]->type, e.operands[1]->type},
                         {lower_expr(*e.operands[0]), lower_expr(*e.operands[1])},
                         {std::nullopt, literal_int_of(*e.operands[1], fn_)}, e.loc);
        case Expr::Kind::Tuple: {
            Lowered out;
            for (const auto &m : e.operands) {
                Lowered v = lower_expr(*m);
                out.insert(out.end(), v.begin(), v.end());
            }
            return out;
        }
        }
        fail(e.loc, "internal: unknown expression");
    }

    Lowered constant(const Expr &e, const ConstantValue &value) {
        try {
            return ctx_.constant(e.type, value);
        } catch (const TypingFailure &failure) {
            fail(e.loc, failure.what());
        }
    }

    Lowered lower_name(const Expr &e) {
        if (variables_.count(e.text))
            return load_variable(e.text);
        auto g = fn_.globals.find(e.text);
        if (g != fn_.globals.end() && g->second.kind == GlobalValue::Kind::Constant)
            return constant(e, g->second.constant);
        return {};   // modules, functions, dtypes: known at compile time, nothing to emit
    }

    Lowered lower_call(const Expr &e) {
        const Expr &callee = *e.operands[0];
        std::vector<TypeRef> types;
        std::vector<Lowered> args;
        std::vector<std::optional<std::int64_t>> literals;
        std::string name;
        if (callee.type->kind == Kind::Function) {
            name = callee.type->name;
        } else {
            name = "call";
            types.push_back(callee.type);
            args.push_back(lower_expr(callee));
            literals.push_back(std::nullopt);
        }
        for (std::size_t i = 1; i < e.operands.size(); ++i) {
            types.push_back(e.operands[i]->type);
            args.push_back(lower_expr(*e.operands[i]));
            literals.push_back(literal_int_of(*e.operands[i], fn_));
        }
        return apply(name, types, std::move(args), literals, e.loc);
    }

    /* `a and b` yields a if a is false, else b (Python returns the operand, converted here
       to the operands' common type); b is evaluated only when needed. */
    Lowered lower_bool_op(const Expr &e) {
        bool is_and = e.text == "and";
        std::vector<ir::Value> slots = temporary(e.type);
        ir::BlockRef end = b_.new_block("boolop.end");
        for (std::size_t i = 0; i < e.operands.size(); ++i) {
            const Expr &operand = *e.operands[i];
            Lowered value = lower_expr(operand);
            store_parts(slots, convert(value, operand.type, e.type, operand.loc));
            if (i + 1 == e.operands.size()) {
                b_.jump(end);
                break;
            }
            ir::Value t = apply("bool", {operand.type}, {value}, {std::nullopt}, operand.loc).at(0);
            ir::BlockRef next = b_.new_block("boolop.next");
            if (is_and)
                b_.branch(t, next, end);
            else
                b_.branch(t, end, next);
            b_.set_block(next);
        }
        b_.set_block(end);
        return load_parts(slots, e.type);
    }

    /* a < b < c is (a < b) and (b < c) with b evaluated once. */
    Lowered lower_compare(const Expr &e) {
        Lowered left = lower_expr(*e.operands[0]);
        if (e.compare_ops.size() == 1)
            return apply(e.compare_ops[0], {e.operands[0]->type, e.operands[1]->type}, {left, lower_expr(*e.operands[1])},
                         {std::nullopt, std::nullopt}, e.loc);
        ir::Value result_slot = b_.local(ir::Type::I1);
        ir::BlockRef end = b_.new_block("compare.end");
        for (std::size_t i = 0; i < e.compare_ops.size(); ++i) {
            Lowered right = lower_expr(*e.operands[i + 1]);
            ir::Value r = apply(e.compare_ops[i], {e.operands[i]->type, e.operands[i + 1]->type}, {left, right},
                                {std::nullopt, std::nullopt}, e.operands[i]->loc).at(0);
            b_.store(r, result_slot);
            if (i + 1 == e.compare_ops.size()) {
                b_.jump(end);
                break;
            }
            ir::BlockRef next = b_.new_block("compare.next");
            b_.branch(r, next, end);
            b_.set_block(next);
            left = right;
        }
        b_.set_block(end);
        return {b_.load(ir::Type::I1, result_slot)};
    }

    const TypedFunction &fn_;
    ir::Builder &b_;
    const Registry &registry_;
    LoweringContext ctx_;
    const SourceFile &file_;
    std::map<std::string, Variable> variables_;
    std::vector<Loop> loops_;
    const std::vector<Lowered> *inline_args_ = nullptr;   // set when inlined at a call site
    std::vector<ir::Value> result_slots_;
    ir::BlockRef exit_;
};

} // namespace

void lower_function(const TypedFunction &function, ir::Builder &builder, const Registry &registry, bool debug) {
    FunctionLowering(function, builder, registry, debug).run();
}

Lowered lower_inline(const TypedFunction &function, LoweringContext &ctx, const std::vector<Lowered> &args) {
    FunctionLowering inlined(function, ctx.b(), ctx.registry(), ctx.debug());
    inlined.return_zero_as(ctx);
    return inlined.run_inline(args);
}

} // namespace nativecall::jit
