"""Threads and the GIL: native work runs without the GIL, on all cores only when the callback is thread-safe."""
import ctypes
import threading
import time

import numpy as np
import pytest

import nativecall
from nativecall import ndimage as nn

C_THREADS = r"""
#include <stdint.h>
#include <pthread.h>
#include <time.h>

/* Records each distinct calling thread in user_data (slots of uintptr_t, 0 = free). */
int record_thread(double *values, intptr_t n, double *result, void *user_data) {
    uintptr_t *slots = (uintptr_t *)user_data;
    uintptr_t self = (uintptr_t)pthread_self();
    for (int i = 0; i < 16; ++i) {
        uintptr_t seen = __atomic_load_n(&slots[i], __ATOMIC_SEQ_CST);
        if (seen == self) break;
        uintptr_t expected = 0;
        if (seen == 0 && __atomic_compare_exchange_n(&slots[i], &expected, self, 0, __ATOMIC_SEQ_CST,
                                                     __ATOMIC_SEQ_CST)) break;
        if (expected == self) break;
    }
    /* Long enough per element that every worker gets rows to run. */
    struct timespec pause = {0, 200000};
    nanosleep(&pause, 0);
    *result = values[0];
    return 1;
}
"""


@pytest.fixture(scope="module")
def record_thread(native):
    lib = native.ctypes_library(C_THREADS)
    lib.record_thread.restype = ctypes.c_int
    lib.record_thread.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t,
                                  ctypes.POINTER(ctypes.c_double), ctypes.c_void_p]
    return lib.record_thread


def _threads_used(function, **kwargs):
    slots = (ctypes.c_size_t * 16)()
    callback = nativecall.LowLevelCallable(function, ctypes.cast(slots, ctypes.c_void_p), **kwargs)
    return callback, slots


def _count(slots):
    return sum(1 for s in slots if s)


def test_foreign_callbacks_run_on_one_thread_unless_declared_thread_safe(record_thread):
    a = np.arange(64.0).reshape(8, 8)
    callback, slots = _threads_used(record_thread)
    nn.generic_filter(a, callback, size=1)
    assert _count(slots) == 1
    callback, slots = _threads_used(record_thread, thread_safe=True)
    nn.generic_filter(a, callback, size=1, workers=2)
    assert _count(slots) == 2
    callback, slots = _threads_used(record_thread)
    nn.generic_filter(a, callback, size=1, workers=2)   # an explicit count overrides
    assert _count(slots) == 2


def test_native_work_releases_the_gil(record_thread):
    a = np.arange(400.0).reshape(20, 20)   # 400 calls x 0.2 ms: about 80 ms of native work
    callback, _ = _threads_used(record_thread)
    ticks = 0
    worker = threading.Thread(target=nn.generic_filter, args=(a, callback), kwargs={"size": 1})
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # With the GIL held for the whole filter this loop could not run meanwhile.
    assert ticks > 10


def test_python_callable_runs_on_the_calling_thread():
    caller = threading.get_ident()
    seen = set()

    def kernel(values):
        seen.add(threading.get_ident())
        return float(values.sum())

    nn.generic_filter(np.arange(30.0).reshape(5, 6), kernel, size=2, workers=4)
    assert seen == {caller}


ROUTINES = {
    "generic_filter": lambda w: nn.generic_filter(np.ones(4), np.sum, size=2, workers=w),
    "generic_filter1d": lambda w: nn.generic_filter1d(np.ones(4), lambda i, o: None, 2, workers=w),
    "geometric_transform": lambda w: nn.geometric_transform(np.ones(4), lambda o: o, workers=w),
    "map_coordinates": lambda w: nn.map_coordinates(np.ones(4), [[1.0]], workers=w),
    "affine_transform": lambda w: nn.affine_transform(np.ones(4), [1.0], workers=w),
    "shift": lambda w: nn.shift(np.ones(4), 0.5, workers=w),
    "zoom": lambda w: nn.zoom(np.ones(4), 1, workers=w),
    "spline_filter": lambda w: nn.spline_filter(np.ones(4), workers=w),
    "spline_filter1d": lambda w: nn.spline_filter1d(np.ones(4), 1, workers=w),
}


@pytest.mark.parametrize("routine", sorted(ROUTINES))
@pytest.mark.parametrize("workers, error, message", [
    (0, ValueError, "workers=0 is out of range"),
    (-10 ** 6, ValueError, "workers=-1000000 is out of range"),
    (1.5, TypeError, "workers must be an int or None, got float"),
    ("2", TypeError, "workers must be an int or None, got str"),
])
def test_bad_workers_are_clear_errors(routine, workers, error, message):
    with pytest.raises(error, match=f"{routine}: {message}"):
        ROUTINES[routine](workers)


@pytest.mark.parametrize("routine", sorted(ROUTINES))
@pytest.mark.parametrize("workers", [None, 1, -1, 10 ** 30])
def test_valid_workers_are_accepted(routine, workers):
    ROUTINES[routine](workers)   # huge counts are capped, -1 is every core


@pytest.mark.parametrize("routine", ["generic_filter", "generic_filter1d", "geometric_transform"])
@pytest.mark.parametrize("workers", [None, 4, -1])
def test_every_python_callback_runs_on_the_calling_thread(routine, workers):
    caller = threading.get_ident()
    seen = set()

    def record(result):
        def callback(*args):
            seen.add(threading.get_ident())
            return result(*args)
        return callback

    a = np.arange(42.0).reshape(6, 7)
    calls = {
        "generic_filter": lambda: nn.generic_filter(a, record(lambda v: float(v.sum())), size=2, workers=workers),
        "generic_filter1d": lambda: nn.generic_filter1d(a, record(lambda i, o: None), 3, workers=workers),
        "geometric_transform": lambda: nn.geometric_transform(a, record(lambda o: o), workers=workers),
    }
    calls[routine]()
    assert seen == {caller}
