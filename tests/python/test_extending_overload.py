"""nativecall.extending.overload: implementations chosen by argument types, for Python functions, builtins and operators."""
import math
import operator

import pytest

from nativecall import _jit, cfunc, types
from nativecall.extending import jitable, overload
from nativecall.jit import CompileError
from source_positions import line_of


def dot(a, b):
    """The reference: what the overloads below implement for compiled code."""
    if isinstance(a, tuple):
        return sum(x * y for x, y in zip(a, b))
    return a * b


@overload(dot)
def dot_of_numbers(a, b):
    if a in (types.float64, types.int64) and b in (types.float64, types.int64):
        def impl(a, b):
            return a * b
        return impl
    return None


@overload(dot)
def dot_of_triples(a, b):
    if isinstance(a, types.Tuple) and isinstance(b, types.Tuple) and a.count == b.count == 3:
        def impl(a, b):
            return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
        return impl
    return None


seen_by_sub = []


@overload(operator.sub)
def difference_of_triples(a, b):
    seen_by_sub.append((a, b))
    if isinstance(a, types.Tuple) and isinstance(b, types.Tuple) and a.count == b.count == 3:
        def impl(a, b):
            return (a[0] - b[0], a[1] - b[1], a[2] - b[2])
        return impl
    return None


def py_sub3(a, b):
    return tuple(x - y for x, y in zip(a, b))


def test_the_overload_for_the_argument_types_is_compiled_inline():
    def mixed(x, y):
        return dot((x, y, 1.0), (y, x, 2.0)) + dot(x, 3)

    compiled = cfunc("float64(float64, float64)")(mixed)
    for x, y in ((1.5, -2.0), (0.0, 0.0), (1e10, 3.25)):
        assert compiled(x, y) == (x * y + y * x + 2.0) + x * 3   # dot's meaning, as CPython computes it
        assert compiled(x, y) == dot((x, y, 1.0), (y, x, 2.0)) + x * 3


def test_an_operator_overload_serves_only_what_the_builtins_reject():
    def length_of_difference(x, y):
        d = (x, y, 2.0) - (1.0, 1.0, 1.0)
        return math.sqrt(dot(d, d)) - (x - y)   # x - y stays the builtin float subtraction

    compiled = cfunc("float64(float64, float64)")(length_of_difference)
    for x, y in ((4.0, 5.0), (-1.0, 0.5)):
        d = py_sub3((x, y, 2.0), (1.0, 1.0, 1.0))
        assert compiled(x, y) == math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) - (x - y)
    numbers = {"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
               "float64"}
    # Never asked about two numbers (other tests in the process may ask it about pointers and such).
    assert seen_by_sub and not any(a.name in numbers and b.name in numbers for a, b in seen_by_sub)


subtract = operator.sub


def test_operator_functions_are_callable_by_name_once_overloaded():
    def by_name(x):
        return subtract((x, x, x), (1.0, 2.0, 3.0))[2]

    # From Python, operator.sub keeps its meaning (tuples do not subtract); compiled, the overload serves it.
    assert cfunc("float64(float64)")(by_name)(10.0) == py_sub3((10.0, 10.0, 10.0), (1.0, 2.0, 3.0))[2]
    with pytest.raises(TypeError):
        by_name(10.0)


def test_a_builtin_gains_an_overload_for_new_argument_types():
    @overload(abs)
    def abs_of_pair(t):
        if isinstance(t, types.Tuple) and t.count == 2 and t.dtype == types.float64:
            def impl(t):
                return math.hypot(t[0], t[1])
            return impl
        return None

    def magnitude(x, y):
        return abs((x, y)) + abs(-x)

    compiled = cfunc("float64(float64, float64)")(magnitude)
    assert compiled(3.0, 4.0) == math.hypot(3.0, 4.0) + 3.0


def test_the_first_overload_that_accepts_wins_and_later_ones_see_what_earlier_ones_declined():
    def pick(x):
        return x

    @overload(pick)
    def first(x):
        if x == types.int64:
            return lambda_free_int
        return None

    @overload(pick)
    def second(x):
        def impl(x):
            return x * 2.0
        return impl

    def use(n, x):
        return pick(n) + pick(x)

    assert cfunc("float64(int64, float64)")(use)(5, 1.5) == 5 + 1 + 3.0


def lambda_free_int(x):
    return x + 1


