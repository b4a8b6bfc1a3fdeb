"""Compile cache benchmark: creating a cfunc in a fresh process from a cold cache (LLVM compiles) vs a warm one (loads).

Run: python bench/bench_cache.py [--repeat N] [--quick] with nativecall importable (bench/run.py runs it).
Each sample is a new interpreter; the clock starts after `import nativecall` and `from nativecall
import cfunc` (which loads libLLVM) and stops once the cfuncs have addresses, so interpreter
start-up and imports are left out. Also reported: the same in CPU time (what a loaded shared
machine does not inflate), the second cfunc alone (once the process has started LLVM's JIT),
the wall time with the cfunc import inside the clock, and the first quad over the integrand
after that (which builds its loop entry, or loads it from the cache). Prints the ratio of
medians and writes bench/out/bench_cache.json.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

# A callback of the size users cache: a loop, math calls, a helper cfunc it calls (both made cfuncs
# inside the clock).
KERNELS = '''
import math

def weight(t):
    return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)

def integrand(x):
    total = 0.0
    for k in range(1, 9):
        total += math.sin(k * x) / k + weight(x / k) * math.log1p(k * abs(x))
    if x > 1.0:
        total = total * math.tanh(x)
    return total
'''

SAMPLE = '''
import time
begin = time.perf_counter()
import nativecall
after_import = time.perf_counter()
from nativecall import cfunc   # the cfunc API: loads the compiler module (libLLVM)
import kernels                 # the plain Python functions
from nativecall.integrate import quad
start, start_cpu = time.perf_counter(), time.process_time()
kernels.weight = cfunc("float64(float64)", cache=True)(kernels.weight)   # integrand calls the cfunc
middle = time.perf_counter()
f = cfunc("float64(float64)", cache=True)(kernels.integrand)
f.address
end, end_cpu = time.perf_counter(), time.process_time()
value = quad(f, 0.0, 3.0)[0]   # the integrand's loop entry: built, or loaded from the cache
integrated = time.perf_counter()
print(end - start, end_cpu - start_cpu, end - middle, end - after_import, integrated - end, f(0.75) + value,
      nativecall._jit.codegen_runs())
'''


def sample(folder, cache_dir):
    """(seconds to create the cfuncs, their CPU seconds, seconds for the second one, wall seconds with the
    cfunc API's import, seconds for the first quad, f(0.75) + that integral, codegen runs)."""
    env = dict(os.environ, NATIVECALL_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", SAMPLE], env=env, capture_output=True, text=True, check=True)
    *seconds, value, runs = out.stdout.split()
    return (*map(float, seconds), float(value), int(runs))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="three repetitions, for a smoke run")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    create = harness.Comparison("new process: create 2 cached cfuncs (one calls the other)",
                                goal=">= 20x: warm cache vs compiling", baseline="compile (cold cache)",
                                target_ratio=20.0)
    cpu = harness.Comparison("new process: create the same 2 cfuncs, CPU time (immune to other load)",
                             baseline="compile (cold cache)")
    second = harness.Comparison("new process: the second of the 2 cfuncs alone (the first one's load has warmed the process)",
                                baseline="compile (cold cache)")
    imported = harness.Comparison("new process: `from nativecall import cfunc` + create the same 2 cfuncs",
                                  baseline="compile (cold cache)")
    integrated = harness.Comparison("new process: the first quad over the integrand once created (its loop entry "
                                    "built, or loaded from the cache)", baseline="compile (cold cache)")
    comparisons = (create, cpu, second, imported, integrated)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "kernels.py").write_text(textwrap.dedent(KERNELS))
        times = {(state, i): [] for state in ("cold", "warm") for i in range(len(comparisons))}
        values, runs = set(), {"cold": set(), "warm": set()}
        for i in range(repeat):
            # interleaved, so drift on a shared machine hits both alike; cold_0 is warm after round 0
            for state, cache_dir in (("cold", folder / f"cold_{i}"), ("warm", folder / "cold_0")):
                *seconds, value, n = sample(folder, cache_dir)
                for index, t in enumerate(seconds):
                    times[state, index].append(t)
                values.add(value)
                runs[state].add(n)
    if len(values) != 1:
        raise SystemExit(f"cached and compiled functions disagree: {values}")
    for index, c in enumerate(comparisons):
        c.add("compile (cold cache)", statistics.median(times["cold", index]), codegen_runs=sorted(runs["cold"]))
        c.add("load (warm cache)", statistics.median(times["warm", index]), codegen_runs=sorted(runs["warm"]))
        harness.print_comparison(c)
    print(f"wrote {harness.write_results('bench_cache', list(comparisons))}")


if __name__ == "__main__":
    main()
