"""Conditional stores to already-written locations compile branch-free and keep CPython's results, aliasing included."""

import numpy as np
import pytest

from nativecall import cfunc

KERNEL = "intc(CPointer(float64), intp, CPointer(float64), voidptr)"


def nbmin(values, n, result, data):      # seed 002's kernel, numba's spelling
    result[0] = np.inf
    for i in range(n):
        if values[i] < result[0]:
            result[0] = values[i]
    return 1


def running_max_else(values, n, result, data):   # the store on the else edge
    result[0] = -np.inf
    for i in range(n):
        if not values[i] > result[0]:
            pass
        else:
            result[0] = values[i]
    return 1


def no_earlier_store(values, n, result, data):   # nothing proves result writable first
    for i in range(n):
        if values[i] < 0.0:
            result[0] = values[i]
    return 1


def python_reference(kernel, buffer, n, result_index):
    """Runs the kernel's Python source on a list standing for memory, so a result
    aliasing the values reads back what the kernel wrote, as compiled code must."""
    class View:
        def __init__(self, memory, offset):
            self.memory, self.offset = memory, offset

        def __getitem__(self, i):
            return self.memory[self.offset + i]

        def __setitem__(self, i, v):
            self.memory[self.offset + i] = v

    memory = list(buffer)
    kernel(View(memory, 0), n, View(memory, result_index), None)
    return memory


@pytest.mark.parametrize("kernel", [nbmin, running_max_else, no_earlier_store])
def test_results_equal_python_including_a_result_that_aliases_the_values(kernel):
    compiled = cfunc(KERNEL)(kernel)
    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(0, 12))
        buffer = rng.standard_normal(n + 3)
        result_index = int(rng.integers(0, n + 3))   # inside the values or just past them
        expected = python_reference(kernel, buffer, n, result_index)
        assert compiled(buffer.ctypes.data, n, buffer.ctypes.data + 8 * result_index, None) == 1
        assert buffer.tolist() == expected, (trial, n, result_index)


def test_the_seed_kernel_compiles_without_a_branch_per_element():
    ir = cfunc(KERNEL)(nbmin).llvm_ir
    assert "speculated" in ir and "select" in ir


def test_no_speculation_without_an_earlier_store_or_with_an_unknown_call():
    assert "speculated" not in cfunc(KERNEL)(no_earlier_store).llvm_ir
    other = cfunc("float64(float64)")(lambda_free_identity)

    def calls_other(values, n, result, data):
        result[0] = np.inf
        for i in range(n):
            if values[i] < result[0]:
                result[0] = other(values[i])   # another cfunc: it might synchronise
        return 1

    assert "speculated" not in cfunc(KERNEL)(calls_other).llvm_ir


def lambda_free_identity(x):
    return x