def test_each_typing_function_is_asked_once_per_argument_types():
    asked = []

    def twice(x):
        return 2 * x

    @overload(twice)
    def typer(x):
        asked.append(x)

        def impl(x):
            return x + x
        return impl

    def use(x, n):
        return twice(x) + twice(n) + twice(x * 2.0)

    for _ in range(3):
        assert cfunc("float64(float64, int64)")(use)(1.25, 3) == use(1.25, 3)
    assert sorted(str(t) for t in asked) == ["float64", "int64"]


def test_overload_implementations_may_call_jitables_and_other_overloads():
    @jitable
    def cube(x):
        return x * x * x

    def cubes(t):
        return t

    @overload(cubes)
    def cubes_of_triple(t):
        if isinstance(t, types.Tuple) and t.count == 3:
            def impl(t):
                return dot((cube(t[0]), cube(t[1]), cube(t[2])), (1.0, 1.0, 1.0))
            return impl
        return None

    def use(x):
        return cubes((x, x + 1.0, 2.0))

    assert cfunc("float64(float64)")(use)(2.0) == 8.0 + 27.0 + 8.0


# ---------------------------------------------------------------- errors


def raising(x):
    return x


@overload(raising)
def raising_typer(x):
    raise ValueError("no implementation for you")


def test_a_typing_function_that_raises_is_a_compile_error_at_the_call_site_with_the_cause_chained():
    def use(x):
        return raising(x) + 1.0

    with pytest.raises(CompileError) as info:
        cfunc("float64(float64)")(use)
    error = info.value
    assert (error.lineno, error.column) == line_of(use, "raising(x)")
    assert "raising_typer() of overload raising raised ValueError: no implementation for you" in error.message
    assert "(arguments: float64)" in error.message
    assert isinstance(error.__cause__, ValueError) and str(error.__cause__) == "no implementation for you"
    # The failure is not remembered: the next compile asks again and fails the same way.
    with pytest.raises(CompileError, match="no implementation for you"):
        cfunc("float64(float64)")(use)


def interruptible(x):
    return x


_interruptions = [KeyboardInterrupt(), SystemExit(3)]


@overload(interruptible)
def interruptible_typer(x):
    if _interruptions:
        raise _interruptions.pop(0)

    def impl(x):
        return x * 4.0
    return impl


def test_an_interrupt_in_a_typing_function_ends_the_compile_as_itself():
    # Ctrl-C (or sys.exit) while a typing function runs is not a CompileError with an empty message.
    def use(x):
        return interruptible(x)

    with pytest.raises(KeyboardInterrupt):
        cfunc("float64(float64)")(use)
    with pytest.raises(SystemExit) as info:
        cfunc("float64(float64)")(use)
    assert info.value.code == 3
    assert cfunc("float64(float64)")(use)(2.5) == use(2.5) * 4.0   # not remembered: asked again


def test_a_typing_function_must_return_a_function_or_none():
    def confused(x):
        return x

    @overload(confused)
    def returns_a_number(x):
        return 42

    def use(x):
        return confused(x)

    with pytest.raises(CompileError, match=r"returns_a_number\(\) of overload .*confused returned int for arguments "
                                           r"\(float64\); it must return a Python function"):
        cfunc("float64(float64)")(use)


def test_declined_calls_and_wrong_arity_implementations_are_compile_errors():
    def use(p):
        return dot(p, p)

    with pytest.raises(CompileError, match=r"cannot call .*dot\(\) with arguments \(voidptr, voidptr\)"):
        cfunc("float64(voidptr)")(use)

    def unary(x):
        return x

    @overload(unary)
    def two_parameter_impl(x):
        def impl(a, b):
            return a + b
        return impl

    def use_unary(x):
        return unary(x)

    with pytest.raises(CompileError, match=r"impl\(\) takes 2 arguments, 1 given"):
        cfunc("float64(float64)")(use_unary)


def test_overload_rejects_what_it_cannot_extend():
    with pytest.raises(TypeError, match="overload\\(\\) takes a Python function"):
        overload(42)
    with pytest.raises(TypeError, match="cannot add implementations"):
        overload(jitable(lambda_free_int))
    with pytest.raises(TypeError, match="decorates a typing function"):
        overload(dot)(3)


# ---------------------------------------------------------------- declarations are reused


