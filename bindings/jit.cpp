// nativecall._jit: compile Python-subset source to native code, call it through its thunk, report runtime errors.
#include <nanobind/nanobind.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/shared_ptr.h>

#include "errors.h"
#include "nativecall/jit/compiler.h"
#include "nativecall/jit/extending.h"

namespace nb = nanobind;
using namespace nativecall;
using namespace nativecall::jit;

namespace {

/* nativecall._jit.CompileError, created at import. A raw reference that is never
   released: a static nb::object would be destroyed after the interpreter. */
PyObject *compile_error_type = nullptr;

/* A constant from the globals snapshot: bool before int (bool is an int in Python). */
ConstantValue to_constant(nb::handle value, const std::string &name) {
    if (PyBool_Check(value.ptr()))
        return ConstantValue{value.ptr() == Py_True};
    if (PyLong_Check(value.ptr())) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
        if (overflow)
            throw nb::value_error(("global '" + name + "' is an int too large for int64").c_str());
        return ConstantValue{static_cast<std::int64_t>(v)};
    }
    if (PyFloat_Check(value.ptr()))
        return ConstantValue{PyFloat_AsDouble(value.ptr())};
    if (PyTuple_Check(value.ptr())) {
        std::vector<ConstantValue> members;
        for (nb::handle m : nb::borrow<nb::tuple>(value))
            members.push_back(to_constant(m, name));
        return ConstantValue{std::move(members)};
    }
    throw nb::type_error(("global '" + name + "' must be an int, float, bool or tuple of these").c_str());
}

/* A jitable helper declared once from Python (nativecall.extending keeps one per helper
   and globals snapshot): compiles that use the same helper share its declaration, its
   interned type and its typed specialisations instead of adding new ones each time. */
struct JitableDeclaration {
    std::shared_ptr<const JitableSource> source;
};

Globals to_globals(nb::dict described);
TypeRef type_from_description(nb::handle described);

JitableDeclaration declare_jitable(const std::string &name, const std::string &text, const std::string &filename,
                                   int first_line, int column_offset, nb::dict globals) {
    auto source = std::make_shared<SourceFile>();
    source->text = text;
    source->filename = filename;
    source->first_line = first_line;
    source->column_offset = column_offset;
    auto helper = std::make_shared<JitableSource>();
    helper->name = name;
    helper->source = std::move(source);
    helper->globals = to_globals(globals);
    return JitableDeclaration{std::move(helper)};
}

/* A JIT type described by nativecall.types (records.py, `_describe_type`): a scalar name
   ("float64"), "voidptr", ("pointer", type) or ("record", name, size, align, fields)
   with fields as (name, offset, type, shape tuple). */
TypeRef to_jit_type(nb::handle described) {
    if (nb::isinstance<nb::str>(described)) {
        std::string name = nb::cast<std::string>(described);
        if (name == "voidptr")
            return types::voidptr();
        if (TypeRef scalar = types::scalar_by_name(name))
            return scalar;
        throw nb::value_error(("unknown type name '" + name + "' in a record description").c_str());
    }
    nb::tuple t = nb::cast<nb::tuple>(described);
    std::string kind = nb::cast<std::string>(t[0]);
    if (kind == "custom")   // nativecall.extending.register_type's types (types._to_jit)
        return type_from_description(described);
    if (kind == "pointer")
        return types::pointer(to_jit_type(t[1]));
    if (kind != "record")
        throw nb::value_error(("unknown type kind '" + kind + "' in a record description").c_str());
    std::vector<RecordField> fields;
    for (nb::handle item : nb::cast<nb::tuple>(t[4])) {
        nb::tuple f = nb::cast<nb::tuple>(item);
        RecordField field;
        field.name = nb::cast<std::string>(f[0]);
        field.offset = nb::cast<std::size_t>(f[1]);
        field.type = to_jit_type(f[2]);
        for (nb::handle extent : nb::cast<nb::tuple>(f[3]))
            field.shape.push_back(nb::cast<std::int64_t>(extent));
        fields.push_back(std::move(field));
    }
    return types::record(nb::cast<std::string>(t[1]), std::move(fields), nb::cast<std::size_t>(t[2]),
                         nb::cast<std::size_t>(t[3]));
}

