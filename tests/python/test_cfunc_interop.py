"""cfunc with scipy, numba and the rest of nativecall: seed 002's examples verbatim, quad, ndimage, one process with numba."""
import ctypes
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.integrate as si
from scipy import LowLevelCallable, ndimage

import nativecall
from nativecall import carray, cfunc, types
from nativecall.types import CPointer, float64, intc, intp, voidptr


# ---- seed 002, section 2: an integrand for quad -----------------------------------------

def intergrand(t):
    return np.exp(-t) / (t ** 2)


nb_intergrand = cfunc("float64(float64)")(intergrand)


def do_intergrate(func):
    return si.quad(func, 1, np.inf)


@pytest.mark.parametrize("route", ["ctypes", "to_scipy", "lowlevel_of_ctypes"])
def test_seed_quad_integrand_gives_scipys_result(route):
    expected = do_intergrate(intergrand)
    func = {"ctypes": lambda: nb_intergrand.ctypes,
            "to_scipy": lambda: nb_intergrand.to_scipy(),
            "lowlevel_of_ctypes": lambda: LowLevelCallable(nb_intergrand.ctypes)}[route]()
    assert do_intergrate(func) == pytest.approx(expected, rel=1e-13)


# ---- seed 002, section 3: geometric_transform with user_data -----------------------------

c_sig = types.intc(types.CPointer(types.intp),
                   types.CPointer(types.double),
                   types.intc,
                   types.intc,
                   types.voidptr)


@cfunc(c_sig)
def transform(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = carray(input_ptr, shape=(input_rank, ))
    output_ = carray(output_ptr, shape=(output_rank, ))
    shift = carray(user_data, shape=(1, ), dtype=types.double)[0]
    for i in range(input_rank):
        input_[i] = output_[i] - shift
    return 1


def test_seed_geometric_transform_with_user_data():
    shift = 0.5
    user_data = ctypes.c_double(shift)
    ptr = ctypes.cast(ctypes.pointer(user_data), ctypes.c_void_p)
    callback = LowLevelCallable(transform.ctypes, user_data=ptr)
    im = np.arange(12).reshape(4, 3).astype(np.float64)
    expected = ndimage.geometric_transform(im, lambda o: tuple(c - shift for c in o))
    np.testing.assert_array_equal(ndimage.geometric_transform(im, callback), expected)
    np.testing.assert_array_equal(ndimage.geometric_transform(im, transform.to_scipy(user_data=ptr)), expected)


# ---- seed 002, section 3: nbmin under generic_filter -------------------------------------

c_sig2 = intc(CPointer(float64), intp, CPointer(float64), voidptr)


@cfunc(c_sig2)
def nbmin(values_ptr, len_values, result, data):
    values = carray(values_ptr, shape=(len_values, ), dtype=float64)
    result[0] = np.inf
    for v in values:
        if v < result[0]:
            result[0] = v
    return 1


def test_seed_nbmin_generic_filter_matches_scipy():
    image = np.random.default_rng(0).random((128, 96))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    callback = LowLevelCallable(nbmin.ctypes)
    expected = ndimage.generic_filter(image, function=np.min, footprint=footprint)
    np.testing.assert_array_equal(ndimage.generic_filter(image, function=callback, footprint=footprint), expected)
    np.testing.assert_array_equal(ndimage.generic_filter(image, function=nbmin.to_scipy(), footprint=footprint),
                                  expected)


def test_seed_basic_add_and_ctypes_call():
    @cfunc("float64(float64, float64)")
    def add(x, y):
        return x + y

    assert add.ctypes(4.0, 5.0) == 9.0
    assert add(4.0, 5.0) == 9.0
    assert isinstance(add.address, int) and add.address != 0


def test_user_data_integrand_with_quad():
    @cfunc("double (double, void *)")
    def scaled(x, data):
        a = carray(data, (1,), dtype=float64)[0]
        return np.exp(-a * x * x)

    a = ctypes.c_double(2.0)
    got = si.quad(scaled.to_scipy(ctypes.cast(ctypes.pointer(a), ctypes.c_void_p)), -np.inf, np.inf)
    expected = si.quad(lambda x: np.exp(-2.0 * x * x), -np.inf, np.inf)
    assert got[0] == pytest.approx(expected[0], rel=1e-12)


def test_cffi_pointer_calls_the_same_code():
    pytest.importorskip("cffi")
    fn = nb_intergrand.cffi
    assert fn(2.0) == nb_intergrand(2.0)
    assert nativecall.LowLevelCallable(fn).address == nb_intergrand.address   # the cffi route sees the same code


def test_nativecall_lowlevel_callable_accepts_cfunc_directly():
    llc = nativecall.LowLevelCallable(nb_intergrand)
    assert llc.address == nb_intergrand.address
    assert llc.thread_safe
    assert nb_intergrand.to_lowlevel().c_signature == "double (double)"
    assert nativecall.call(nb_intergrand, 2.0) == nb_intergrand(2.0)


# ---- numba's llvmlite and nativecall's libLLVM-19 in one process -------------------------

def test_numba_and_nativecall_compile_and_run_in_one_process(tmp_path):
    script = textwrap.dedent("""
        import numba, nativecall, math
        @numba.cfunc("float64(float64)")
        def nb(x):
            return math.exp(-x) / x ** 2
        @nativecall.cfunc("float64(float64)")
        def nc(x):
            return math.exp(-x) / x ** 2
        @nativecall.cfunc("float64(float64)")
        def mixed(x):
            return nb(x) + nc(x)
        @numba.njit
        def nb_again(x):
            return x * 3.0
        for x in (0.5, 1.0, 2.5):
            assert nb.ctypes(x) == nc(x), (x, nb.ctypes(x), nc(x))
            assert mixed(x) == 2 * nc(x)
            assert nb_again(x) == x * 3.0
        print("ok")
    """)
    path = tmp_path / "both_llvms.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_nativecall_routines_take_cfuncs_and_report_their_runtime_errors():
    integrate = pytest.importorskip("nativecall.integrate")
    assert integrate.quad(nb_intergrand, 1, np.inf)[0] == pytest.approx(do_intergrate(intergrand)[0], rel=1e-13)

    @cfunc("float64(float64)")
    def bad(t):
        k = int(t * 0)
        return 1 // k + t

    with pytest.raises(ZeroDivisionError):
        integrate.quad(bad, 0, 1)


def test_nativecall_ndimage_takes_cfuncs_directly():
    nd = pytest.importorskip("nativecall.ndimage")
    image = np.random.default_rng(2).random((40, 30))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(nd.generic_filter(image, nbmin, footprint=footprint),
                                  ndimage.generic_filter(image, np.min, footprint=footprint))
