// nativecall._core: signatures, PyCapsule access and the generic call helper, for nativecall.lowlevel.
#include <nanobind/nanobind.h>

#include <cstring>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include "callback_arg.h"
#include "errors.h"
#include "nativecall/callback.h"
#include "nativecall/runtime/thread_pool.h"

namespace nb = nanobind;
using namespace nativecall;

namespace {

/* A Python value converted for one parameter of a native call. Pointers take
   an int address or None; ints and floats go through __index__ / __float__ so
   numpy scalars work; each failure names the argument and the expected type. */
CallValue to_call_value(const CType &type, nb::handle value, std::size_t index) {
    CallValue v{};
    auto fail = [&](const char *expected) {
        std::string got = nb::cast<std::string>(nb::type_name(value.type()));
        throw nb::type_error(("argument " + std::to_string(index + 1) + ": expected " + expected + " for '" +
                              type.spelling + "', got " + got)
                                 .c_str());
    };
    switch (type.kind) {
    case TypeKind::Void: fail("nothing"); break;
    case TypeKind::Pointer: {
        if (value.is_none()) {
            v.p = nullptr;
            break;
        }
        if (!PyIndex_Check(value.ptr())) fail("an int address or None");
        v.u = PyLong_AsUnsignedLongLongMask(value.ptr());
        if (PyErr_Occurred()) throw nb::python_error();
        break;
    }
    case TypeKind::Bool:
        v.i = PyObject_IsTrue(value.ptr());
        if (v.i < 0) throw nb::python_error();
        break;
    case TypeKind::Int:
        if (!PyIndex_Check(value.ptr())) fail("an int");
        /* Wrap to the parameter's width as C would; the value is masked to 64 bits first. */
        v.u = PyLong_AsUnsignedLongLongMask(value.ptr());
        if (PyErr_Occurred()) throw nb::python_error();
        break;
    case TypeKind::Float:
        v.d = PyFloat_AsDouble(value.ptr());
        if (v.d == -1.0 && PyErr_Occurred()) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) throw nb::python_error();  // says what overflowed
            PyErr_Clear();
            fail("a float");
        }
        break;
    }
    return v;
}

nb::object from_call_value(const CType &type, const CallValue &v) {
    switch (type.kind) {
    case TypeKind::Void: return nb::none();
    case TypeKind::Bool: return nb::bool_(v.i != 0);
    case TypeKind::Pointer: return nb::int_(reinterpret_cast<std::uintptr_t>(v.p));
    case TypeKind::Float: return nb::float_(v.d);
    case TypeKind::Int:
        if (type.is_signed) return nb::steal(PyLong_FromLongLong(v.i));
        return nb::steal(PyLong_FromUnsignedLongLong(v.u));
    }
    return nb::none();
}

/* Calls a native function with Python values (the test and tool helper). */
nb::object invoke(std::uintptr_t address, const Signature &signature, nb::sequence args) {
    Callback callback(reinterpret_cast<void *>(address), nullptr, signature);
    std::size_t n = nb::len(args);
    if (n != signature.params.size())
        throw nb::type_error(("native function with signature '" + signature.spelling + "' takes " +
                              std::to_string(signature.params.size()) + " argument(s), got " + std::to_string(n))
                                 .c_str());
    std::vector<CallValue> values;
    for (std::size_t i = 0; i < n; ++i) values.push_back(to_call_value(signature.params[i], args[i], i));
    CallValue result;
    {
        nb::gil_scoped_release released;
        result = callback.invoke(values);
    }
    return from_call_value(signature.result, result);
}

/* Everything a PyCapsule carries: pointer, name (None when unnamed) and context. */
nb::tuple capsule_info(nb::handle capsule) {
    if (!PyCapsule_CheckExact(capsule.ptr())) throw nb::type_error("expected a PyCapsule");
    const char *name = PyCapsule_GetName(capsule.ptr());
    if (!name && PyErr_Occurred()) throw nb::python_error();
    void *pointer = PyCapsule_GetPointer(capsule.ptr(), name);
    if (!pointer) throw nb::python_error();
    void *context = PyCapsule_GetContext(capsule.ptr());
    if (!context && PyErr_Occurred()) throw nb::python_error();
    nb::object py_name = name ? nb::object(nb::str(name)) : nb::none();
    return nb::make_tuple(nb::int_(reinterpret_cast<std::uintptr_t>(pointer)), py_name,
                          nb::int_(reinterpret_cast<std::uintptr_t>(context)));
}

/* A capsule named `name` around `address` that keeps `owner` alive until the
   capsule dies: how a nativecall callback travels into code that only takes
   capsules (scipy's LowLevelCallable). The context stays free because scipy
   reads it as user_data; the owner is stored just before the name's bytes,
   which the capsule keeps a pointer to anyway. So nobody may rename such a
   capsule (PyCapsule_SetName): the destructor finds the owner through the name. */