/* The Python side describes each global as a tuple: ("const", value), ("module", name),
   ("function", name), ("dtype", name), ("dtype_of", described type) for a record
   type used as dtype=, ("cfunc", name, address, signature) or
   ("external", name, address, signature) for nativecall.extending.external (both become
   an External global, whose calls the "call" registry entries type and lower), or
   ("jitable", name, source, filename, first_line, column_offset, globals, owners, declaration)
   for nativecall.extending.jitable, whose own globals are described the same way (the
   declaration, made once by declare_jitable, may be missing). */
Globals to_globals(nb::dict described) {
    Globals globals;
    for (auto [key, value] : described) {
        std::string name = nb::cast<std::string>(key);
        nb::tuple t = nb::cast<nb::tuple>(value);
        std::string kind = nb::cast<std::string>(t[0]);
        if (kind == "const")
            globals[name] = GlobalValue::of_constant(to_constant(t[1], name));
        else if (kind == "module")
            globals[name] = GlobalValue::of_module(nb::cast<std::string>(t[1]));
        else if (kind == "function")
            globals[name] = GlobalValue::of_function(nb::cast<std::string>(t[1]));
        else if (kind == "dtype")
            globals[name] = GlobalValue::of_dtype(nb::cast<std::string>(t[1]));
        else if (kind == "dtype_of")
            globals[name] = GlobalValue::of_dtype(to_jit_type(t[1]));
        else if (kind == "self")
            globals[name] = GlobalValue::of_self();
        else if (kind == "unusable")
            globals[name] = GlobalValue::of_unusable(nb::cast<std::string>(t[1]));
        else if (kind == "cfunc" || kind == "external")
            globals[name] = GlobalValue::of_external(nb::cast<std::string>(t[1]), nb::cast<std::uintptr_t>(t[2]),
                                                     parse_signature(nb::cast<std::string>(t[3])));
        else if (kind == "typed_const")   // a value of a custom type: its fields' values
            globals[name] = GlobalValue::of_constant(type_from_description(t[1]), to_constant(t[2], name));
        else if (kind == "jitable") {
            /* The declaration nativecall.extending keeps (t[8]); a snapshot rebuilt from a
               pickle has none, and is declared here from its fields. */
            if (t.size() > 8 && !t[8].is_none())
                globals[name] = GlobalValue::of_jitable(nb::cast<const JitableDeclaration &>(t[8]).source);
            else
                globals[name] = GlobalValue::of_jitable(
                    declare_jitable(nb::cast<std::string>(t[1]), nb::cast<std::string>(t[2]), nb::cast<std::string>(t[3]),
                                    nb::cast<int>(t[4]), nb::cast<int>(t[5]), nb::cast<nb::dict>(t[6]))
                        .source);
        }
        else
            throw nb::value_error(("unknown global kind '" + kind + "'").c_str());
    }
    return globals;
}

/* An array passed for a `T *` parameter must hold T: a float32 array behind a double *
   would be read past its end. numpy's typestr is "<f8", "|b1", "<i4", ... */
void check_element_type(const CType &pointer, const std::string &typestr, std::size_t index) {
    const CType *element = pointer.pointee.get();
    if (!element || element->kind == TypeKind::Void || element->kind == TypeKind::Pointer || typestr.size() < 3)
        return;
    char kind = typestr[1];
    int size = std::atoi(typestr.c_str() + 2);
    bool ok = size == element->size &&
              ((element->kind == TypeKind::Float && kind == 'f') || (element->kind == TypeKind::Bool && kind == 'b') ||
               (element->kind == TypeKind::Int && (kind == (element->is_signed ? 'i' : 'u'))));
    if (!ok)
        throw nb::type_error(("argument " + std::to_string(index + 1) + ": an array of '" + typestr +
                              "' elements cannot be passed as '" + pointer.c_name() + "'")
                                 .c_str());
}

/* An int argument as the bits of `type`, or OverflowError when the value does not fit:
   wrapping 300 into an int8 parameter silently (as ctypes does) hides a bug. */
