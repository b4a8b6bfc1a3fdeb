"""Cached cfuncs and worker functions importable by subprocesses and multiprocessing workers in the cache/pickle tests."""
import json
import math
import sys

import nativecall
from nativecall.extending import jitable

SCALE = 2.5


@jitable
def scaled(x):
    return x * SCALE


@nativecall.cfunc("float64(float64)", cache=True)
def gauss(x):
    return math.exp(-x * x)


@nativecall.cfunc("float64(float64)", cache=True)
def combined(x):
    return gauss(x) + scaled(x)


def combined_reference(x):
    """combined() in plain Python: the oracle."""
    return math.exp(-x * x) + x * SCALE


def call(fn, x):
    return fn(x)


def integrate(fn, a, b):
    from nativecall.integrate import quad
    return quad(fn, a, b)[0]


def report(points):
    """Prints, as JSON, the values of combined() at `points` and the LLVM codegen runs so far."""
    from nativecall import _jit
    json.dump({"values": [combined(x) for x in points], "codegen_runs": _jit.codegen_runs()}, sys.stdout)


if __name__ == "__main__":
    report([float(a) for a in sys.argv[1:]])
