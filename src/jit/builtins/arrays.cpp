// Pointers and array views: p[i], carray/farray(ptr, shape, dtype), indexing, .shape/.ndim/.size, len, iteration, .sum().
#include "support.h"

namespace nativecall::jit {
namespace {
using namespace builtins;

bool is_int_tuple(TypeRef t) {
    if (t->kind != Kind::Tuple)
        return false;
    for (TypeRef m : t->members)
        if (!is_integral(m))
            return false;
    return true;
}

/* The indices an index value carries: one for an int, one per member for a tuple. */
std::vector<ir::Value> index_values(LoweringContext &ctx, TypeRef index_type, const Lowered &index) {
    if (index_type->kind != Kind::Tuple)
        return {ctx.cast_scalar(index.at(0), index_type, types::int64())};
    std::vector<ir::Value> out;
    for (std::size_t i = 0; i < index_type->members.size(); ++i)
        out.push_back(ctx.cast_scalar(index[i], index_type->members[i], types::int64()));
    return out;
}

/* Address of array[indices...] (or of the first element of the sub-array they select).
   Negative indices count from the end; debug mode checks bounds and, on failure,
   records IndexError and reads element 0 of the view instead. */
ir::Value element_address(LoweringContext &ctx, TypeRef array, const Lowered &view, std::vector<ir::Value> indices) {
    ir::Builder &b = ctx.b();
    ir::Value zero = b.constant_int(ir::Type::I64, 0);
    for (std::size_t d = 0; d < indices.size(); ++d) {
        ir::Value extent = view[1 + d];
        ir::Value negative = b.compare(ir::Predicate::SLT, indices[d], zero);
        indices[d] = b.select(negative, b.binary(ir::BinaryOp::Add, indices[d], extent), indices[d]);
        if (ctx.debug()) {
            ir::Value outside = b.compare(ir::Predicate::UGE, indices[d], extent);
            ctx.raise_if(outside, static_cast<int>(RuntimeErrorCode::IndexOutOfBounds));
            indices[d] = b.select(outside, zero, indices[d]);
        }
    }
    auto ndim = static_cast<std::size_t>(array->ndim);
    ir::Value offset = zero;
    if (array->layout == 'C') {
        for (std::size_t d = 0; d < ndim; ++d) {
            offset = b.binary(ir::BinaryOp::Mul, offset, view[1 + d]);
            if (d < indices.size())
                offset = b.binary(ir::BinaryOp::Add, offset, indices[d]);
        }
    } else {
        for (std::size_t d = ndim; d-- > 0;)
            offset = b.binary(ir::BinaryOp::Add, b.binary(ir::BinaryOp::Mul, offset, view[1 + d]), indices[d]);
    }
    return element_pointer(ctx, array->element, view[0], offset);
}

/* What array[index] gives: an element, or a C-order sub-array for a partial index. */
TypeRef array_item_type(TypeRef array, TypeRef index) {
    std::size_t count = index->kind == Kind::Tuple ? index->members.size() : 1;
    if (count > static_cast<std::size_t>(array->ndim))
        throw TypingFailure("too many indices for " + array->str() + ": " + std::to_string(count) + " given");
    if (count == static_cast<std::size_t>(array->ndim))
        return array->element;
    if (array->layout != 'C')
        throw TypingFailure("index every dimension of a Fortran-order array (" + array->str() + ")");
    return types::array(array->element, array->ndim - static_cast<int>(count), 'C');
}

void register_pointer_indexing(Registry &registry) {
    define(registry, "getitem",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 2 || args.types[0]->kind != Kind::Pointer || !is_integral(args.types[1]))
                   return std::nullopt;
               if (args.types[0]->element->kind == Kind::Void)
                   throw TypingFailure("cannot index a voidptr; view it with carray(ptr, shape, dtype=...)");
               return signature(args.types[0]->element, {args.types[0], types::int64()});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               TypeRef element = sig.result;
               return load_element(ctx, element, element_pointer(ctx, element, a[0][0], a[1][0]));
           },
           TypePattern::of(Kind::Pointer));
    define(registry, "setitem",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 3 || args.types[0]->kind != Kind::Pointer || !is_integral(args.types[1]))
                   return std::nullopt;
               TypeRef element = args.types[0]->element;
               if (element->kind == Kind::Void)
                   throw TypingFailure("cannot store through a voidptr; view it with carray(ptr, shape, dtype=...)");
               if (!storable(args.types[2], element))
                   return std::nullopt;
               return signature(types::void_(), {args.types[0], types::int64(), element});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               TypeRef element = sig.args[2];
               store_element(ctx, element, a[2], element_pointer(ctx, element, a[0][0], a[1][0]));
               return {};
           },
           TypePattern::of(Kind::Pointer));
}

