"""Cached integrands integrated in a child process: what the loop-entry cache tests compare across processes."""
import json
import math
import sys

import nativecall
from nativecall import _jit
from nativecall.integrate import quad, quad_batch


@nativecall.cfunc("float64(float64)", cache=True)
def bump(x):
    return math.exp(-x * x)


@nativecall.cfunc("float64(float64)", cache=True)
def wave(x):
    """Widened with libmvec's cos in its loop entries."""
    return math.cos(3.0 * x) * math.exp(-x * x)


@nativecall.cfunc("float64(intc, CPointer(float64))", cache=True)
def decay(n, xx):
    """Calls another cfunc, which its loop entries import."""
    return bump(xx[0]) * math.exp(-xx[1] * abs(xx[0]))


def report():
    """Prints, as JSON, integrals that use every loop entry (quad's float.hex, to compare bits)
    and the LLVM codegen runs they took."""
    runs = _jit.codegen_runs()
    results = [quad(wave, 0.0, math.inf), quad(wave, -math.inf, math.inf), quad(wave, -1.0, 2.0),
               quad(decay, -math.inf, math.inf, args=(0.5,)), quad(decay, 0.0, 3.0, args=(2.0,))]
    batch = quad_batch(decay, -math.inf, math.inf, args=[[0.25], [1.0], [4.0]])
    json.dump({"quad": [[value.hex(), error.hex()] for value, error in results],
               "batch": [v.hex() for v in batch[0]], "codegen_runs": _jit.codegen_runs() - runs}, sys.stdout)


if __name__ == "__main__":
    report()
