// Maps the C++ core's exception types to Python exceptions; every extension module installs it.
#pragma once

#include <nanobind/nanobind.h>

#include "nativecall/errors.h"

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

} // namespace nativecall::python
