// Turns the Python object a routine received as its callback into a native Callback or a Python callable.
#pragma once

#include <nanobind/nanobind.h>

#include <optional>
#include <string>

#include "nativecall/callback.h"

namespace nativecall::python {

namespace nb = nanobind;

/* A routine's callback argument after conversion. Exactly one of `native`
   and `python` is set. The Python layer (nativecall.lowlevel.as_callback) has
   already turned every native route (ctypes, cffi, capsules, numba, scipy,
   cfunc) into a nativecall.LowLevelCallable; anything else is a plain callable. */
struct CallbackArg {
    std::optional<Callback> native;
    nb::object python;

    bool is_native() const { return native.has_value(); }
};

/* True for a nativecall.LowLevelCallable (by type, not by attribute, so that
   objects answering every attribute, like mocks, stay Python callables). */
inline bool is_lowlevel(nb::handle obj) {
    static PyObject *type = [] {
        nb::object t = nb::module_::import_("nativecall.lowlevel").attr("LowLevelCallable");
        return t.release().ptr();  // kept for the life of the process
    }();
    return PyObject_TypeCheck(obj.ptr(), reinterpret_cast<PyTypeObject *>(type));
}

/* The native Callback inside a nativecall.LowLevelCallable. Its signature
   text is read-only and parses as it did when the object was made, so
   messages can quote the user's own spelling. */
inline Callback native_callback(nb::handle lowlevel) {
    auto address = nb::cast<std::uintptr_t>(lowlevel.attr("_address"));
    auto user_data = nb::cast<std::uintptr_t>(lowlevel.attr("_user_data_address"));
    auto text = nb::cast<std::string>(lowlevel.attr("_signature"));
    bool thread_safe = nb::cast<bool>(lowlevel.attr("_thread_safe"));
    auto name = nb::cast<std::string>(lowlevel.attr("_name"));
    return Callback(reinterpret_cast<void *>(address), reinterpret_cast<void *>(user_data), parse_signature(text),
                    thread_safe, std::move(name));
}

/* Reads a nativecall.LowLevelCallable or keeps a Python callable as it is.
   The caller keeps `obj` alive for the duration of the routine, which keeps
   whatever owns the function and user_data alive. Raises TypeError, naming
   `what`, for anything else. */
inline CallbackArg callback_arg(nb::handle obj, const char *what) {
    CallbackArg arg;
    if (is_lowlevel(obj)) {
        arg.native = native_callback(obj);
        return arg;
    }
    if (!PyCallable_Check(obj.ptr())) {
        std::string type_name = nb::cast<std::string>(nb::type_name(obj.type()));
        throw nb::type_error(("'" + std::string(what) +
                              "' must be a Python callable or a native callback "
                              "(nativecall.LowLevelCallable, cfunc, ctypes/cffi function, "
                              "PyCapsule, scipy.LowLevelCallable), got " + type_name)
                                 .c_str());
    }
    arg.python = nb::borrow(obj);
    return arg;
}

} // namespace nativecall::python