void register_views(Registry &registry) {
    for (char layout : {'C', 'F'}) {
        std::string name = layout == 'C' ? "carray" : "farray";
        registry.add_parameter_names(name, {"ptr", "shape", "dtype"});
        define(registry, name,
               [layout, name](const CallArgs &args) -> std::optional<CallSignature> {
                   if (args.types.size() < 2 || args.types.size() > 3)
                       throw TypingFailure(name + "() takes (ptr, shape, dtype=None)");
                   TypeRef ptr = args.types[0], shape = args.types[1];
                   if (ptr->kind != Kind::Pointer)
                       throw TypingFailure(name + "() needs a pointer as its first argument, not " + ptr->str());
                   TypeRef dtype = ptr->element;
                   if (args.types.size() == 3) {
                       if (args.types[2]->kind != Kind::DType)
                           throw TypingFailure(name + "() dtype must be a scalar type (float64, np.int32, ...) or a "
                                                      "struct Record, not " + args.types[2]->str());
                       TypeRef given = args.types[2]->element;
                       if (dtype->kind != Kind::Void && given != dtype)
                           throw TypingFailure(name + "(): dtype " + given->str() + " does not match the pointer's " +
                                               ptr->str());
                       dtype = given;
                   }
                   if (dtype->kind == Kind::Void)
                       throw TypingFailure(name + "() over a voidptr needs dtype=... to say what it points to");
                   std::vector<TypeRef> sig_args{ptr};
                   int ndim;
                   if (is_integral(shape)) {
                       ndim = 1;
                       sig_args.push_back(types::int64());
                   } else if (is_int_tuple(shape) && !shape->members.empty()) {
                       ndim = static_cast<int>(shape->members.size());
                       sig_args.push_back(types::tuple(std::vector<TypeRef>(shape->members.size(), types::int64())));
                   } else {
                       throw TypingFailure(name + "() shape must be an integer or a tuple of integers, not " + shape->str());
                   }
                   if (args.types.size() == 3)
                       sig_args.push_back(args.types[2]);
                   return signature(types::array(dtype, ndim, layout), sig_args);
               },
               [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
                   /* A view over NULL (user_data not given) would crash at its first access:
                      record a ValueError and return 0 instead, the one check per view. A view
                      with a zero extent has no element to access, so NULL is fine there (numba's too). */
                   ir::Builder &b = ctx.b();
                   ir::Value missing = b.compare(ir::Predicate::EQ, a[0][0], b.null_pointer());
                   for (ir::Value extent : a[1])
                       missing = b.binary(ir::BinaryOp::And, missing,
                                          b.compare(ir::Predicate::NE, extent, b.constant_int(ir::Type::I64, 0)));
                   ctx.raise_and_return_if(missing, static_cast<int>(RuntimeErrorCode::NullView));
                   Lowered view{a[0][0]};
                   view.insert(view.end(), a[1].begin(), a[1].end());
                   return view;
               });
    }
}