nb::object make_capsule(std::uintptr_t address, const std::string &name, nb::handle owner) {
    if (address == 0) throw nb::value_error("cannot make a capsule around a null pointer");
    char *block = new char[sizeof(PyObject *) + name.size() + 1];
    PyObject *owner_ptr = owner.ptr();
    std::memcpy(block, &owner_ptr, sizeof owner_ptr);
    std::memcpy(block + sizeof owner_ptr, name.c_str(), name.size() + 1);
    Py_XINCREF(owner_ptr);
    PyObject *capsule = PyCapsule_New(reinterpret_cast<void *>(address), block + sizeof owner_ptr, [](PyObject *cap) {
        const char *stored_name = PyCapsule_GetName(cap);
        char *start = const_cast<char *>(stored_name) - sizeof(PyObject *);
        PyObject *kept;
        std::memcpy(&kept, start, sizeof kept);
        Py_XDECREF(kept);
        delete[] start;
    });
    if (!capsule) {
        Py_XDECREF(owner_ptr);
        delete[] block;
        throw nb::python_error();
    }
    return nb::steal(capsule);
}

} // namespace

NB_MODULE(_core, m) {
    m.doc() = "nativecall core: C signatures, capsules and the generic native call helper";
    python::register_error_translators();
    /* Compiled functions held by module globals (a @cfunc at the top of a
       script) are often still alive when the interpreter tears modules down;
       that is not a leak, and the warning would greet every script's exit.
       The flag lives in nanobind's internals, shared by all our modules. */
    nb::set_leak_warnings(false);

    nb::class_<Signature>(m, "Signature",
                          "A parsed C callback signature, compared by ABI on this platform.")
        .def("__init__", [](Signature *self, std::string_view text) { new (self) Signature(parse_signature(text)); },
             nb::arg("text"), "Parse C, ctypes, cffi or numba-style signature text; ValueError if malformed.")
        .def_ro("spelling", &Signature::spelling, "The text it was parsed from.")
        .def_prop_ro("c_spelling", &Signature::c_spelling, "Canonical C spelling, as scipy compares it.")
        .def_prop_ro("numba_spelling", &Signature::numba_spelling, "Canonical numba-style spelling.")
        .def_prop_ro("result", [](const Signature &s) { return s.result.spelling; })
        .def_prop_ro("params", [](const Signature &s) {
            std::vector<std::string> out;
            for (const auto &p : s.params) out.push_back(p.spelling);
            return out;
        })
        .def_ro("param_names", &Signature::param_names)
        .def_prop_ro("param_kinds", [](const Signature &s) {
            /* One letter per parameter ('i' int, 'u' unsigned, 'f' float, 'b' bool, 'p' pointer),
               so Python can convert arguments without re-parsing. */
            std::string kinds;
            for (const auto &p : s.params) {
                switch (p.kind) {
                case TypeKind::Int: kinds += p.is_signed ? 'i' : 'u'; break;
                case TypeKind::Float: kinds += 'f'; break;
                case TypeKind::Bool: kinds += 'b'; break;
                case TypeKind::Pointer: kinds += 'p'; break;
                case TypeKind::Void: kinds += 'v'; break;
                }
            }
            return kinds;
        })
        .def_prop_ro("takes_user_data", [](const Signature &s) {
            return !s.params.empty() && s.params.back().kind == TypeKind::Pointer &&
                   s.params.back().pointee->kind == TypeKind::Void;
        }, "True when the last parameter is a void pointer (where user_data goes).")
        .def("same_abi", &Signature::same_abi, nb::arg("other"))
        .def("first_difference", &Signature::first_difference, nb::arg("expected"),
             "How this signature differs from `expected`, or '' when they match.")
        .def("__repr__", [](const Signature &s) { return "Signature('" + s.spelling + "')"; });

    m.def("select_signature",
          [](const Signature &given, const std::vector<Signature> &accepted, std::string_view what) {
              return select_signature(given, accepted, what);
          },
          nb::arg("given"), nb::arg("accepted"), nb::arg("what") = "callback",
          "Index of the first accepted signature that matches by ABI; ValueError explaining the mismatch.");
    m.def("invoke", &invoke, nb::arg("address"), nb::arg("signature"), nb::arg("args"),
          "Call a native function at `address` with Python values (slow; for tests and tools).");
    m.def("call_python",
          [](nb::callable fn, nb::args args) {
              /* The shared slow path: a Python callback called from C++; its
                 exception travels back through the C++ frames unchanged. */
              return fn(*args);
          },
          nb::arg("fn"), nb::arg("args"));
    m.def("capsule_info", &capsule_info, nb::arg("capsule"), "(pointer, name, context) of a PyCapsule.");
    m.def("is_capsule", [](nb::handle h) { return PyCapsule_CheckExact(h.ptr()) != 0; }, nb::arg("obj").none());
    m.def("make_capsule", &make_capsule, nb::arg("address"), nb::arg("name"), nb::arg("owner"),
          "A PyCapsule named `name` around `address` that keeps `owner` alive.");
    m.def("hardware_workers", &hardware_workers, "Cores available to routines.");
    m.def("resolve_workers", &resolve_workers, nb::arg("requested"), nb::arg("thread_safe"));
}