std::uint64_t int_in_range(const CType &type, nb::handle value, std::size_t index) {
    nb::object number = nb::steal(PyNumber_Index(value.ptr()));
    if (!number.is_valid())
        throw nb::python_error();
    unsigned bits = type.size * 8u;
    bool fits;
    std::uint64_t bits_value;
    int overflow = 0;
    long long as_signed = PyLong_AsLongLongAndOverflow(number.ptr(), &overflow);
    if (type.is_signed) {
        fits = overflow == 0 && (bits == 64 || (as_signed >= -(1LL << (bits - 1)) && as_signed < (1LL << (bits - 1))));
        bits_value = static_cast<std::uint64_t>(as_signed);
    } else if (overflow == 0) {
        fits = as_signed >= 0 && (bits == 64 || as_signed < (1LL << bits));
        bits_value = static_cast<std::uint64_t>(as_signed);
    } else {   // beyond int64: only an unsigned 64-bit parameter can hold it
        bits_value = PyLong_AsUnsignedLongLong(number.ptr());
        fits = overflow > 0 && bits == 64 && !PyErr_Occurred();
        PyErr_Clear();
    }
    if (PyErr_Occurred())
        throw nb::python_error();
    if (!fits) {
        std::string given = nb::cast<std::string>(nb::str(number));
        std::string low = type.is_signed ? std::to_string(bits == 64 ? INT64_MIN : -(1LL << (bits - 1))) : "0";
        std::string high = type.is_signed ? std::to_string(bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1)
                                          : std::to_string(bits == 64 ? UINT64_MAX : (1ULL << bits) - 1);
        std::string message = "argument " + std::to_string(index + 1) + ": " + given + " does not fit the " +
                              type.numba_name() + " parameter (" + low + " to " + high + ")";
        PyErr_SetString(PyExc_OverflowError, message.c_str());
        throw nb::python_error();
    }
    return bits_value;
}

/* One argument for the thunk: ints must fit the parameter's width,
   pointers take an int address, None, or an object exposing __array_interface__. */
void store_argument(const CType &type, nb::handle value, std::size_t index, std::uint64_t &slot) {
    auto fail = [&](const char *expected) {
        std::string got = nb::cast<std::string>(nb::type_name(value.type()));
        throw nb::type_error(("argument " + std::to_string(index + 1) + ": expected " + expected + ", got " + got).c_str());
    };
    switch (type.kind) {
    case TypeKind::Float: {
        double d = PyFloat_AsDouble(value.ptr());
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            fail("a float");
        }
        if (type.size == 4) {
            float f = static_cast<float>(d);
            std::memcpy(&slot, &f, sizeof f);
        } else {
            std::memcpy(&slot, &d, sizeof d);
        }
        return;
    }
    case TypeKind::Bool: {
        int truth = PyObject_IsTrue(value.ptr());
        if (truth < 0)
            throw nb::python_error();
        slot = static_cast<std::uint64_t>(truth);
        return;
    }
    case TypeKind::Int:
        if (!PyIndex_Check(value.ptr()))
            fail("an int");
        slot = int_in_range(type, value, index);
        return;   // little-endian: the low bytes of the slot hold the narrower value
    case TypeKind::Pointer:
        if (value.is_none()) {
            slot = 0;
        } else if (nb::hasattr(value, "__array_interface__")) {   // before __index__: arrays have both
            nb::object interface = value.attr("__array_interface__");
            check_element_type(type, nb::cast<std::string>(interface["typestr"]), index);
            slot = nb::cast<std::uint64_t>(interface["data"][0]);
        } else if (PyIndex_Check(value.ptr())) {
            slot = PyLong_AsUnsignedLongLongMask(value.ptr());
            if (PyErr_Occurred())
                throw nb::python_error();
        } else {
            fail("an int address, None or an array");
        }
        return;
    case TypeKind::Void: fail("nothing");
    }
}

nb::object load_result(const CType &type, const std::uint64_t &slot) {
    switch (type.kind) {
    case TypeKind::Void: return nb::none();
    case TypeKind::Bool: return nb::bool_((slot & 0xff) != 0);
    case TypeKind::Pointer: return nb::int_(slot);
    case TypeKind::Float: {
        if (type.size == 4) {
            float f;
            std::memcpy(&f, &slot, sizeof f);
            return nb::float_(f);
        }
        double d;
        std::memcpy(&d, &slot, sizeof d);
        return nb::float_(d);
    }
    case TypeKind::Int: {
        unsigned bits = type.size * 8u;
        std::uint64_t u = bits == 64 ? slot : slot & ((std::uint64_t(1) << bits) - 1);
        if (!type.is_signed)
            return nb::steal(PyLong_FromUnsignedLongLong(u));
        std::int64_t s = bits == 64 ? static_cast<std::int64_t>(u)
                                    : static_cast<std::int64_t>(u << (64 - bits)) >> (64 - bits);
        return nb::steal(PyLong_FromLongLong(s));
    }
    }
    return nb::none();
}

