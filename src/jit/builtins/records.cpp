// Record fields: r.field reads, r.field = v writes, nested records and inline arrays as views, whole-record copies.
#include <algorithm>

#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

/* "struct my_struct" when the record has a name, its numba spelling otherwise. */
std::string label(TypeRef record) { return record->name.empty() ? record->str() : record->name; }

/* The field `name` of `record`, or a TypingFailure that lists the fields there are. */
const RecordField &field_of(TypeRef record, const std::string &name) {
    if (const RecordField *f = record->field(name))
        return *f;
    std::string known;
    for (const RecordField &f : record->fields)
        known += (known.empty() ? "" : ", ") + f.name;
    throw TypingFailure(label(record) + " has no field '" + name + "' (its fields: " + known + ")");
}

/* What reading the field gives: the member's value, or a C-order view of an inline array. */
TypeRef field_value_type(const RecordField &f) {
    if (f.shape.empty())
        return f.type;
    return types::array(f.type, static_cast<int>(f.shape.size()), 'C');
}

ir::Value field_address(LoweringContext &ctx, ir::Value record, const RecordField &f) {
    ir::Value offset = ctx.b().constant_int(ir::Type::I64, static_cast<std::int64_t>(f.offset));
    return ctx.b().element_pointer(ir::Type::I8, record, offset);
}

void register_field_access(Registry &registry) {
    registry.add_typer("getattr", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 1 || args.types[0]->kind != Kind::Record)
            return std::nullopt;
        return signature(field_value_type(field_of(args.types[0], args.attribute)), {args.types[0]});
    });
    registry.add_lowering("getattr", {TypePattern::of(Kind::Record)},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
        const RecordField &f = field_of(sig.args[0], sig.attribute);
        ir::Value address = field_address(ctx, a[0][0], f);
        if (f.shape.empty())
            return load_element(ctx, f.type, address);
        Lowered view{address};   // an array view: data pointer, then the extents
        for (std::int64_t extent : f.shape)
            view.push_back(ctx.b().constant_int(ir::Type::I64, extent));
        return view;
    });

    registry.add_typer("setattr", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.size() != 2 || args.types[0]->kind != Kind::Record)
            return std::nullopt;
        TypeRef record = args.types[0], value = args.types[1];
        const RecordField &f = field_of(record, args.attribute);
        std::string where = "field '" + f.name + "' of " + label(record);
        if (!f.shape.empty())
            throw TypingFailure("cannot assign to the whole array " + where + "; assign its elements (r." + f.name +
                                "[i] = v)");
        bool ok = f.type->kind == Kind::Pointer ? value == f.type : storable(value, f.type);
        if (!ok)
            throw TypingFailure("cannot assign " + value->str() + " to " + where + ", which holds " + f.type->str());
        return signature(types::void_(), {record, f.type});
    });
    registry.add_lowering("setattr", {TypePattern::of(Kind::Record), TypePattern::any()},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
        const RecordField &f = field_of(sig.args[0], sig.attribute);
        store_element(ctx, f.type, a[1], field_address(ctx, a[0][0], f));
        return {};
    });
}

} // namespace

namespace builtins {
void copy_record(LoweringContext &ctx, TypeRef record, ir::Value target, ir::Value source) {
    /* In units of the record's alignment (at most 8 bytes), which divides its size; the
       padding is copied too, as a C struct assignment may. */
    ir::Builder &b = ctx.b();
    std::size_t unit = std::min<std::size_t>(record->align, 8);
    ir::Type type = unit == 8 ? ir::Type::I64 : unit == 4 ? ir::Type::I32 : unit == 2 ? ir::Type::I16 : ir::Type::I8;
    auto count = static_cast<std::int64_t>(record->size / unit);
    if (count <= 16) {   // small records: straight-line loads and stores
        for (std::int64_t i = 0; i < count; ++i) {
            ir::Value index = b.constant_int(ir::Type::I64, i);
            b.store(b.load(type, b.element_pointer(type, source, index)), b.element_pointer(type, target, index));
        }
        return;
    }
    ir::Value position = b.local(ir::Type::I64);
    b.store(b.constant_int(ir::Type::I64, 0), position);
    ir::BlockRef head = b.new_block("copy.head"), body = b.new_block("copy.body"), done = b.new_block("copy.done");
    b.jump(head);
    b.set_block(head);
    ir::Value i = b.load(ir::Type::I64, position);
    b.branch(b.compare(ir::Predicate::SLT, i, b.constant_int(ir::Type::I64, count)), body, done);
    b.set_block(body);
    b.store(b.load(type, b.element_pointer(type, source, i)), b.element_pointer(type, target, i));
    b.store(b.binary(ir::BinaryOp::Add, i, b.constant_int(ir::Type::I64, 1)), position);
    b.jump(head);
    b.set_block(done);
}
} // namespace builtins

void register_records(Registry &registry) { register_field_access(registry); }

} // namespace nativecall::jit