void register_array_access(Registry &registry) {
    define(registry, "getitem",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 2 || args.types[0]->kind != Kind::Array)
                   return std::nullopt;
               TypeRef index = args.types[1];
               if (!is_integral(index) && !is_int_tuple(index))
                   throw TypingFailure("arrays are indexed with integers or tuples of integers, not " + index->str());
               return signature(array_item_type(args.types[0], index), {args.types[0], index});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               TypeRef array = sig.args[0];
               ir::Value p = element_address(ctx, array, a[0], index_values(ctx, sig.args[1], a[1]));
               if (sig.result->kind != Kind::Array)
                   return load_element(ctx, sig.result, p);
               Lowered view{p};
               view.insert(view.end(), a[0].end() - sig.result->ndim, a[0].end());
               return view;
           },
           TypePattern::of(Kind::Array));
    define(registry, "setitem",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 3 || args.types[0]->kind != Kind::Array)
                   return std::nullopt;
               TypeRef array = args.types[0], index = args.types[1];
               if (!is_integral(index) && !is_int_tuple(index))
                   throw TypingFailure("arrays are indexed with integers or tuples of integers, not " + index->str());
               if (array_item_type(array, index) != array->element)
                   throw TypingFailure("assigning to a whole sub-array is not supported; index every dimension");
               if (!storable(args.types[2], array->element))
                   return std::nullopt;
               return signature(types::void_(), {array, index, array->element});
           },
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
               ir::Value p = element_address(ctx, sig.args[0], a[0], index_values(ctx, sig.args[1], a[1]));
               store_element(ctx, sig.args[2], a[2], p);
               return {};
           },
           TypePattern::of(Kind::Array));

    auto array_attribute = [](TypeRef (*result)(TypeRef)) {
        return [result](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Array)
                return std::nullopt;
            return signature(result(args.types[0]), {args.types[0]});
        };
    };
    define(registry, ".shape",
           array_attribute([](TypeRef a) { return types::tuple(std::vector<TypeRef>(static_cast<std::size_t>(a->ndim), types::int64())); }),
           [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               return Lowered(a[0].begin() + 1, a[0].end());
           });
    define(registry, ".ndim", array_attribute([](TypeRef) { return types::int64(); }),
           [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &) -> Lowered {
               return {ctx.b().constant_int(ir::Type::I64, sig.args[0]->ndim)};
           });
    define(registry, ".size", array_attribute([](TypeRef) { return types::int64(); }),
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               ir::Value size = ctx.b().constant_int(ir::Type::I64, 1);
               for (std::size_t d = 1; d < a[0].size(); ++d)
                   size = ctx.b().binary(ir::BinaryOp::Mul, size, a[0][d]);
               return {size};
           });
    define(registry, "len", array_attribute([](TypeRef) { return types::int64(); }),
           [](LoweringContext &, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               return {a[0][1]};
           },
           TypePattern::of(Kind::Array));

    /* for v in array: rows of a C array, elements of a 1-d one; state = view + position. */
    define(registry, "iter",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || args.types[0]->kind != Kind::Array)
                   return std::nullopt;
               array_item_type(args.types[0], types::int64());   // rejects F-order row iteration
               return signature(types::iterator(args.types[0]), {args.types[0]});
           },
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               Lowered state = a[0];
               state.push_back(ctx.b().constant_int(ir::Type::I64, 0));
               return state;
           },
           TypePattern::of(Kind::Array));
    auto iterator_over_array = [](TypeRef (*result)(TypeRef)) {
        return [result](const CallArgs &args) -> std::optional<CallSignature> {
            if (args.types.size() != 1 || args.types[0]->kind != Kind::Iterator || args.types[0]->element->kind != Kind::Array)
                return std::nullopt;
            return signature(result(args.types[0]), {args.types[0]});
        };
    };
    define(registry, "iter.valid", iterator_over_array([](TypeRef) { return types::boolean(); }),
           [](LoweringContext &ctx, const CallSignature &, const std::vector<Lowered> &a) -> Lowered {
               return {ctx.b().compare(ir::Predicate::SLT, a[0].back(), a[0][1])};
           },
           TypePattern::iterator_over(Kind::Array));
    define(registry, "iter.next",
           iterator_over_array([](TypeRef it) { return array_item_type(it->element, types::int64()); }),
           item_at_position, TypePattern::iterator_over(Kind::Array));
    define(registry, "iter.advance", iterator_over_array([](TypeRef it) { return it; }), advance_position,
           TypePattern::iterator_over(Kind::Array));
}

