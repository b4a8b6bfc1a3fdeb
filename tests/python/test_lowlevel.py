"""LowLevelCallable from every route, built for real in the test run, with scipy interop both ways."""
import ctypes
import gc
import sys
import traceback

import numpy as np
import pytest
import scipy
import scipy.integrate
import scipy.ndimage

import nativecall
from nativecall import LowLevelCallable, _core
from seed_kernels import numba_seed_kernels

C_CALLBACKS = r"""
#include <math.h>
#include <stdint.h>
double scaled(double x, void *data) { return x * *(double *)data; }
double square(double x) { return x * x; }
double gauss(double x, void *data) { return exp(-*(double *)data * x * x); }
double multi(int n, double *xx) { return xx[0] * xx[1] + (n == 2 ? 0.0 : 1e300); }
int shift_mapping(intptr_t *out, double *in, int out_rank, int in_rank, void *data) {
    double shift = *(double *)data;
    for (int i = 0; i < in_rank; ++i) in[i] = out[i] - shift;
    return 1;
}
int nbmin(double *values, intptr_t n, double *result, void *data) {
    result[0] = INFINITY;
    for (intptr_t i = 0; i < n; ++i) if (values[i] < result[0]) result[0] = values[i];
    return 1;
}
"""

CTYPES_ARGTYPES = {
    "scaled": (ctypes.c_double, [ctypes.c_double, ctypes.c_void_p]),
    "square": (ctypes.c_double, [ctypes.c_double]),
    "gauss": (ctypes.c_double, [ctypes.c_double, ctypes.c_void_p]),
    "multi": (ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double)]),
    "shift_mapping": (ctypes.c_int, [ctypes.POINTER(ctypes.c_ssize_t), ctypes.POINTER(ctypes.c_double),
                                     ctypes.c_int, ctypes.c_int, ctypes.c_void_p]),
    "nbmin": (ctypes.c_int, [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t,
                             ctypes.POINTER(ctypes.c_double), ctypes.c_void_p]),
}


@pytest.fixture(scope="module")
def clib(native):
    lib = native.ctypes_library(C_CALLBACKS)
    for name, (restype, argtypes) in CTYPES_ARGTYPES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


IMAGE = np.arange(12, dtype=np.float64).reshape(4, 3)


# ------------------------------------------------------------------ ctypes

def test_ctypes_route_derives_scipy_spelling_and_calls(clib):
    factor = ctypes.c_double(2.5)
    cb = LowLevelCallable(clib.scaled, ctypes.cast(ctypes.pointer(factor), ctypes.c_void_p))
    assert cb.signature == "double (double, void *)"
    assert cb.function is clib.scaled
    assert cb.address == ctypes.cast(clib.scaled, ctypes.c_void_p).value
    assert cb.user_data_address == ctypes.addressof(factor)
    assert nativecall.call(cb, 4.0) == 10.0
    assert cb(4.0, ctypes.addressof(factor)) == 10.0


@pytest.mark.parametrize("user_data", ["c_void_p", "pointer", "object", "numpy"])
def test_every_user_data_form_reaches_the_callback(clib, user_data):
    value = ctypes.c_double(-3.0)
    array = np.array([-3.0])
    forms = {
        "c_void_p": lambda: ctypes.c_void_p(ctypes.addressof(value)),
        "pointer": lambda: ctypes.pointer(value),
        "object": lambda: value,
        "numpy": lambda: array,
    }
    cb = LowLevelCallable(clib.scaled, forms[user_data]())
    assert nativecall.call(cb, 2.0) == -6.0


def test_ctypes_result_equals_scipy_in_quad(clib):
    a = ctypes.c_double(1.7)
    data = ctypes.c_void_p(ctypes.addressof(a))
    ours = LowLevelCallable(clib.gauss, data)
    theirs = scipy.LowLevelCallable(clib.gauss, data)
    expected = scipy.integrate.quad(theirs, -np.inf, np.inf)
    assert scipy.integrate.quad(ours.to_scipy(), -np.inf, np.inf) == expected
    assert expected[0] == pytest.approx(np.sqrt(np.pi / 1.7), rel=1e-10)