def test_compiling_a_jitable_user_again_and_again_does_not_grow_the_compiler_tables():
    @jitable
    def smooth(x):
        return x * x * (3.0 - 2.0 * x)

    def use(x):
        return smooth(x) + dot(x, 2.0)

    def rss_mib():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 2 ** 20

    for _ in range(50):   # warm up allocator pools
        cfunc("float64(float64)", opt_level=0)(use)
    specialisations, rss = _jit.jitable_specialisation_count(), rss_mib()
    for _ in range(500):
        compiled = cfunc("float64(float64)", opt_level=0)(use)
    assert compiled(0.5) == use(0.5) == 0.5 + 1.0
    assert _jit.jitable_specialisation_count() == specialisations
    assert rss_mib() - rss < 16


def test_threads_compiling_with_python_typing_functions_neither_deadlock_nor_mix_answers():
    import threading

    def scaled(x):
        return x

    @overload(scaled)
    def scaled_typer(x):
        def impl(x):
            return x * 3
        return impl

    def use(x, n):
        return scaled(x) + scaled(n) + dot((x, x, x), (1.0, 2.0, 3.0))

    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(cfunc("float64(float64, int64)", opt_level=0)(use)(1.5, 2))
        except Exception as e:   # surfaced by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [1.5 * 3 + 2 * 3 + 1.5 * 6] * 20


def test_typing_functions_see_arrays_and_pointers_as_nativecall_types():
    import numpy as np

    from nativecall import carray

    seen = []

    def total(a):
        return float(np.sum(a))

    @overload(total)
    def total_typer(a):
        seen.append(a)
        if isinstance(a, types.Array) and a.ndim == 1 and a.dtype == types.float64:
            def impl(a):
                s = 0.0
                for v in a:
                    s += v
                return s
            return impl
        if isinstance(a, types.CPointer) and a.dtype == types.float64:
            def impl(a):
                return a[0]
            return impl
        return None

    def use(p, n):
        return total(carray(p, (n,))) + total(p)

    values = np.array([0.5, 1.5, -2.0, 8.0])
    assert cfunc("float64(CPointer(float64), int64)")(use)(values, 4) == values.sum() + values[0]
    assert [str(t) for t in seen] == ["array(float64, 1d, C)", "CPointer(float64)"]


def test_typing_functions_see_structs_as_records_with_their_layout():
    import ctypes

    class Pair(ctypes.Structure):
        _fields_ = [("flag", ctypes.c_bool), ("x", ctypes.c_double * 3), ("n", ctypes.POINTER(ctypes.c_int32))]

    pair_type = types.from_ctypes(Pair)
    seen = []

    def weight(r):
        return 0.0

    @overload(weight)
    def weight_typer(r):
        seen.append(r)
        if isinstance(r, types.Record) and "x" in r.offsets:
            def impl(r):
                return r.x[0] + r.x[2] if r.flag else -1.0
            return impl
        return None

    def use(p):
        return weight(p[0])

    pair = Pair(True, (ctypes.c_double * 3)(1.5, 0.0, 2.25))
    assert cfunc(types.float64(types.CPointer(pair_type)))(use)(ctypes.addressof(pair)) == 1.5 + 2.25
    (received,) = seen
    assert isinstance(received, types.Record) and received == pair_type
    assert received.fields == pair_type.fields and received.size == ctypes.sizeof(Pair)
    assert received.offsets == {name: getattr(Pair, name).offset for name in ("flag", "x", "n")}


def test_methods_of_a_struct_type_take_the_struct_reference_first():
    import numpy as np

    from nativecall.extending import overload_method

    point_type = types.from_dtype(np.dtype([("x", np.float64), ("y", np.float32)], align=True))

    @overload_method(point_type, "scaled_sum")
    def point_scaled_sum(p, k):
        def impl(p, k):
            p.x *= k                  # a reference: the write reaches memory
            return p.x + p.y
        return impl

    def use(ptr):
        return ptr[1].scaled_sum(2.0) + ptr[0].scaled_sum(3)

    points = np.zeros(2, point_type.dtype)
    points["x"], points["y"] = [1.0, -2.5], [0.5, 4.0]
    expected = (-2.5 * 2.0 + np.float32(4.0)) + (1.0 * 3 + np.float32(0.5))
    assert cfunc(types.float64(types.CPointer(point_type)))(use)(points.ctypes.data) == expected
    assert points["x"].tolist() == [3.0, -5.0]