/* Calls compiled code through its thunk: one 8-byte slot per argument, no libffi. */
nb::object call_compiled(const CompiledFunction &fn, nb::args args) {
    const Signature &sig = fn.signature();
    std::size_t n = args.size();
    if (n != sig.params.size())
        throw nb::type_error((fn.name() + "() takes " + std::to_string(sig.params.size()) + " argument(s), " +
                              std::to_string(n) + " given")
                                 .c_str());
    constexpr std::size_t kInline = 8;
    std::uint64_t inline_slots[kInline];
    void *inline_pointers[kInline];
    std::vector<std::uint64_t> heap_slots;
    std::vector<void *> heap_pointers;
    std::uint64_t *slots = inline_slots;
    void **pointers = inline_pointers;
    if (n > kInline) {
        heap_slots.resize(n);
        heap_pointers.resize(n);
        slots = heap_slots.data();
        pointers = heap_pointers.data();
    }
    for (std::size_t i = 0; i < n; ++i) {
        slots[i] = 0;
        store_argument(sig.params[i], args[i], i, slots[i]);
        pointers[i] = &slots[i];
    }
    std::uint64_t result = 0;
    take_runtime_error();   // a stale record from other native code must not surface here
    {
        /* Native work runs without the GIL (as ctypes calls do), so Python threads calling
           compiled code run in parallel; the cost is tens of nanoseconds. */
        nb::gil_scoped_release released;
        reinterpret_cast<void (*)(void **, void *)>(fn.thunk())(pointers, &result);
    }
    python::raise_pending_runtime_error();
    return load_result(sig.result, result);
}

/* ---- overloads: typing functions written in Python -------------------------------- */

/* The Python exception a typing function raised during the current compile on this
   thread (a strong reference), chained as __cause__ of the CompileError it turns into. */
thread_local PyObject *typing_exception = nullptr;

void forget_typing_exception() {
    Py_CLEAR(typing_exception);
}

/* How a typing function sees a JIT type: a tuple nativecall.types._from_jit turns into a
   nativecall.types object (scalars, CPointer, Array, Tuple, Record; Opaque for the rest). */
nb::object describe_type(TypeRef t) {
    switch (t->kind) {
    case Kind::Bool: return nb::make_tuple("scalar", "boolean");
    case Kind::Int:
    case Kind::Float: return nb::make_tuple("scalar", t->str());
    case Kind::Void: return nb::make_tuple("scalar", "none");
    case Kind::Pointer:
        if (t->element->kind == Kind::Void)
            return nb::make_tuple("scalar", "voidptr");
        return nb::make_tuple("pointer", describe_type(t->element));
    case Kind::Array: return nb::make_tuple("array", describe_type(t->element), t->ndim, std::string(1, t->layout));
    case Kind::Tuple: {
        nb::list members;
        for (TypeRef m : t->members)
            members.append(describe_type(m));
        return nb::make_tuple("tuple", nb::tuple(members));
    }
    case Kind::Custom: return nb::make_tuple("custom", t->name);
    case Kind::Record: {   // the layout, so a typing function sees a nativecall.types.Record
        nb::list fields;
        for (const RecordField &f : t->fields) {
            nb::list shape;
            for (std::int64_t extent : f.shape)
                shape.append(extent);
            fields.append(nb::make_tuple(f.name, f.offset, describe_type(f.type), nb::tuple(shape)));
        }
        return nb::make_tuple("record", t->name, t->size, t->align, nb::tuple(fields));
    }
    default: return nb::make_tuple("opaque", t->str());
    }
}

/* Custom types registered from Python, by name (the name is the type's identity). The
   bindings run with the GIL held, which serialises access. */
std::map<std::string, TypeRef> &custom_types() {
    static std::map<std::string, TypeRef> table;
    return table;
}

/* The inverse of describe_type, for the types Python names when it registers custom
   types and casts: ("scalar", name), ("pointer", t), ("tuple", (t, ...)), ("custom", name). */
