"""Paired A/B timing of two or more builds of nativecall on quad_batch's 10,000 Gaussians, for tuning.

Usage: python bench/ab_builds.py [--rounds N] NAME=PYTHONPATH NAME=PYTHONPATH ...
Each PYTHONPATH holds a `nativecall` package (e.g. a copy of python/ made after
building one variant). A round runs every variant once, each in a fresh process;
the report gives each variant's median time and the median of its per-round
ratios to the first variant. The speed of a shared machine drifts by tens of
percent within minutes, so only ratios taken within one round compare variants
fairly; this is a tool for deciding on a change, not a benchmark (see run.py).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

# One variant's measurement: the median of 15 runs with one worker and with two.
WORKLOAD = r"""
import json, math, time
import numpy as np
import nativecall.integrate as ni
from nativecall import cfunc

@cfunc("float64(intc, CPointer(float64))")
def gaussian(n, xx):
    return math.exp(-xx[1] * xx[0] * xx[0])

alpha = np.linspace(0.1, 10, 10000)[:, None]
result = {}
for workers in (1, 2):
    ni.quad_batch(gaussian, -np.inf, np.inf, args=alpha, workers=workers)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        ni.quad_batch(gaussian, -np.inf, np.inf, args=alpha, workers=workers)
        times.append(time.perf_counter() - start)
    result[workers] = float(np.median(times) * 1e3)
print(json.dumps(result))
"""


def measure(script, name, path):
    env = dict(os.environ, PYTHONPATH=path)
    out = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"variant {name} ({path}) failed:\n{out.stderr}")
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="rounds of every variant (default 8)")
    parser.add_argument("variants", nargs="+", metavar="NAME=PYTHONPATH")
    args = parser.parse_args(argv)
    variants = []
    for spec in args.variants:
        name, sep, path = spec.partition("=")
        if not sep or not name or not os.path.isdir(path):
            parser.error(f"expected NAME=PYTHONPATH with an existing directory, got {spec!r}")
        variants.append((name, path))
    # A file, not `python -c`: cfunc reads its function's source.
    with tempfile.TemporaryDirectory() as scratch:
        script = os.path.join(scratch, "ab_workload.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        # The order alternates between rounds, so running first or last favours no variant.
        rounds = [{name: measure(script, name, path) for name, path in (variants if r % 2 == 0 else variants[::-1])}
                  for r in range(args.rounds)]
    first = variants[0][0]
    for name, _ in variants:
        cells = []
        for workers in (1, 2):
            times = [r[name][workers] for r in rounds]
            ratios = [r[name][workers] / r[first][workers] for r in rounds]
            cells.append(f"{workers} worker(s): median {statistics.median(times):.2f} ms, "
                         f"ratio to {first} {statistics.median(ratios):.3f}")
        print(f"{name:12s} " + " | ".join(cells))


if __name__ == "__main__":
    main()