def test_ctypes_without_argtypes_is_a_clear_error(native):
    lib = native.ctypes_library("double f(double x) { return x; }")
    with pytest.raises(ValueError, match="has no argtypes.*signature="):
        LowLevelCallable(lib.f)
    cb = LowLevelCallable(lib.f, signature="double (double)")
    assert nativecall.call(cb, 1.5) == 1.5


# ------------------------------------------------------------------ cffi

def test_cffi_function_and_user_data(native):
    import cffi
    ffi = cffi.FFI()
    ffi.cdef("double scaled(double x, void *data); int nbmin(double *, intptr_t, double *, void *);")
    lib = ffi.dlopen(str(native.c_library(C_CALLBACKS)))
    factor = ffi.new("double *", 4.0)
    cb = LowLevelCallable(lib.scaled, ffi.cast("void *", factor))
    assert cb.signature == scipy.LowLevelCallable(lib.scaled).signature == "double (double, void *)"
    assert nativecall.call(cb, 0.5) == 2.0
    # The same objects through scipy, and ours handed back to scipy, agree.
    expected = scipy.integrate.quad(scipy.LowLevelCallable(lib.scaled, ffi.cast("void *", factor)), 0, 1)
    assert scipy.integrate.quad(cb.to_scipy(), 0, 1) == expected
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    image = np.random.default_rng(0).random((9, 7))
    got = scipy.ndimage.generic_filter(image, LowLevelCallable(lib.nbmin).to_scipy(), footprint=footprint)
    want = scipy.ndimage.generic_filter(image, np.min, footprint=footprint)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ capsules (seed 004)

C_EXTENSION = r"""
#include <Python.h>
#include <stdint.h>
static int destroyed = 0;
static int transform(intptr_t *out, double *in, int out_rank, int in_rank, void *data) {
    double shift = *(double *)data;
    for (int i = 0; i < in_rank; ++i) in[i] = out[i] - shift;
    return 1;
}
static void free_data(PyObject *capsule) {
    PyMem_Free(PyCapsule_GetPointer(capsule, NULL));
    destroyed++;
}
static PyObject *get_transform(PyObject *self, PyObject *args) {
    double shift;
    if (!PyArg_ParseTuple(args, "d", &shift)) return NULL;
    double *data = PyMem_Malloc(sizeof(double));
    *data = shift;
    PyObject *fn = PyCapsule_New((void *)transform, "int (intptr_t *, double *, int, int, void *)", NULL);
    PyObject *ud = PyCapsule_New(data, NULL, free_data);
    PyObject *pair = Py_BuildValue("(NN)", fn, ud);
    return pair;
}
static PyObject *get_with_context(PyObject *self, PyObject *args) {
    double shift;
    if (!PyArg_ParseTuple(args, "d", &shift)) return NULL;
    double *data = PyMem_Malloc(sizeof(double));
    *data = shift;
    PyObject *fn = PyCapsule_New((void *)transform, "int (intptr_t *, double *, int, int, void *)", NULL);
    PyCapsule_SetContext(fn, data);  /* leaked on purpose: tiny, test only */
    return fn;
}
static PyObject *destroyed_count(PyObject *self, PyObject *args) { return PyLong_FromLong(destroyed); }
static PyMethodDef methods[] = {
    {"get_transform", get_transform, METH_VARARGS, ""},
    {"get_with_context", get_with_context, METH_VARARGS, ""},
    {"destroyed_count", destroyed_count, METH_NOARGS, ""},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "capsule_ext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_capsule_ext(void) { return PyModule_Create(&module); }
"""


@pytest.fixture(scope="module")
def capsule_ext(native):
    return native.extension("capsule_ext", C_EXTENSION)


def test_capsule_with_capsule_user_data_matches_scipy(capsule_ext):
    fn, data = capsule_ext.get_transform(0.5)
    ours = LowLevelCallable(fn, data)
    assert ours.signature == "int (intptr_t *, double *, int, int, void *)"
    want = scipy.ndimage.geometric_transform(IMAGE, scipy.LowLevelCallable(fn, data))
    np.testing.assert_array_equal(scipy.ndimage.geometric_transform(IMAGE, ours.to_scipy()), want)


