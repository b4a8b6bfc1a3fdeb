"""Compile errors name file, line and column and say what was found and expected; runtime errors become exceptions."""

import numpy as np
import pytest
from source_positions import line_of

import nativecall
from nativecall import cfunc
from nativecall.jit import CompileError


def adds_pointer(x, p):
    return x + p


def test_type_error_names_file_line_column_and_types():
    with pytest.raises(CompileError) as info:
        cfunc("float64(float64, CPointer(float64))")(adds_pointer)
    e = info.value
    line, column = line_of(adds_pointer, "x + p")
    assert e.filename == __file__
    assert (e.lineno, e.column) == (line, column)
    assert e.message == "cannot add float64 and CPointer(float64)"
    text = str(e)
    assert f'line {line}, column {column}' in text
    assert "return x + p" in text and "^" in text


def test_nested_function_columns_count_the_removed_indentation():
    def inner(x):
        return x.real

    with pytest.raises(CompileError) as info:
        cfunc("float64(float64)")(inner)
    line, column = line_of(inner, "x.real")
    assert (info.value.lineno, info.value.column) == (line, column)
    assert "has no attribute 'real'" in info.value.message


@pytest.mark.parametrize("source, message", [
    ("def f(x):\n    return lambda: x\n", "lambda expressions are not supported"),
    ("def f(x):\n    return [y for y in x]\n", "lists are not supported"),
    ("def f(x):\n    class A: pass\n    return x\n", "class definitions are not supported"),
    ("def f(x):\n    try:\n        pass\n    except Exception:\n        pass\n    return x\n", "'try' statements"),
    ("def f(x):\n    with x:\n        pass\n    return x\n", "'with' statements are not supported"),
    ("def f(x):\n    raise ValueError\n", "'raise' statements are not supported"),
    ("def f(x):\n    global g\n    return x\n", "'global' declarations are not supported"),
    ("def f(x):\n    return x[1:]\n", "slicing is not supported"),
    ("def f(x):\n    return x @ x\n", "matrix multiplication"),
    ("def f(x):\n    return f'{x}'\n", "f-strings are not supported"),
    ("def f(x):\n    return undefined\n", "name 'undefined' is not defined"),
    ("def f(x):\n    y = x\n    y = (x, x)\n    return x\n", "cannot also hold Tuple(float64, float64)"),
    ("def f(x):\n    if x > 0:\n        return x\n", "can reach its end without returning a value"),
    ("def f(x, y):\n    return x\n", "takes 2 parameter(s) but the signature"),
    ("import math\ndef f(x):\n    return math.frexp(x)\n", "math.frexp is not supported"),
    ("def f(x):\n    return min(x)\n", "cannot call min() with arguments (float64)"),
    ("def f(x):\n    for i in x:\n        pass\n    return x\n", "cannot iterate over float64"),
    ("def f(x):\n    print(x)\n    return x\n", "the Python builtin 'print' is not supported"),
    ("def f(x):\n    for c in (x, 1, True):\n        x += c\n    return x\n",
     "only tuples of one number type can be looped over, not Tuple(float64, int64, bool)"),
])
def test_unsupported_and_wrong_programs_are_named(source, message):
    with pytest.raises(CompileError) as info:
        cfunc("float64(float64)", source=source)
    assert message in str(info.value)
    assert info.value.lineno >= 1 and info.value.column >= 1


def test_bad_signature_is_a_value_error():
    with pytest.raises(ValueError):
        cfunc("float64(float64", source="def f(x):\n    return x\n")


def test_function_without_source_suggests_source_argument():
    namespace = {}
    exec("def f(x):\n    return x\n", namespace)
    with pytest.raises(CompileError, match="source="):
        cfunc("float64(float64)")(namespace["f"])


def divide(a, b):
    return a // b


def index(p, i):
    return nativecall.carray(p, (3,))[i]


def test_runtime_integer_division_by_zero_raises_after_the_call():
    f = cfunc("int64(int64, int64)")(divide)
    with pytest.raises(ZeroDivisionError):
        f(1, 0)
    assert f(7, 2) == 3   # the record was cleared


def test_out_of_bounds_raises_index_error_only_in_debug_mode():
    data = np.arange(3.0)
    checked = cfunc("float64(CPointer(float64), int64)", debug=True)(index)
    assert checked(data, -1) == 2.0
    with pytest.raises(IndexError):
        checked(data, 3)
    unchecked = cfunc("float64(CPointer(float64), int64)")(index)
    assert unchecked(data, 2) == 2.0


def test_range_with_zero_step_raises_value_error():
    def f(n):
        total = 0
        for i in range(0, n, 0):
            total += i
        return total

    with pytest.raises(ValueError, match="must not be zero"):
        cfunc("int64(int64)")(f)(5)


def scaled_gaussian(x, data):
    scale = nativecall.carray(data, (1,), dtype=nativecall.types.float64)
    return np.exp(-scale[0] * x * x)


def min_times_user_scale(values, n, result, data):
    scale = nativecall.carray(data, 1, dtype=nativecall.types.float64)
    result[0] = np.inf
    for i in range(n):
        result[0] = min(result[0], values[i] * scale[0])
    return 1


