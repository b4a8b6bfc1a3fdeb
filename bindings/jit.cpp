// nativecall._jit: compile Python-subset source to native code, call it through its thunk, report runtime errors.
#include <nanobind/nanobind.h>

#include <cstdlib>
#include <cstring>

#include <nanobind/stl/string.h>
#include <nanobind/stl/shared_ptr.h>

#include "errors.h"
#include "nativecall/jit/compiler.h"

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

/* The Python side describes each global as a tuple: ("const", value), ("module", name),
   ("function", name), ("dtype", name), ("cfunc", name, address, signature) or
   ("external", name, address, signature) for nativecall.extending.external (both become
   an External global, whose calls the "call" registry entries type and lower), or
   ("jitable", name, source, filename, first_line, column_offset, globals) for
   nativecall.extending.jitable, whose own globals are described the same way. */
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
        else if (kind == "self")
            globals[name] = GlobalValue::of_self();
        else if (kind == "unusable")
            globals[name] = GlobalValue::of_unusable(nb::cast<std::string>(t[1]));
        else if (kind == "cfunc" || kind == "external")
            globals[name] = GlobalValue::of_external(nb::cast<std::string>(t[1]), nb::cast<std::uintptr_t>(t[2]),
                                                     parse_signature(nb::cast<std::string>(t[3])));
        else if (kind == "jitable") {
            auto source = std::make_shared<SourceFile>();
            source->text = nb::cast<std::string>(t[2]);
            source->filename = nb::cast<std::string>(t[3]);
            source->first_line = nb::cast<int>(t[4]);
            source->column_offset = nb::cast<int>(t[5]);
            auto helper = std::make_shared<JitableSource>();
            helper->name = nb::cast<std::string>(t[1]);
            helper->source = std::move(source);
            helper->globals = to_globals(nb::cast<nb::dict>(t[6]));
            globals[name] = GlobalValue::of_jitable(std::move(helper));
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

/* One argument for the thunk: ints wrap to the parameter's width as C would,
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
        slot = PyLong_AsUnsignedLongLongMask(value.ptr());
        if (PyErr_Occurred())
            throw nb::python_error();
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

std::shared_ptr<CompiledFunction> compile_source(const std::string &source, const std::string &filename, int first_line,
                                                 int column_offset, const std::string &function_name, const std::string &signature,
                                                 nb::dict globals, int opt_level, bool debug) {
    CompileRequest request;
    request.source = source;
    request.filename = filename;
    request.first_line = first_line;
    request.column_offset = column_offset;
    request.function_name = function_name;
    request.signature = parse_signature(signature);
    request.globals = to_globals(globals);
    request.options.opt_level = opt_level;
    request.options.debug = debug;
    nb::gil_scoped_release released;   // compiles from several Python threads run in parallel
    return compile(request);
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
            nb::object error = nb::handle(compile_error_type)(e.what());
            error.attr("filename") = e.filename();
            error.attr("lineno") = e.line();
            error.attr("column") = e.column();
            error.attr("message") = e.message();
            PyErr_SetObject(compile_error_type, error.ptr());
        }
    });

    nb::class_<CompiledFunction>(m, "CompiledFunction", "Native code for one compiled function.")
        .def_prop_ro("address", [](const CompiledFunction &f) { return reinterpret_cast<std::uintptr_t>(f.address()); })
        .def_prop_ro("thunk_address", [](const CompiledFunction &f) { return reinterpret_cast<std::uintptr_t>(f.thunk()); })
        .def_prop_ro("many_address", [](const CompiledFunction &f) { return reinterpret_cast<std::uintptr_t>(f.many_address()); },
                     "The vectorised loop entry for integrand signatures (0 when there is none).")
        .def_prop_ro("llvm_ir", &CompiledFunction::llvm_ir)
        .def_prop_ro("name", &CompiledFunction::name)
        .def_prop_ro("signature", [](const CompiledFunction &f) { return f.signature().numba_spelling(); })
        .def_prop_ro("c_signature", [](const CompiledFunction &f) { return f.signature().c_spelling(); })
        .def("__call__", &call_compiled, "Call the native code with Python values.");

    m.def("compile", &compile_source, nb::arg("source"), nb::arg("filename"), nb::arg("first_line"),
          nb::arg("column_offset"), nb::arg("function_name"), nb::arg("signature"), nb::arg("globals"), nb::arg("opt_level") = 1,
          nb::arg("debug") = false);
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
