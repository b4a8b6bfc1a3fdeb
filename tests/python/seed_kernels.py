"""The seed 002 kernels as users write them for numba, compiled once and shared by the tests."""
import functools
from types import SimpleNamespace


@functools.lru_cache(maxsize=None)
def numba_seed_kernels():
    """numba cfuncs `transform` (the shift mapping) and `nbmin`, verbatim from seed 002."""
    import numpy as np
    from numba import carray, cfunc, types
    from numba.types import CPointer, float64, intc, intp, voidptr

    c_sig = types.intc(types.CPointer(types.intp), types.CPointer(types.double),
                       types.intc, types.intc, types.voidptr)

    @cfunc(c_sig)
    def transform(output_ptr, input_ptr, output_rank, input_rank, user_data):
        input_ = carray(input_ptr, (input_rank,))
        output_ = carray(output_ptr, (output_rank,))
        shift = carray(user_data, (1,), dtype=types.double)[0]
        for i in range(input_rank):
            input_[i] = output_[i] - shift
        return 1

    @cfunc(intc(CPointer(float64), intp, CPointer(float64), voidptr))
    def nbmin(values_ptr, len_values, result, data):
        values = carray(values_ptr, (len_values,), dtype=float64)
        result[0] = np.inf
        for v in values:
            if v < result[0]:
                result[0] = v
        return 1

    return SimpleNamespace(transform=transform, nbmin=nbmin)
