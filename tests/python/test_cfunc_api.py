"""The cfunc object and its entry points: decorator forms, source=, exec'd code, signatures, IR, threads."""
import ctypes
import linecache
import math
import threading

import numpy as np
import pytest

import nativecall
from nativecall import cfunc, types
from nativecall.jit import CFunc


def halve(x):
    return x / 2


@pytest.mark.parametrize("make", [
    lambda: cfunc("float64(float64)")(halve),
    lambda: cfunc("float64(float64)", halve),
    lambda: cfunc(types.float64(types.float64))(halve),
    lambda: cfunc("double (double)")(halve),
])
def test_decorator_forms_and_signature_spellings(make):
    f = make()
    assert isinstance(f, CFunc)
    assert f(3.0) == 1.5
    assert f.signature == "float64(float64)"
    assert f.c_signature == "double (double)"
    assert f.__name__ == "halve" and f.py_func is halve


def test_signature_from_types_matches_numba_spelling():
    sig = types.intc(types.CPointer(types.float64), types.intp, types.CPointer(types.float64), types.voidptr)
    assert str(sig) == "int32(CPointer(float64), int64, CPointer(float64), voidptr)"
    f = cfunc(sig, source="def f(a, n, r, d):\n    r[0] = a[n - 1]\n    return 1\n")
    assert f.signature == str(sig)
    assert f.c_signature == "int (double *, intptr_t, double *, void *)"


def test_numba_signature_objects_are_accepted():
    numba = pytest.importorskip("numba")
    sig = numba.types.float64(numba.types.float64, numba.types.intc)
    f = cfunc(sig, source="def f(x, n):\n    return x * n\n")
    assert f(1.5, 4) == 6.0


def test_source_argument_with_imports_and_several_functions():
    source = ("import math\nimport numpy as np\nfrom numba import carray\n\n"
              "def helper(x):\n    return x\n\n"
              "def g(x):\n    return math.sqrt(x) + np.pi\n")
    f = cfunc("float64(float64)", source=source, name="g")
    assert f(4.0) == 2.0 + math.pi
    with pytest.raises(nativecall.jit.CompileError, match="no function named 'missing'"):
        cfunc("float64(float64)", source=source, name="missing")
    with pytest.raises(nativecall.jit.CompileError, match=r"several functions \(helper, g\); pick one with name="):
        cfunc("float64(float64)", source=source)


def test_functions_from_exec_with_linecache_like_ipython_cells():
    filename = "<ipython-input-7-abc>"
    text = "def cell(x):\n    y = x * 3\n    return y + 1\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    f = cfunc("int64(int64)")(namespace["cell"])
    assert f(4) == 13
    with pytest.raises(nativecall.jit.CompileError) as info:
        bad = "def cell2(x):\n    return x + (1, 2)\n"
        linecache.cache["<cell-2>"] = (len(bad), None, bad.splitlines(True), "<cell-2>")
        exec(compile(bad, "<cell-2>", "exec"), namespace)
        cfunc("int64(int64)")(namespace["cell2"])
    assert info.value.filename == "<cell-2>" and info.value.lineno == 2


def test_attributes_ctypes_llvm_ir_and_repr():
    f = cfunc("float64(float64)")(halve)
    assert ctypes.cast(f.ctypes, ctypes.c_void_p).value == f.address
    assert f.ctypes(5.0) == 2.5
    assert "define double @" in f.llvm_ir and f.inspect_llvm() == f.llvm_ir
    assert "halve" in repr(f) and "float64(float64)" in repr(f)
    info = f.__nativecall_callback__()
    assert info["address"] == f.address and info["thread_safe"] is True


def test_pointer_arguments_take_arrays_addresses_and_none():
    f = cfunc("int64(CPointer(float64))", source="def f(p):\n    return 1 if p else 0\n")
    data = np.zeros(2)
    assert f(data) == 1 and f(data.ctypes.data) == 1 and f(None) == 0
    with pytest.raises(TypeError, match="cannot be passed as 'double \\*'"):
        f(np.zeros(2, dtype=np.float32))


def test_carray_farray_run_as_plain_python_too():
    data = np.arange(6.0)
    view = nativecall.carray(data.ctypes.data, (2, 3), dtype=types.float64)
    assert view[1, 2] == 5.0
    fview = nativecall.farray(data, (3, 2))
    assert fview[1, 0] == 1.0 and fview[0, 1] == 3.0


