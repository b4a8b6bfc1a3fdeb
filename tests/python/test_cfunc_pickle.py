"""Pickled cfuncs: rebuilt from source and snapshot in this process, in multiprocessing workers, and from the cache."""
import ctypes
import math
import multiprocessing
import pickle

import pytest
import scipy.integrate

from nativecall import _jit, cfunc
from nativecall.extending import external, jitable

OFFSET = 0.75


@jitable
def shifted(x):
    return x + OFFSET


@cfunc("float64(float64)")
def cube(x):
    return x * x * x


@cfunc("float64(float64)")
def composed(x):
    return cube(x) - shifted(x) * math.cos(x)


@cfunc("int64(int64)")
def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def composed_reference(x):
    return x ** 3 - (x + OFFSET) * math.cos(x)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NATIVECALL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_round_trip_in_process_calls_other_cfuncs_and_jitables():
    clone = pickle.loads(pickle.dumps(composed))
    assert clone.signature == composed.signature and clone.__name__ == "composed"
    assert clone.address != composed.address
    for x in (-2.0, 0.0, 0.3, 4.5):
        assert clone(x) == composed(x) == pytest.approx(composed_reference(x), rel=1e-14)
    assert clone.py_func is None
    assert pickle.loads(pickle.dumps(factorial))(10) == math.factorial(10)


def test_unpickling_a_cached_cfunc_loads_it_and_its_cached_callee_without_codegen():
    import cfunc_workers   # combined (cache=True) calls gauss (cache=True)
    data = pickle.dumps(cfunc_workers.combined)
    pickle.loads(data)   # fills this test's cache folder if the module was imported under another one
    before = _jit.codegen_runs()
    clone = pickle.loads(data)
    assert _jit.codegen_runs() == before
    assert clone(1.25) == pytest.approx(cfunc_workers.combined_reference(1.25), rel=1e-14)


def test_native_functions_at_fixed_addresses_do_not_pickle():
    libm = ctypes.CDLL(None)
    native_cos = external("cos", "float64(float64)", libm.cos)

    @cfunc("float64(float64)")
    def uses_native(x):
        return native_cos(x) + 1.0

    assert uses_native(0.5) == pytest.approx(math.cos(0.5) + 1.0)
    with pytest.raises(pickle.PicklingError, match="'uses_native'.*global 'native_cos'"):
        pickle.dumps(uses_native)


def test_a_spawned_pool_calls_and_integrates_pickled_cfuncs():
    import cfunc_workers
    points = [-1.5, 0.0, 0.75, 2.0]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        values = pool.starmap(cfunc_workers.call, [(composed, x) for x in points])
        integrals = pool.starmap(cfunc_workers.integrate, [(composed, 0.0, 2.0), (cfunc_workers.combined, -1.0, 1.0)])
    assert values == pytest.approx([composed_reference(x) for x in points], rel=1e-14)
    assert integrals[0] == pytest.approx(scipy.integrate.quad(composed_reference, 0.0, 2.0)[0], rel=1e-12)
    assert integrals[1] == pytest.approx(scipy.integrate.quad(cfunc_workers.combined_reference, -1.0, 1.0)[0], rel=1e-12)


class Scale:
    def __init__(self, factor):
        self.factor = factor


def unpickling_error_elsewhere(data):
    """The message of the exception unpickling `data` raises in a fresh process (one that
    imported none of this module's registrations)."""
    import os
    import subprocess
    import sys
    code = ("import pickle, sys\n"
            "try:\n    pickle.loads(sys.stdin.buffer.read())\n"
            "except Exception as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return result.stdout.decode()


def test_a_custom_type_constant_unpickled_where_the_type_is_not_registered_names_the_type():
    from nativecall import types
    from nativecall.extending import register_type
    register_type(Scale, [("factor", types.float64)], name="PickledScaleType")
    global SCALE
    SCALE = Scale(2.5)

    @cfunc("float64(float64)")
    def scaled(x):
        return SCALE.factor * x

    data = pickle.dumps(scaled)
    assert pickle.loads(data)(2.0) == 5.0
    # The snapshot names the type, not the class: a process that never registered it is told so.
    assert "the custom type 'PickledScaleType' is not registered in this process" in unpickling_error_elsewhere(data)


def test_an_overload_missing_where_a_pickled_cfunc_is_rebuilt_is_named_as_unregistered():
    from nativecall.extending import overload

    def tripled(x):
        return 3 * x

    @overload(tripled)
    def tripled_typer(x):
        def impl(x):
            return x * 3.0
        return impl

    global TRIPLED
    TRIPLED = tripled

    @cfunc("float64(float64)")
    def uses_overload(x):
        return TRIPLED(x)

    data = pickle.dumps(uses_overload)
    assert pickle.loads(data)(2.0) == tripled(2.0)
    assert "tripled(): no implementation of it is registered in this process" in unpickling_error_elsewhere(data)
