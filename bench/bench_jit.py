"""cfunc JIT benchmarks against numba, side by side in one run: start-up + first compile, further compiles, kernels.

Run: python bench/bench_jit.py [--repeat N] [--quick] with nativecall installed (make bench runs it).
Prints ratios of medians and writes bench/out/bench_jit.json. Absolute times drift on shared
machines; the ratios are the result.
"""
import argparse
import ctypes
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import kernels  # noqa: E402

INTEGRAND = """
def integrand(t):
    return np.exp(-t) / (t ** 2)
"""

# Each script imports numpy before the clock starts (both integrands use it), then times
# importing the compiler and compiling the integrand, and prints the seconds.
FIRST_COMPILE = {
    "nativecall": """
import numpy as np
import time
start = time.perf_counter()
import nativecall
{integrand}
f = nativecall.cfunc("float64(float64)")(integrand)
f.address
print(time.perf_counter() - start)
""",
    "numba": """
import numpy as np
import time
start = time.perf_counter()
import numba
{integrand}
f = numba.cfunc("float64(float64)")(integrand)
f.address
print(time.perf_counter() - start)
""",
}


def first_compile_seconds(which, repeat):
    times = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"first_{which}.py"
        path.write_text(textwrap.dedent(FIRST_COMPILE[which]).format(integrand=INTEGRAND))
        for _ in range(repeat):
            out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True)
            times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


def small_function_source(k):
    return textwrap.dedent(f"""
        import math
        def f{k}(x, y):
            s = 0.0
            for i in range(4):
                s += math.sin(x * i + {k}) * y
            return s / (1.0 + x * x)
        """)


def further_compile_seconds(repeat):
    import numba
    import nativecall
    native, nb = [], []
    for k in range(repeat):
        namespace = {}
        source = small_function_source(k)
        exec(compile(source, f"<bench {k}>", "exec"), namespace)
        start = time.perf_counter()
        nativecall.cfunc("float64(float64, float64)", source=source, name=f"f{k}").address
        native.append(time.perf_counter() - start)
        start = time.perf_counter()
        numba.cfunc("float64(float64, float64)")(namespace[f"f{k}"]).address
        nb.append(time.perf_counter() - start)
    return native, nb


def timeit_pair(ours, theirs, repeat, number):
    """Per-call seconds of two callables, measured alternately so machine-load drift hits both alike."""
    ours()   # warm up
    theirs()
    samples = ([], [])
    for _ in range(repeat):
        for fn, out in ((ours, samples[0]), (theirs, samples[1])):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - start) / number)
    return samples


def seed_kernel_runs(repeat):
    """The seed kernels (one source, numba's spelling, compiled by both) through scipy's call path."""
    import numpy as np
    import scipy.integrate as si
    from scipy import LowLevelCallable, ndimage

    results = {}
    # The seed kernels from bench/kernels.py: one source, numba's spelling, compiled by both.
    names = {"integrand": "exp_over_t2", "nbmin": "nbmin", "shift": "shift_mapping"}
    nc_all, nb_all = kernels.nativecall_cfuncs(), kernels.numba_cfuncs()
    if nc_all is None:
        raise RuntimeError("nativecall.cfunc could not compile the benchmark kernels (see above)")
    nc = {short: nc_all[name] for short, name in names.items()}
    nb = {short: nb_all[name] for short, name in names.items()}

    shift_value = ctypes.c_double(0.5)
    shift_ptr = ctypes.cast(ctypes.pointer(shift_value), ctypes.c_void_p)
    image = np.random.default_rng(0).random((512, 512))
    footprint = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
    im = np.random.default_rng(1).random((256, 256))

    def quad_with(f):
        return lambda: si.quad(LowLevelCallable(f.ctypes), 1, np.inf)

    def filter_with(f):
        return lambda: ndimage.generic_filter(image, LowLevelCallable(f.ctypes), footprint=footprint)

    def transform_with(f):
        return lambda: ndimage.geometric_transform(im, LowLevelCallable(f.ctypes, user_data=shift_ptr))

    for name, make, number in [("integrand", quad_with, 200), ("nbmin", filter_with, 2), ("shift", transform_with, 2)]:
        results[name] = timeit_pair(make(nc[name]), make(nb[name]), repeat, number)
    # calling from Python: nativecall's thunk-based __call__ against numba's ctypes object
    nc_integrand, nb_ctypes = nc["integrand"], nb["integrand"].ctypes
    results["python_call"] = timeit_pair(lambda: nc_integrand(2.0), lambda: nb_ctypes(2.0), repeat, 20000)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="three repetitions, for a smoke run")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    comparisons = []

    def record(label, ours, theirs, goal, target):
        c = harness.Comparison(label, goal=goal, baseline="numba", target_ratio=target)
        c.add("numba", statistics.median(theirs))
        c.add("nativecall", statistics.median(ours))
        harness.print_comparison(c)
        comparisons.append(c)

    ours, theirs = [], []
    for _ in range(repeat):   # alternating fresh processes
        ours += first_compile_seconds("nativecall", 1)
        theirs += first_compile_seconds("numba", 1)
    record("import + first compile of a small integrand", ours, theirs, ">= 6x faster than numba", 6.0)
    native, nb = further_compile_seconds(max(repeat, 10))
    record("each further compile of a small function", native, nb, ">= 5x faster than numba", 5.0)
    labels = {"integrand": "run: exp(-t)/t**2 under scipy quad", "nbmin": "run: nbmin under scipy generic_filter",
              "shift": "run: shift under scipy geometric_transform",
              "python_call": "call from Python (cfunc() vs numba .ctypes())"}
    for name, (ours, theirs) in seed_kernel_runs(repeat).items():
        goal, target = ("as fast as numba (within 10%)", 0.9) if name != "python_call" else ("faster is better", None)
        record(labels[name], ours, theirs, goal, target)
    print(f"wrote {harness.write_results('bench_jit', comparisons)}")


if __name__ == "__main__":
    main()