/* numba's result type of a.sum(): the float dtype itself, 64-bit integers otherwise. */
TypeRef sum_type(TypeRef element) {
    if (element->kind == Kind::Float)
        return element;
    if (element->kind == Kind::Int && !element->is_signed)
        return types::integer(64, false);
    return types::int64();
}

/* Array methods: `a.sum` is a method bound to the view; calling it goes through "call". */
void register_array_methods(Registry &registry) {
    define(registry, ".sum",
           [](const CallArgs &args) -> std::optional<CallSignature> {
               if (args.types.size() != 1 || args.types[0]->kind != Kind::Array)
                   return std::nullopt;
               if (!args.types[0]->element->is_number())
                   throw TypingFailure("sum() needs an array of numbers, not " + args.types[0]->str());
               return signature(types::method(args.types[0], "sum"), {args.types[0]});
           },
           pass_through, TypePattern::of(Kind::Array));
    registry.add_typer("call", [](const CallArgs &args) -> std::optional<CallSignature> {
        if (args.types.empty() || args.types[0]->kind != Kind::Method || args.types[0]->name != "sum" ||
            args.types[0]->element->kind != Kind::Array)
            return std::nullopt;
        if (args.types.size() != 1)
            throw TypingFailure("sum() of an array takes no arguments here (axis= and dtype= are not supported)");
        return signature(sum_type(args.types[0]->element->element), {args.types[0]});
    });
    /* Views are contiguous in either order, so the sum runs over the flat data in memory
       order (numba's order for C arrays: the same rounding). */
    registry.add_lowering("call", {TypePattern::of(Kind::Method)},
                          [](LoweringContext &ctx, const CallSignature &sig, const std::vector<Lowered> &a) -> Lowered {
        ir::Builder &b = ctx.b();
        TypeRef element = sig.args[0]->element->element, result = sig.result;
        const Lowered &view = a[0];
        ir::Value count = b.constant_int(ir::Type::I64, 1);
        for (std::size_t d = 1; d < view.size(); ++d)
            count = b.binary(ir::BinaryOp::Mul, count, view[d]);
        ir::Type acc_type = LoweringContext::scalar(result);
        ir::Value acc = b.local(acc_type), position = b.local(ir::Type::I64);
        bool is_float = result->kind == Kind::Float;
        b.store(is_float ? b.constant_float(acc_type, 0.0) : b.constant_int(acc_type, 0), acc);
        b.store(b.constant_int(ir::Type::I64, 0), position);
        ir::BlockRef head = b.new_block("sum.head"), body = b.new_block("sum.body"), done = b.new_block("sum.done");
        b.jump(head);
        b.set_block(head);
        ir::Value i = b.load(ir::Type::I64, position);
        b.branch(b.compare(ir::Predicate::SLT, i, count), body, done);
        b.set_block(body);
        ir::Value x = ctx.cast_scalar(ctx.load_scalar(element, element_pointer(ctx, element, view[0], i)), element, result);
        b.store(b.binary(is_float ? ir::BinaryOp::FAdd : ir::BinaryOp::Add, b.load(acc_type, acc), x), acc);
        b.store(b.binary(ir::BinaryOp::Add, i, b.constant_int(ir::Type::I64, 1)), position);
        b.jump(head);
        b.set_block(done);
        return {b.load(acc_type, acc)};
    });
}

} // namespace

void register_arrays(Registry &registry) {
    register_pointer_indexing(registry);
    register_views(registry);
    register_array_access(registry);
    register_array_methods(registry);
}

} // namespace nativecall::jit
