"""Runs every benchmark suite side by side with its anchors, then writes bench/results.json and bench/RESULTS.md.

Usage: python bench/run.py [--quick] [--only integrate,ndimage,jit,cache]
Each suite (bench/bench_<name>.py) runs in its own process and leaves
bench/out/bench_<name>.json in the format of bench/harness.py; this script
merges them, and puts the markdown table between the README's benchmark markers.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

SUITES = ("integrate", "ndimage", "jit", "cache")
README = HERE.parent / "README.md"
BEGIN, END = "<!-- benchmarks:begin -->", "<!-- benchmarks:end -->"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller sizes")
    parser.add_argument("--only", default=",".join(SUITES), help="comma-separated suites (default: all)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {list(SUITES)}")

    suites = []
    for name in chosen:
        script = HERE / f"bench_{name}.py"
        print(f"\n######## {script.name}", flush=True)
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        started = time.perf_counter()
        subprocess.run(cmd, check=True)
        print(f"######## {script.name} took {time.perf_counter() - started:.0f} s")
        suites.append(json.loads((harness.OUT / f"bench_{name}.json").read_text()))

    results = {"date": time.strftime("%Y-%m-%d"), "cpu": harness.cpu_name(),
               "cores": suites[0]["cores"] if suites else None, "suites": suites}
    (HERE / "results.json").write_text(json.dumps(results, indent=2))
    comparisons = [harness.Comparison.from_dict(c) for suite in suites for c in suite["comparisons"]]
    table = (f"Measured {results['date']} on {results['cpu']} ({results['cores']} cores); ratios of medians, "
             f"each benchmark's contenders timed side by side in one run.\n\n" + harness.markdown_table(comparisons))
    (HERE / "RESULTS.md").write_text("# Benchmark results\n\n" + table + "\n")
    text = README.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        README.write_text(head + BEGIN + "\n" + table + "\n" + END + rest.split(END, 1)[1])
    print(f"\nwrote {HERE / 'results.json'}, {HERE / 'RESULTS.md'} and the README's table")


if __name__ == "__main__":
    main()