TypeRef type_from_description(nb::handle described) {
    nb::tuple t = nb::cast<nb::tuple>(described);
    std::string kind = nb::cast<std::string>(t[0]);
    if (kind == "scalar") {
        std::string name = nb::cast<std::string>(t[1]);
        if (name == "voidptr")
            return types::voidptr();
        if (TypeRef scalar = types::scalar_by_name(name == "boolean" ? "bool" : name))
            return scalar;
    } else if (kind == "pointer") {
        return types::pointer(type_from_description(t[1]));
    } else if (kind == "tuple") {
        std::vector<TypeRef> members;
        for (nb::handle m : nb::cast<nb::tuple>(t[1]))
            members.push_back(type_from_description(m));
        return types::tuple(members);
    } else if (kind == "record") {   // overload_method on a struct: ("record", records.py's description)
        return to_jit_type(t[1]);
    } else if (kind == "custom") {
        std::string name = nb::cast<std::string>(t[1]);
        auto found = custom_types().find(name);
        if (found != custom_types().end())
            return found->second;
        /* Reachable from a pickle or a cache entry made where the type was registered. */
        throw nb::value_error(("the custom type '" + name + "' is not registered in this process: run its "
                               "nativecall.extending.register_type call (import the module that makes it) first")
                                  .c_str());
    }
    throw nb::value_error(("compiled code has no type " + nb::cast<std::string>(nb::repr(described))).c_str());
}

/* nativecall.extending.register_type: the type, its field attributes, constructor and constants. */
void register_custom_type(const std::string &name, const std::string &constructor, nb::list fields) {
    if (custom_types().count(name))
        throw nb::value_error(("a custom type named '" + name + "' is already registered").c_str());
    CustomTypeSpec spec;
    spec.name = name;
    spec.constructor = constructor;
    for (nb::handle field : fields) {
        nb::tuple f = nb::cast<nb::tuple>(field);
        spec.fields.emplace_back(nb::cast<std::string>(f[0]), type_from_description(f[1]));
    }
    TypeRef registered = nullptr;
    extend([&](Registry &registry) { registered = add_custom_type(registry, spec); });
    custom_types()[name] = registered;
}

/* nativecall.extending.lower_cast: a conversion written in Python, compiled inline. */
void register_cast(nb::handle from, nb::handle to, const JitableDeclaration &implementation) {
    TypeRef from_type = type_from_description(from), to_type = type_from_description(to);
    extend([&](Registry &registry) { add_cast_implementation(registry, from_type, to_type, implementation.source); });
}

/* The chooser the compiler calls for an overload: `held` (a strong reference kept for the
   process's life, as the registry keeps its typers) is called with the GIL, which
   compile() released, and returns a JitableDeclaration or None. */
ImplementationChooser python_chooser(PyObject *held, std::string shown) {
    return [held, shown](const std::vector<TypeRef> &types) -> std::shared_ptr<const JitableSource> {
        nb::gil_scoped_acquire gil;
        try {
            nb::list described;
            for (TypeRef t : types)
                described.append(describe_type(t));
            nb::object result = nb::handle(held)(nb::tuple(described));
            if (result.is_none())
                return nullptr;
            return nb::cast<const JitableDeclaration &>(result).source;
        } catch (nb::python_error &e) {
            /* The dispatcher formats the message (which typing function, which types);
               the original exception becomes the CompileError's __cause__. */
            std::string message = nb::cast<std::string>(nb::str(e.value()));
            nb::object cause = nb::getattr(e.value(), "__cause__", nb::none());
            if (cause.is_none())
                cause = nb::borrow(e.value());
            Py_XSETREF(typing_exception, cause.release().ptr());
            throw TypingFailure(message);
        } catch (const nb::cast_error &) {
            throw TypingFailure("internal: the overload dispatcher of '" + shown +
                                "' returned something other than a declaration or None");
        }
    };
}

/* Registers `chooser` (nativecall.extending's dispatcher for one typing function of an
   overloaded function or operator) in the extension registry under `name`. */
void register_overload(const std::string &name, nb::object chooser) {
    PyObject *held = chooser.release().ptr();
    extend([&](Registry &registry) { add_overload(registry, name, python_chooser(held, name)); });
}

/* nativecall.extending.overload_method: `chooser` as in register_overload, for calls of
   `obj.method(...)` on objects of the described type. */
void register_method(nb::handle receiver, const std::string &method, nb::object chooser) {
    TypeRef receiver_type = type_from_description(receiver);
    PyObject *held = chooser.release().ptr();   // for the process's life, as in register_overload
    extend([&](Registry &registry) {
        add_method_overload(registry, receiver_type, method, python_chooser(held, receiver_type->str() + "." + method));
    });
}

