// Maps the C++ core's exception types and compiled callbacks' runtime errors to Python exceptions.
#pragma once

#include <nanobind/nanobind.h>


#include "nativecall/errors.h"
#include "nativecall/runtime/error_record.h"

namespace nativecall::python {

namespace nb = nanobind;

/* SignatureMismatch and malformed signatures are ValueError, as scipy raises
   for LowLevelCallable mismatches; a failed callback is RuntimeError. */
inline void register_error_translators() {
    nb::register_exception_translator([](const std::exception_ptr &p, void *) {
        try {
            std::rethrow_exception(p);
        } catch (const SignatureSyntaxError &e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const SignatureMismatch &e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const InvalidArgument &e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const CallbackFailed &e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });
}

/* Raises the Python exception for a pending runtime error of a compiled
   callback on this thread (ZeroDivisionError, IndexError, ValueError); does
   nothing when none is pending. */
inline void raise_pending_runtime_error() {
    RuntimeErrorCode code = take_runtime_error();
    if (code == RuntimeErrorCode::None) return;
    PyObject *type = code == RuntimeErrorCode::ZeroDivision       ? PyExc_ZeroDivisionError
                     : code == RuntimeErrorCode::IndexOutOfBounds ? PyExc_IndexError
                                                                  : PyExc_ValueError;
    PyErr_SetString(type, runtime_error_message(code));
    throw nb::python_error();
}

/* Runs `routine` (which calls native callbacks and returns its results through
   captured references) with the GIL released, then reports what a compiled
   callback recorded. A recorded error wins over the routine's own
   CallbackFailed, because the callback returned 0 only to stop after it. */
template <class Routine> void run_native(Routine &&routine) {
    take_runtime_error();  // a stale record from earlier native code must not surface here
    try {
        nb::gil_scoped_release released;
        routine();
    } catch (const CallbackFailed &) {
        raise_pending_runtime_error();
        throw;
    }
    raise_pending_runtime_error();
}

} // namespace nativecall::python