def test_view_over_null_pointer_is_a_value_error_not_a_crash():
    """A forgotten user_data reaches carray as NULL: each caller gets a ValueError."""
    import scipy.integrate
    import nativecall.integrate as ni
    import nativecall.ndimage as nn
    f = cfunc("float64(float64, voidptr)")(scaled_gaussian)
    message = "NULL pointer"
    with pytest.raises(ValueError, match=message):
        f(1.0, None)
    with pytest.raises(ValueError, match=message):
        ni.quad(f, 0, 1)                     # the vectorised loop entry
    with pytest.raises(ValueError, match=message):
        ni.quad_batch(f, 0, np.arange(1.0, 5.0), workers=2)
    kernel = cfunc("intc(CPointer(float64), intp, CPointer(float64), voidptr)")(min_times_user_scale)
    for workers in (1, 2):
        with pytest.raises(ValueError, match=message):
            nn.generic_filter(np.ones((6, 5)), kernel, size=2, workers=workers)
    # With the data given, the checked code computes what scipy computes with the same callable.
    scale = np.array([2.0])
    given = nativecall.LowLevelCallable(f, scale)
    expected = scipy.integrate.quad(given.to_scipy(), -np.inf, np.inf)
    value, abserr = ni.quad(given, -np.inf, np.inf)
    assert value == pytest.approx(expected[0], rel=1e-14)
    assert abserr == pytest.approx(expected[1], rel=1e-6)   # libmvec's exp moves the estimate's last bits
    assert f(1.0, scale.ctypes.data) == np.exp(-2.0)


def sum_of_view(data, n):
    view = _carray(data, (n,), dtype=_float64)
    total = 0.0
    for i in range(n):
        total += view[i]
    return total + view.size


def size_of_fview(data, n):
    view = _farray(data, (2, n), dtype=_float64)
    return view.size + 0.0


_carray, _farray, _float64 = nativecall.carray, nativecall.farray, nativecall.types.float64


def test_empty_view_over_null_pointer_is_valid_as_in_numba():
    """numba's carray/farray over NULL with a zero extent is an empty array: only views with elements need data."""
    numba = pytest.importorskip("numba")
    import types as pytypes
    for source in (sum_of_view, size_of_fview):
        names = {"_carray": numba.carray, "_farray": numba.farray, "_float64": numba.types.float64}
        twin = pytypes.FunctionType(source.__code__, {**source.__globals__, **names}, source.__name__)
        expected = numba.cfunc("float64(voidptr, int64)")(twin).ctypes
        ours = cfunc("float64(voidptr, int64)")(source)
        assert ours(None, 0) == expected(None, 0) == 0.0
        data = np.array([1.5, 2.0, 4.0, 8.0])
        assert ours(data.ctypes.data, 2) == expected(data.ctypes.data, 2)
        with pytest.raises(ValueError, match="NULL pointer"):
            ours(None, 1)


def test_null_view_inside_a_jitable_raises_for_the_whole_call():
    from nativecall.extending import jitable

    @jitable
    def first(data):
        return nativecall.carray(data, (1,), dtype=nativecall.types.float64)[0]

    def f(x, data):
        return x + first(data)

    g = cfunc("float64(float64, voidptr)")(f)
    with pytest.raises(ValueError, match="NULL pointer"):
        g(1.0, None)
    assert g(1.0, np.array([2.5]).ctypes.data) == 3.5


def test_null_view_made_by_a_jitable_is_an_error_where_its_caller_uses_it():
    """The helper cannot hand back a usable view, so the error leaves the whole function
    (its caller would index the view it returned and read address 0)."""
    from nativecall.extending import jitable

    @jitable
    def view_of(data):
        return nativecall.carray(data, (2,), dtype=nativecall.types.float64)

    def f(x, data):
        view = view_of(data)
        return x + view[1]

    g = cfunc("float64(float64, voidptr)")(f)
    assert g(1.0, np.array([2.0, 3.0]).ctypes.data) == 4.0
    with pytest.raises(ValueError, match="NULL pointer"):
        g(1.0, None)


def test_call_argument_errors():
    f = cfunc("int64(int64, int64)")(divide)
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(1)
    with pytest.raises(TypeError, match="argument 2: expected an int"):
        f(1, "x")


def test_native_callers_read_the_record_through_the_capsule_api():
    import ctypes
    from nativecall import _jit
    take = ctypes.CFUNCTYPE(ctypes.c_int)(nativecall.LowLevelCallable(_jit.runtime_error_api()).address)
    f = cfunc("int64(int64, int64)")(divide)
    assert f.ctypes(1, 0) == 0          # ctypes does not check the record...
    assert take() == 1                  # ...a native caller does, and clears it
    assert take() == 0


TABLE = np.arange(4.0)


def reads_array_global(i):
    return TABLE[i]


def test_unusable_global_is_named_with_its_type():
    with pytest.raises(CompileError) as info:
        cfunc("float64(int64)")(reads_array_global)
    assert "global 'TABLE' is a numpy.ndarray, which compiled code cannot use" in info.value.message



def test_bare_cfunc_decorator_is_a_clear_error():
    with pytest.raises(TypeError, match=r"cfunc needs the C signature first.*not a bare @cfunc"):
        @cfunc
        def f(x):
            return x