def test_capsule_context_is_the_default_user_data(capsule_ext):
    fn = capsule_ext.get_with_context(0.5)
    ours = LowLevelCallable(fn)
    assert ours.user_data_address == _core.capsule_info(fn)[2] != 0
    want = scipy.ndimage.geometric_transform(IMAGE, scipy.LowLevelCallable(fn))
    np.testing.assert_array_equal(scipy.ndimage.geometric_transform(IMAGE, ours.to_scipy()), want)


def test_user_data_capsule_lives_as_long_as_the_callable(capsule_ext):
    fn, data = capsule_ext.get_transform(1.0)
    before = capsule_ext.destroyed_count()
    cb = LowLevelCallable(fn, data)
    del fn, data
    gc.collect()
    assert capsule_ext.destroyed_count() == before  # still owned by cb
    scipy_cb = cb.to_scipy()
    del cb
    gc.collect()
    assert capsule_ext.destroyed_count() == before  # still owned through the scipy object
    np.testing.assert_array_equal(scipy.ndimage.geometric_transform(IMAGE, scipy_cb),
                                  scipy.ndimage.shift(IMAGE, 1.0, order=3, mode="constant"))
    del scipy_cb
    gc.collect()
    assert capsule_ext.destroyed_count() == before + 1


def test_unnamed_capsule_needs_a_signature(capsule_ext):
    _fn, data = capsule_ext.get_transform(1.0)
    with pytest.raises(ValueError, match="no name"):
        LowLevelCallable(data)


# ------------------------------------------------------------------ Cython (seed 001)

CYTHON_MODULE = r"""
from cpython.pycapsule cimport PyCapsule_New, PyCapsule_GetPointer
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.math cimport exp

cdef api double c_integrand(double x, void *user_data) noexcept:
    cdef double a = (<double *>user_data)[0]
    return exp(-a * x * x)

cdef void free_a(object capsule) noexcept:
    PyMem_Free(PyCapsule_GetPointer(capsule, NULL))

def pack_a(double a):
    cdef double *a_ptr = <double *>PyMem_Malloc(sizeof(double))
    a_ptr[0] = a
    return PyCapsule_New(<void *>a_ptr, NULL, free_a)

def integrand_capsule():
    return PyCapsule_New(<void *>c_integrand, "double (double, void *)", NULL)
"""


@pytest.fixture(scope="module")
def cython_module(native):
    return native.extension("gauss_cy", CYTHON_MODULE, language="cython")


def test_cython_capsule_route_seed_001(cython_module):
    a = 2.0
    ours = LowLevelCallable(cython_module.integrand_capsule(), cython_module.pack_a(a))
    theirs = scipy.LowLevelCallable(cython_module.integrand_capsule(), cython_module.pack_a(a))
    expected = scipy.integrate.quad(theirs, -np.inf, np.inf)
    assert scipy.integrate.quad(ours.to_scipy(), -np.inf, np.inf) == expected
    assert expected[0] == pytest.approx(np.sqrt(np.pi / a), rel=1e-10)


def test_from_cython(cython_module):
    ours = LowLevelCallable.from_cython(cython_module, "c_integrand", cython_module.pack_a(3.0))
    assert _core.Signature(ours.signature).same_abi(_core.Signature("double (double, void *)"))
    assert nativecall.call(ours, 0.5) == pytest.approx(np.exp(-0.75))
    with pytest.raises(ValueError, match="no function 'nope'.*c_integrand"):
        LowLevelCallable.from_cython(cython_module, "nope")
    with pytest.raises(ValueError, match="not a Cython module"):
        LowLevelCallable.from_cython(np, "c_integrand")


# ------------------------------------------------------------------ numba (seed 002)

def test_numba_cfunc_and_its_ctypes(clib):
    transform = numba_seed_kernels().transform

    shift = ctypes.c_double(0.5)
    ptr = ctypes.cast(ctypes.pointer(shift), ctypes.c_void_p)
    want = scipy.ndimage.geometric_transform(IMAGE, scipy.LowLevelCallable(transform.ctypes, user_data=ptr))
    for route in (transform, transform.ctypes):
        ours = LowLevelCallable(route, user_data=ptr)
        assert _core.Signature(ours.signature).same_abi(
            _core.Signature("int (intptr_t *, double *, int, int, void *)"))
        np.testing.assert_array_equal(scipy.ndimage.geometric_transform(IMAGE, ours.to_scipy()), want)
    assert LowLevelCallable(transform).thread_safe
    assert not LowLevelCallable(clib.scaled).thread_safe