CompileRequest to_request(const std::string &source, const std::string &filename, int first_line, int column_offset,
                          const std::string &function_name, const std::string &signature, nb::dict globals,
                          int opt_level, bool debug, nb::handle parameter_types, nb::handle result_type) {
    CompileRequest request;
    request.source = source;
    request.filename = filename;
    request.first_line = first_line;
    request.column_offset = column_offset;
    request.function_name = function_name;
    request.signature = parse_signature(signature);
    request.globals = to_globals(globals);
    if (!parameter_types.is_none())
        for (nb::handle described : nb::cast<nb::sequence>(parameter_types))
            request.parameter_types.push_back(described.is_none() ? nullptr : to_jit_type(described));
    request.options.opt_level = opt_level;
    request.options.debug = debug;
    if (!result_type.is_none())   // a custom type standing for the C result
        request.result_type = type_from_description(result_type);
    return request;
}

std::shared_ptr<CompiledFunction> compile_source(const std::string &source, const std::string &filename, int first_line,
                                                 int column_offset, const std::string &function_name, const std::string &signature,
                                                 nb::dict globals, int opt_level, bool debug, nb::object parameter_types,
                                                 nb::object result_type) {
    CompileRequest request = to_request(source, filename, first_line, column_offset, function_name, signature, globals,
                                        opt_level, debug, parameter_types, result_type);
    forget_typing_exception();
    nb::gil_scoped_release released;   // compiles from several Python threads run in parallel
    return compile(request);
}

/* A loop entry's name in Python ('many', 'mirrored_sum': the *_address properties' stems). */
LoopValue loop_value(const std::string &kind) {
    if (kind == "many")
        return LoopValue::Value;
    if (kind == "mirrored_sum")
        return LoopValue::MirroredSum;
    throw nb::value_error(("loop entry kind: got '" + kind + "', expected 'many' or 'mirrored_sum'").c_str());
}

/* Object code from the compile cache or a pickle → loaded function; no LLVM codegen runs. */
std::shared_ptr<CompiledFunction> load_object_code(nb::bytes object, const std::string &function_symbol,
                                                   const std::string &thunk_symbol,
                                                   const std::map<std::string, std::uintptr_t> &imports,
                                                   const std::string &signature, const std::string &name,
                                                   const std::string &llvm_ir, nb::object source) {
    LoadRequest request;
    if (!source.is_none()) {
        /* compile()'s arguments, for the loop entry (CompiledFunction::many_address): turned
           into a compile request on its first use, as most loads never ask for it. */
        nb::tuple t = nb::cast<nb::tuple>(source);
        if (t.size() != 11)
            throw nb::type_error(("load_compiled: source must be the 11 arguments compile() takes, got " +
                                  std::to_string(t.size()) + " items").c_str());
        auto held = std::shared_ptr<PyObject>(t.release().ptr(), [](PyObject *arguments) {
            if (Py_IsInitialized()) {   // dropped where the GIL may not be held (many_address releases it)
                nb::gil_scoped_acquire gil;
                Py_DECREF(arguments);
            }
        });
        request.make_source = [held]() -> std::shared_ptr<const CompileRequest> {
            nb::gil_scoped_acquire gil;
            try {
                nb::tuple t = nb::borrow<nb::tuple>(held.get());
                return std::make_shared<const CompileRequest>(to_request(
                    nb::cast<std::string>(t[0]), nb::cast<std::string>(t[1]), nb::cast<int>(t[2]),
                    nb::cast<int>(t[3]), nb::cast<std::string>(t[4]), nb::cast<std::string>(t[5]),
                    nb::cast<nb::dict>(t[6]), nb::cast<int>(t[7]), nb::cast<bool>(t[8]), t[9], t[10]));
            } catch (const std::exception &) {
                /* Arguments that no longer convert here (a custom type not registered in this
                   process) leave the scalar entry, as source that no longer compiles does. */
                return nullptr;
            }
        };
    }
    request.object_code.assign(object.c_str(), object.size());
    request.function_symbol = function_symbol;
    request.thunk_symbol = thunk_symbol;
    request.imports = imports;
    request.signature = parse_signature(signature);
    request.name = name;
    request.llvm_ir = llvm_ir;
    nb::gil_scoped_release released;
    return load_compiled(request);
}

/* For native routines in other extension modules: reads and clears the calling
   thread's record in this module (where compiled code writes it). */
extern "C" int nativecall_jit_take_error_code(void) { return static_cast<int>(take_runtime_error()); }

} // namespace