def test_dtype_spellings_in_carray():
    source = ("import numpy as np\nimport numba\nfrom nativecall import types, carray\n"
              "def f(p):\n    a = carray(p, (2,), dtype=np.float64)\n    b = carray(p, (2,), dtype=numba.types.double)\n"
              "    c = carray(p, (2,), dtype=types.float64)\n    return a[0] + b[1] + c[1]\n")
    f = cfunc("float64(voidptr)", source=source)
    assert f(np.array([1.0, 2.0])) == 5.0


def test_compiles_from_several_threads_at_once():
    results = {}
    errors = []

    def work(k):
        try:
            f = cfunc("int64(int64)", source=f"def f(x):\n    return x * {k} + 1\n")
            results[k] = f(10)
        except Exception as e:   # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == {k: 10 * k + 1 for k in range(8)}


def test_opt_level_zero_gives_the_same_answers():
    source = "def f(n):\n    s = 0.0\n    for i in range(n):\n        s += i ** 0.5\n    return s\n"
    assert cfunc("float64(int64)", source=source, opt_level=0)(50) == cfunc("float64(int64)", source=source)(50)
    with pytest.raises(ValueError, match="opt_level"):
        cfunc("float64(int64)", source=source, opt_level=7)


def test_unknown_options_are_rejected_and_numba_options_accepted():
    assert cfunc("float64(float64)", nopython=True, cache=False)(halve)(1.0) == 0.5
    with pytest.raises(TypeError, match="parallel"):
        cfunc("float64(float64)", parallel=True)


def test_small_int_and_bool_arguments_between_cfuncs_follow_the_c_abi():
    global narrow
    narrow = cfunc("int8(int8, boolean)", source="def narrow(a, flag):\n    return -a if flag else a\n")

    def wide(x):
        return narrow(x, x > 0) * 1000 + narrow(x - 1, False)

    compiled = cfunc("int64(int64)")(wide)
    for x in (-5, 0, 3, 100):
        expected = (-x if x > 0 else x) * 1000 + (x - 1)
        assert compiled(x) == expected


def test_functions_defined_in_ipython_cells():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    result = shell.run_cell("import nativecall, math\n"
                            "@nativecall.cfunc('float64(float64)')\n"
                            "def cell_fn(x):\n"
                            "    return math.sqrt(x) * 2\n"
                            "value = cell_fn(9.0)\n", store_history=True)
    result.raise_error()
    assert shell.user_ns["value"] == 6.0
    result = shell.run_cell("@nativecall.cfunc('float64(float64)')\n"
                            "def bad(x):\n"
                            "    return x.imag\n", store_history=True)
    assert isinstance(result.error_in_exec, nativecall.jit.CompileError)
    assert result.error_in_exec.lineno == 3 and "has no attribute 'imag'" in str(result.error_in_exec)


def test_cfunc_objects_are_collected_with_their_code():
    import gc
    import weakref
    f = cfunc("float64(float64)")(halve)
    f.ctypes   # a reference cycle through the ctypes object must not keep it alive forever
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("signature, source, args, expected", [
    ("float64()", "def f():\n    return 3.5\n", (), 3.5),
    ("void()", "def f():\n    pass\n", (), None),
    ("voidptr(CPointer(float64))", "def f(p):\n    return p\n", (4096,), 4096),
    ("CPointer(float64)(CPointer(float64), int64)", "def f(p, n):\n    return p if n else p\n", (64, 1), 64),
    ("uint8(uint8)", "def f(x):\n    return x + 250\n", (10,), (10 + 250) % 256),
])
def test_edge_signatures(signature, source, args, expected):
    assert cfunc(signature, source=source)(*args) == expected


def test_calls_with_many_arguments():
    params = ", ".join(f"a{i}" for i in range(12))
    source = f"def f({params}):\n    return " + " + ".join(f"a{i} * {i}" for i in range(12)) + "\n"
    signature = "float64(" + ", ".join(["float64", "int32"] * 6) + ")"
    args = [float(i) if i % 2 == 0 else i for i in range(12)]
    assert cfunc(signature, source=source)(*args) == sum(a * i for i, a in enumerate(args))