def test_abi_equal_spelling_that_scipy_refuses_is_accepted(clib):
    """scipy compares strings: 'ssize_t *' is refused although it is intptr_t's ABI."""
    spelling = "int (ssize_t *, double *, int, int, void *)"
    shift = ctypes.c_double(0.5)
    data = ctypes.c_void_p(ctypes.addressof(shift))
    with pytest.raises(ValueError, match="Invalid scipy.LowLevelCallable signature"):
        scipy.ndimage.geometric_transform(IMAGE, scipy.LowLevelCallable(clib.shift_mapping, data, spelling))
    ours = LowLevelCallable(clib.shift_mapping, data, spelling)
    assert ours.signature == spelling
    assert ours.c_signature == "int (intptr_t *, double *, int, int, void *)"
    np.testing.assert_array_equal(scipy.ndimage.geometric_transform(IMAGE, ours.to_scipy()),
                                  scipy.ndimage.shift(IMAGE, 0.5, order=3, mode="constant"))


# ------------------------------------------------------------------ scipy -> ours, protocol, nesting

def test_scipy_lowlevelcallable_into_ours(clib):
    a = ctypes.c_double(5.0)
    theirs = scipy.LowLevelCallable(clib.scaled, ctypes.c_void_p(ctypes.addressof(a)))
    ours = LowLevelCallable(theirs)
    assert ours.signature == theirs.signature
    assert ours.user_data_address == ctypes.addressof(a)
    assert nativecall.call(ours, 2.0) == 10.0
    again = LowLevelCallable(ours)
    assert (again.address, again.user_data_address, again.signature) == (ours.address, ours.user_data_address,
                                                                          ours.signature)


class ThirdPartyJit:
    """A stand-in for another compiler that follows the native-callback protocol."""

    def __init__(self, fn):
        self.fn = fn

    def __nativecall_callback__(self):
        return {"address": ctypes.cast(self.fn, ctypes.c_void_p).value, "signature": "float64(float64)",
                "thread_safe": True, "name": "square"}


def test_protocol_objects_plug_in(clib):
    cb = LowLevelCallable(ThirdPartyJit(clib.square))
    assert cb.thread_safe and cb.signature == "float64(float64)"
    assert nativecall.call(cb, 3.0) == 9.0
    assert "square" in repr(cb)
    assert scipy.integrate.quad(cb.to_scipy(), 0, 3)[0] == pytest.approx(9.0)


def test_as_callback_routes():
    assert nativecall.as_callback(len) is len
    with pytest.raises(TypeError, match="'integrand' must be a Python callable or a native callback"):
        nativecall.as_callback(3.0, what="integrand")
    with pytest.raises(TypeError, match="'integrand' must be .* got NoneType"):
        nativecall.as_callback(None, what="integrand")
    with pytest.raises(TypeError, match="function must be a native callback .* got NoneType"):
        LowLevelCallable(None)


def test_objects_answering_every_attribute_stay_python_callables():
    from unittest.mock import Mock
    mock = Mock(return_value=2.5)
    assert nativecall.as_callback(mock) is mock
    assert nativecall.call(mock, 1.0) == 2.5


def _protocol(**info):
    class Kernel:
        def __nativecall_callback__(self):
            return info
    return Kernel()


@pytest.mark.parametrize("info, error, message", [
    ({"signature": "double (double)"}, ValueError, "returned no 'address'"),
    ({"address": 1.7, "signature": "double (double)"}, TypeError, r"\['address'\] must be an int address"),
    ({"address": -1, "signature": "double (double)"}, ValueError, r"\['address'\] must be an address in \[1, 2\*\*64\)"),
    ({"address": 2 ** 70, "signature": "double (double)"}, ValueError, "must be an address"),
    ({"address": 4096, "signature": b"double (double)"}, TypeError, r"\['signature'\] must be a str"),
    ({"address": 4096, "signature": "double (double)", "user_data": "abc"}, TypeError, r"\['user_data'\]"),
    ({"address": 4096, "signature": "double (double)", "thread_safe": "false"}, TypeError,
     r"\['thread_safe'\] must be a bool"),
    ({"address": 4096, "signature": "double (double)", "name": None}, TypeError, r"\['name'\] must be a str"),
])
def test_protocol_results_are_validated(info, error, message):
    with pytest.raises(error, match=message):
        LowLevelCallable(_protocol(**info))