NB_MODULE(_jit, m) {
    m.doc() = "nativecall's cfunc compiler (use nativecall.cfunc)";
    python::register_error_translators();

    compile_error_type = PyErr_NewExceptionWithDoc(
        "nativecall._jit.CompileError",
        "A function nativecall.cfunc cannot compile: the message names the file, line and column.",
        PyExc_Exception, nullptr);
    if (!compile_error_type)
        throw nb::python_error();
    m.attr("CompileError") = nb::handle(compile_error_type);
    nb::register_exception_translator([](const std::exception_ptr &p, void *) {
        try {
            std::rethrow_exception(p);
        } catch (const CompileError &e) {
            /* A typing function interrupted (KeyboardInterrupt, SystemExit: not an Exception)
               ends the compile with that exception itself, not with a CompileError. */
            if (typing_exception && !PyObject_IsInstance(typing_exception, PyExc_Exception)) {
                PyObject *interrupt = typing_exception;
                typing_exception = nullptr;
                PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(interrupt)), interrupt);
                Py_DECREF(interrupt);
                return;
            }
            nb::object error = nb::handle(compile_error_type)(e.what());
            error.attr("filename") = e.filename();
            error.attr("lineno") = e.line();
            error.attr("column") = e.column();
            error.attr("message") = e.message();
            if (typing_exception) {   // an overload's typing function raised it: chain it
                PyException_SetCause(error.ptr(), typing_exception);   // steals the reference
                typing_exception = nullptr;
            }
            PyErr_SetObject(compile_error_type, error.ptr());
        }
    });

    nb::class_<CompiledFunction>(m, "CompiledFunction", "Native code for one compiled function.")
        .def_prop_ro("address", [](const CompiledFunction &f) { return reinterpret_cast<std::uintptr_t>(f.address()); })
        .def_prop_ro("thunk_address", [](const CompiledFunction &f) { return reinterpret_cast<std::uintptr_t>(f.thunk()); })
        .def_prop_ro("many_address", [](const CompiledFunction &f) {
            forget_typing_exception();
            nb::gil_scoped_release released;   // the first call compiles (an overload's chooser takes the GIL back)
            return reinterpret_cast<std::uintptr_t>(f.many_address());
        },
                     "The vectorised loop entry for integrand signatures (0 when there is none).")
        .def_prop_ro("mirrored_sum_address", [](const CompiledFunction &f) {
            forget_typing_exception();
            nb::gil_scoped_release released;   // the first call compiles, as for many_address
            return reinterpret_cast<std::uintptr_t>(f.mirrored_sum_address());
        },
                     "The loop entry filling fx[i] = f(x[i]) + f(-x[i]) (0 when there is none).")
        .def("loop_object", [](const CompiledFunction &f, const std::string &kind) -> nb::object {
            std::optional<LoopObject> loop = f.loop_object(loop_value(kind));
            if (!loop)
                return nb::none();
            return nb::make_tuple(nb::bytes(loop->object_code.data(), loop->object_code.size()), loop->symbol,
                                  loop->imports);
        }, nb::arg("kind"),
             "(object_code, symbol, imports) of the loop entry `kind` ('many' or 'mirrored_sum') once it has been "
             "built or adopted; None before that and when there is none. Never builds it.")
        .def("adopt_loop", [](const CompiledFunction &f, const std::string &kind, nb::bytes object_code,
                              const std::string &symbol, const std::map<std::string, std::uintptr_t> &imports) {
            LoopObject loop{std::string(object_code.c_str(), object_code.size()), symbol, imports};
            const LoopValue value = loop_value(kind);
            nb::gil_scoped_release released;
            return reinterpret_cast<std::uintptr_t>(f.adopt_loop(value, loop));
        }, nb::arg("kind"), nb::arg("object_code"), nb::arg("symbol"), nb::arg("imports"),
             "Makes object code a loop_object() gave (in any process) the loop entry `kind`, unless it was already "
             "asked for; returns the loop's address (0 when there is none). Raises when the code does not load.")
        .def_prop_ro("llvm_ir", &CompiledFunction::llvm_ir)
        .def_prop_ro("name", &CompiledFunction::name)
        .def_prop_ro("signature", [](const CompiledFunction &f) { return f.signature().numba_spelling(); })
        .def_prop_ro("c_signature", [](const CompiledFunction &f) { return f.signature().c_spelling(); })
        .def_prop_ro("object_code", [](const CompiledFunction &f) {
            return nb::bytes(f.object_code().data(), f.object_code().size());
        }, "The relocatable object code the function was loaded from.")
        .def_prop_ro("function_symbol", &CompiledFunction::function_symbol)
        .def_prop_ro("thunk_symbol", &CompiledFunction::thunk_symbol)
        .def_prop_ro("imports", &CompiledFunction::imports,
                     "{symbol: address} of the native code the object code calls.")
        .def("__call__", &call_compiled, "Call the native code with Python values.");

    nb::class_<JitableDeclaration>(m, "JitableDeclaration",
                                   "A jitable helper as the compiler knows it (one per helper and globals snapshot).");
    m.def("declare_jitable", &declare_jitable, nb::arg("name"), nb::arg("source"), nb::arg("filename"),
          nb::arg("first_line"), nb::arg("column_offset"), nb::arg("globals"));
    m.def("register_overload", &register_overload, nb::arg("name"), nb::arg("chooser"),
          "Add an overload dispatcher for a function name or operator to the extension registry.");
    m.def("jitable_specialisation_count", &jitable_specialisation_count,
          "How many jitable specialisations the compiler has typed in this process.");

    m.def("compile", &compile_source, nb::arg("source"), nb::arg("filename"), nb::arg("first_line"),
          nb::arg("column_offset"), nb::arg("function_name"), nb::arg("signature"), nb::arg("globals"), nb::arg("opt_level") = 1,
          nb::arg("debug") = false, nb::arg("parameter_types") = nb::none(), nb::arg("result_type") = nb::none());
    m.def("register_custom_type", &register_custom_type, nb::arg("name"), nb::arg("constructor"), nb::arg("fields"),
          "Add a custom type (fields as (name, type description)) to the extension registry.");
    m.def("register_method", &register_method, nb::arg("receiver"), nb::arg("method"), nb::arg("chooser"),
          "Add an overload dispatcher for a method of a type to the extension registry.");
    m.def("register_cast", &register_cast, nb::arg("from_type"), nb::arg("to_type"), nb::arg("implementation"),
          "Add a conversion between two types, implemented by a jitable declaration.");
    m.def("describe_type", [](nb::handle described) { return to_jit_type(described)->str(); },
          "The JIT's spelling of a described type (checks a record layout as the compiler will).");
    m.def("load_compiled", &load_object_code, nb::arg("object_code"), nb::arg("function_symbol"),
          nb::arg("thunk_symbol"), nb::arg("imports"), nb::arg("signature"), nb::arg("name"), nb::arg("llvm_ir") = "",
          nb::arg("source") = nb::none(),
          "Load object code a CompiledFunction produced (here or in another process) without running LLVM codegen. "
          "`source`, the compile() arguments that produced it, lets an integrand build its loop entry on first use.");
    m.def("codegen_runs", &codegen_runs, "How many times this process ran LLVM's optimiser and code generator.");
    m.def("loader_stats", [] {
        ObjectLoadStats stats = object_load_stats();
        nb::dict d;
        d["direct"] = stats.direct;
        d["linked"] = stats.linked;
        d["last_declined"] = stats.last_declined;
        return d;
    }, "How load_compiled loaded object code in this process: {'direct': loads without LLVM, 'linked': objects "
       "the direct loader declined and JITLink linked, 'last_declined': why the latest was declined}.");
    m.def("checksum", [](nb::bytes data) { return content_checksum(data.c_str(), data.size()); }, nb::arg("data"),
          "A 64-bit XXH3 checksum of `data` (detects damaged cache files; not a cryptographic hash).");
    m.def("host_id", &host_id, "LLVM version, target triple, host CPU and its features.");
    m.def("host_key", &host_key, "What host_id() is derived from, cheaper to read (the compile cache keys on it).");
    m.def("take_runtime_error", [] {
        RuntimeErrorCode code = take_runtime_error();
        return nb::make_tuple(static_cast<int>(code), runtime_error_message(code));
    }, "The calling thread's runtime error record as (code, message), cleared; code 0 when none.");
    m.def("runtime_error_api", [] {
        return nb::capsule(reinterpret_cast<void *>(&nativecall_jit_take_error_code), "int (void)");
    }, "A capsule named 'int (void)' around the C function that returns and clears the calling thread's "
       "runtime error code (0 none, 1 ZeroDivisionError, 2 IndexError, 3-4 ValueError).");
    m.def("raise_runtime_error", &python::raise_pending_runtime_error,
          "Raise ZeroDivisionError/IndexError/ValueError for the calling thread's runtime error record, if any.");
}
