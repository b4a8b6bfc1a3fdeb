"""Shared benchmark machinery: repeated timings, medians, ratios, and one results file for every suite."""
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median_time(fn, repeat=7, number=1, warmup=1):
    """Median wall time of one call of `fn` over `repeat` samples of `number` calls each."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


@dataclass
class Comparison:
    """One benchmark: several contenders timed side by side in one run, against a baseline."""
    name: str
    goal: str = ""                     # what the issue asks, e.g. ">= 2.5x vs scipy+numba"
    baseline: str = ""                 # the contender the ratios are taken against
    target_ratio: float | None = None  # the speed-up over the baseline the issue asks for
    reference: str = ""                # a second contender every ratio is also shown against (scipy + Cython)
    times: dict = field(default_factory=dict)   # contender -> median seconds
    notes: dict = field(default_factory=dict)   # contender -> extra facts (errors, counts)

    def add(self, contender, seconds, **notes):
        self.times[contender] = seconds
        if notes:
            self.notes[contender] = notes

    @classmethod
    def from_dict(cls, record):
        """The Comparison a results file holds (files written before a field existed lack it)."""
        fields = ("name", "goal", "baseline", "target_ratio", "reference", "times", "notes")
        return cls(**{k: record[k] for k in fields if k in record})

    def ratio(self, contender):
        """How many times faster `contender` is than the baseline (ratio of medians)."""
        return self.times[self.baseline] / self.times[contender]

    def reference_ratio(self, contender):
        """How many times faster `contender` is than the reference contender, or None without one."""
        if not self.reference or self.reference not in self.times:
            return None
        return self.times[self.reference] / self.times[contender]

    def rows(self):
        for contender, seconds in self.times.items():
            yield contender, seconds, self.ratio(contender) if self.baseline in self.times else None


def _format_seconds(s):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def print_comparison(c):
    print(f"\n{c.name}" + (f"  [goal: {c.goal}]" if c.goal else ""))
    for contender, seconds, ratio in c.rows():
        ratio_text = f"{ratio:8.2f}x" if ratio is not None else ""
        versus = c.reference_ratio(contender)
        if versus is not None:
            ratio_text += f"  ({versus:.2f}x vs {c.reference})"
        extra = "  " + ", ".join(f"{k}={v}" for k, v in c.notes.get(contender, {}).items()) \
            if contender in c.notes else ""
        print(f"  {contender:<48} {_format_seconds(seconds):>10} {ratio_text}{extra}")


def markdown_table(comparisons):
    lines = ["| benchmark | contender | median | speed-up vs baseline | vs scipy + Cython | goal |",
             "|---|---|---|---|---|---|"]
    for c in comparisons:
        for contender, seconds, ratio in c.rows():
            mark = " (baseline)" if contender == c.baseline else ""
            ratio_text = f"{ratio:.2f}x{mark}" if ratio is not None else ""
            versus = c.reference_ratio(contender)
            versus_text = "" if versus is None else f"{versus:.2f}x"
            if contender == c.reference:
                versus_text += " (itself)"
            lines.append(f"| {c.name} | {contender} | {_format_seconds(seconds)} | {ratio_text} | {versus_text} "
                         f"| {c.goal} |")
    return "\n".join(lines)


def write_results(suite, comparisons):
    """bench/out/<suite>.json: the medians, ratios, date and machine of one suite's run."""
    OUT.mkdir(exist_ok=True)
    payload = {
        "suite": suite,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "comparisons": [dict(asdict(c), ratios={k: r for k, _, r in c.rows()},
                             reference_ratios={k: c.reference_ratio(k) for k in c.times}) for c in comparisons],
    }
    path = OUT / f"{suite}.json"
    path.write_text(json.dumps(payload, indent=2))
    return path