def test_protocol_must_return_a_mapping():
    class Kernel:
        def __nativecall_callback__(self):
            return [("address", 1)]
    with pytest.raises(TypeError, match="must return a mapping"):
        LowLevelCallable(Kernel())


def test_attributes_are_read_only(clib):
    cb = LowLevelCallable(clib.square)
    for name in ("function", "user_data", "signature"):
        with pytest.raises(AttributeError):
            setattr(cb, name, None)


def test_call_passes_user_data_for_any_void_pointer_spelling(clib):
    value = ctypes.c_double(2.0)
    for spelling in ("double (double, void *)", "float64(float64, voidptr)"):
        cb = LowLevelCallable(clib.scaled, ctypes.pointer(value), spelling)
        assert nativecall.call(cb, 3.0) == 6.0


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("signature, message", [
    ("double (double,, void *)", r"at position 15: expected a type, found ','"),
    ("double (doubel)", r"unknown type name 'doubel'"),
    ("double", r"expected '\(' to open the parameter list"),
    ("double complex (double complex)", r"type 'double complex' cannot appear in a native callback signature"),
])
def test_malformed_signature_is_a_value_error_with_a_caret(clib, signature, message):
    with pytest.raises(ValueError, match=message) as info:
        LowLevelCallable(clib.square, signature=signature)
    assert "^" in str(info.value)


@pytest.mark.parametrize("function, error, message", [
    (3, TypeError, "function must be a native callback"),
    ("double (double)", TypeError, "function must be a native callback"),
])
def test_bad_function_is_a_clear_error(function, error, message):
    with pytest.raises(error, match=message):
        LowLevelCallable(function)


def test_bad_user_data_and_signature_types(clib):
    with pytest.raises(TypeError, match="user_data must be .* got int.*ctypes.c_void_p"):
        LowLevelCallable(clib.scaled, 12345)
    with pytest.raises(TypeError, match="signature must be a str"):
        LowLevelCallable(clib.scaled, None, 5)


def test_mismatch_message_names_the_first_difference():
    given = _core.Signature("long (longlong *, double *, long, long, void *)")
    accepted = [_core.Signature("int (intptr_t *, double *, int, int, void *)")]
    with pytest.raises(ValueError) as info:
        _core.select_signature(given, accepted, "the mapping of geometric_transform")
    text = str(info.value)
    assert "the mapping of geometric_transform has signature 'long (longlong *, double *, long, long, void *)'" in text
    assert "return type: got 'long' (64-bit signed integer), expected 'int' (32-bit signed integer)" in text


def test_call_checks_argument_count_and_types(clib):
    cb = LowLevelCallable(clib.square)
    with pytest.raises(TypeError, match="takes 1 argument"):
        nativecall.call(cb, 1.0, 2.0)
    with pytest.raises(TypeError, match="argument 1: expected a float"):
        nativecall.call(cb, "x")
    with pytest.raises(OverflowError, match="too large"):
        nativecall.call(cb, 10 ** 400)


# ------------------------------------------------------------------ Python callables: the slow path

def test_python_exception_propagates_unchanged():
    class Custom(Exception):
        pass

    error = Custom("from the integrand")

    def integrand(x):
        raise error

    with pytest.raises(Custom) as info:
        nativecall.call(integrand, 1.0)
    assert info.value is error
    frames = [frame.name for frame in traceback.extract_tb(info.tb)]
    assert frames[-1] == "integrand"


def test_python_callable_result_passes_through():
    assert nativecall.call(lambda x, y: x * y, 3.0, 4.0) == 12.0


# ------------------------------------------------------------------ lifetime

def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_creating_and_dropping_100000_callables_leaks_nothing(clib, capsule_ext):
    value = ctypes.c_double(1.0)

    def churn(n):
        for _ in range(n):
            fn, data = capsule_ext.get_transform(0.5)
            LowLevelCallable(fn, data).to_capsule()
            LowLevelCallable(clib.scaled, ctypes.pointer(value))

    churn(10_000)  # warm caches and allocator pools
    gc.collect()
    before, destroyed_before = _rss_bytes(), capsule_ext.destroyed_count()
    churn(100_000)
    gc.collect()
    assert capsule_ext.destroyed_count() - destroyed_before == 100_000
    assert _rss_bytes() - before < 4 * 1024 * 1024


def test_import_is_light():
    import subprocess
    code = "import sys, nativecall; print('numpy' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_routines_quote_the_users_own_spelling_on_mismatch(clib):
    from nativecall import ndimage
    spelling = "long (longlong *, double *, long, long, void *)"
    cb = LowLevelCallable(clib.shift_mapping, None, spelling)
    with pytest.raises(ValueError) as info:
        ndimage.geometric_transform(IMAGE, cb)
    text = str(info.value)
    assert f"'{spelling}'" in text
    assert "return type: got 'long' (64-bit signed integer), expected 'int' (32-bit signed integer)" in text


def test_cores_are_the_online_cpus_on_every_call():
    # Counted once per process: the count must still be the system's (os.cpu_count also counts online CPUs).
    import os
    assert [nativecall._core.hardware_workers() for _ in range(3)] == [os.cpu_count()] * 3


@pytest.mark.parametrize("workers, expected", [(None, 0), (1, 1), (3, 3), (-1, -1)])
def test_workers_values(workers, expected):
    assert nativecall.lowlevel.workers_value(workers, "quad_batch") == expected


@pytest.mark.parametrize("workers, error", [(0, ValueError), (-10_000, ValueError), (1.5, TypeError),
                                            ("2", TypeError)])
def test_bad_workers_are_clear_errors(workers, error):
    with pytest.raises(error, match="quad_batch: workers"):
        nativecall.lowlevel.workers_value(workers, "quad_batch")


def test_routines_do_not_keep_callbacks_alive(native):
    """Routines remember resolved callbacks per object, but never keep the object alive."""
    import weakref
    from nativecall import integrate, ndimage

    lib = native.ctypes_library("double sq(double x) { return x * x; }\n"
                                "int first(double *v, long n, double *r, void *d) { r[0] = v[0]; return 1; }")

    @nativecall.cfunc("float64(float64)")
    def cube(x):
        return x * x * x

    fn = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(("sq", lib))
    first = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_long,
                             ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)(("first", lib))
    assert integrate.quad(fn, 0, 1)[0] == pytest.approx(1 / 3)
    assert integrate.quad(fn, 0, 2)[0] == pytest.approx(8 / 3)  # the remembered form is reused
    assert integrate.quad(cube, 0, 1)[0] == pytest.approx(1 / 4)
    ndimage.generic_filter(np.ones(5), first, size=3)
    refs = [weakref.ref(x) for x in (fn, cube, first)]
    del fn, cube, first
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


# ------------------------------------------------------------------ routines resolve a ctypes pointer once

def test_ctypes_pointers_are_resolved_once_per_pointer_and_argtypes(monkeypatch):
    """ctypes function pointers are unhashable: remembered by id, per argtypes/restype, never kept alive."""
    from nativecall import lowlevel
    libm = ctypes.CDLL("libm.so.6")
    cos = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(("cos", libm))
    resolved = []
    original = lowlevel._native_of

    def counting(obj, signature):
        resolved.append(type(obj).__name__)   # not obj: the test checks nothing keeps it alive
        return original(obj, signature)

    monkeypatch.setattr(lowlevel, "_native_of", counting)
    first = lowlevel.as_callback_cached(cos)
    assert lowlevel.as_callback_cached(cos) is first and len(resolved) == 1
    assert nativecall.integrate.quad(cos, 0.0, 1.0)[0] == pytest.approx(np.sin(1.0), rel=1e-14)

    # Reassigned types are a different callback: resolved again, with the new signature.
    cos.restype = ctypes.c_float
    again = lowlevel.as_callback_cached(cos)
    assert len(resolved) == 2 and again is not first
    assert _core.Signature(again.signature).same_abi(_core.Signature("float (double)"))

    # The entry goes with the pointer.
    key = id(cos)
    assert key in lowlevel._resolved_by_id
    del cos, first, again
    gc.collect()
    assert key not in lowlevel._resolved_by_id
