"""Differential campaign: random integrals through nativecall.integrate's quad and nquad and scipy's, compared bit for bit.

Run: python tests/differential/quad_vs_scipy.py [--seconds N] [--seed S] (`make difftest`).
Draws integrands from a few families (smooth, peaked, oscillatory, singular, discontinuous,
non-decaying), limits (finite, half-line, whole line, reversed), options (limit, tolerances,
break points) and every weight, with Python integrands, so both libraries see the same values;
one call in 100 is an nquad in 2 or 3 dimensions (constant, infinite and callable ranges,
per-level options with break points and weights, an extra argument).
Every returned number must be identical (value and abserr to the bit, neval, last, lst) and so
must the diagnosis (message, QAWF's explanation, warnings), or both must refuse with the same
exception type. Left out: NaN-returning integrands on the whole line (scipy 1.17 can crash
there), |omega| of 2**30 and more, and a maxp1 below the depth reached (docs/integrate.md:
scipy defects not reproduced).
Prints each difference (up to 10) and exits with status 1 if there was any.
"""
import argparse
import math
import random
import sys
import time
import warnings

import scipy.integrate as si

import nativecall.integrate as ni

INF = math.inf
WEIGHTS = ["cos", "sin", "alg", "alg-loga", "alg-logb", "alg-log", "cauchy"]


def integrand(rng):
    """A random integrand and a description of it (for the report)."""
    kind = rng.randrange(9)
    p = [rng.uniform(-3, 3) for _ in range(3)]
    forms = [
        ("p0 + p1 x + p2 x^2", lambda x: p[0] + p[1] * x + p[2] * x * x),
        ("exp(-|p0| x^2) (1 + p1 x)", lambda x: math.exp(-(abs(p[0]) + 0.01) * x * x) * (1 + p[1] * x)),
        ("sin(5 p0 x) exp(-|x|)", lambda x: math.sin(5 * p[0] * x) * math.exp(-abs(x))),
        ("1 / ((x - p0)^2 + tiny)", lambda x: 1.0 / ((x - p[0]) ** 2 + 1e-3 * (1 + abs(p[1])))),
        ("|x|^e", lambda x: abs(x) ** (p[2] / 3.3) if x != 0 else 0.0),
        ("log|x| cos(p0 x)", lambda x: math.log(abs(x) + 1e-300) * math.cos(p[0] * x)),
        ("step at p0", lambda x: 1.0 if x > p[0] else -0.5),
        ("cos(p1 x) / (1 + x^4)", lambda x: math.cos(p[1] * x) / (1.0 + x ** 4)),
        ("log(2 + |x|) sin(p1 x)", lambda x: math.log(2.0 + abs(x)) * math.sin(p[1] * x)),
    ]
    name, f = forms[kind]
    return f"{name}, p = {p}", f


def problem(rng):
    """(description, f, a, b, options) of one random quad call."""
    description, f = integrand(rng)
    a, b = sorted([rng.uniform(-5, 5), rng.uniform(-5, 5)])
    if a == b:
        b = a + 1.0
    options = dict(limit=rng.choice([1, 3, 50, 200]), epsabs=rng.choice([0.0, 1e-14, 1.49e-8, 1e-4]),
                   epsrel=rng.choice([1.49e-8, 1e-4, 1e-11, 0.0]))
    if options["epsabs"] == 0.0 and options["epsrel"] == 0.0:
        options["epsrel"] = 1e-10
    if rng.random() < 0.5:   # no weight
        shape = rng.randrange(6)
        a, b = [(a, b), (a, INF), (-INF, b), (-INF, INF), (b, a), (a, b)][shape]
        if shape == 5:
            options["points"] = sorted(rng.uniform(a, b) for _ in range(rng.randrange(1, 4)))
        return description, f, a, b, options
    weight = rng.choice(WEIGHTS)
    options["weight"] = weight
    if weight in ("cos", "sin"):
        # Any sign and size below 2**30 (beyond, scipy's cycle count overflows; and a
        # maxp1 below the depth reached is a scipy defect not reproduced: the default is kept).
        omega = rng.choice([rng.uniform(0, 40), rng.uniform(0, 1e-3), 10 ** rng.uniform(2, 9)])
        options["wvar"] = omega * rng.choice([1, -1])
        if rng.random() < 0.3:   # QAWF (not with wvar = 0 from a != 0: scipy's one quirk not kept)
            b = INF
            options["epsabs"] = max(options["epsabs"], 1e-10)
    elif weight == "cauchy":
        options["wvar"] = rng.uniform(a, b)
    else:   # exponents anywhere above -1, some very near it
        options["wvar"] = tuple(rng.choice([rng.uniform(-0.9, 2), -1 + 10 ** rng.uniform(-6, -1)]) for _ in range(2))
    if b != INF and rng.random() < 0.2:   # reversed limits: the negated integral
        a, b = b, a
    return f"{description}, weight {weight}", f, a, b, options


def multi_problem(rng):
    """(description, f, ranges, opts, args) of one random nquad call (2 or 3 dimensions)."""
    dims = rng.choice([2, 3])
    p = [rng.uniform(0.2, 2.0) for _ in range(3)]
    f = [lambda *x: math.exp(-p[0] * sum(v * v for v in x[:dims])) * (1 + x[dims] * x[0]),
         lambda *x: math.cos(p[1] * sum(x[:dims])) / (1 + x[0] ** 2) + x[dims],
         lambda *x: math.sqrt(abs(x[0] * x[1])) + x[dims]][rng.randrange(3)]
    ranges = []
    for level in range(dims):
        lo, hi = sorted([rng.uniform(-2, 2), rng.uniform(-2, 2)])
        if lo == hi:
            hi = lo + 1.0
        if level < dims - 1 and rng.random() < 0.3:   # limits that depend on the outer variables
            ranges.append(lambda *outer, lo=lo, hi=hi: (lo, hi + 0.5 * math.sin(outer[0])))
        else:
            # infinite ranges only in 2 dimensions: a 3-D one costs scipy's Python levels seconds
            ranges.append(rng.choice([(lo, hi), (lo, hi)] + ([(0.0, INF), (-INF, INF)] if dims == 2 else [])))
    opts = []
    for level in range(dims):
        o = dict(limit=rng.choice([1, 5, 50]), epsrel=rng.choice([1.49e-8, 1e-4]), epsabs=rng.choice([1.49e-8, 0.0]))
        bounds = ranges[level]
        if not callable(bounds) and all(math.isfinite(v) for v in bounds) and rng.random() < 0.3:
            o["points"] = [rng.uniform(*bounds)]
        elif not callable(bounds) and all(math.isfinite(v) for v in bounds) and rng.random() < 0.2:
            o["weight"], o["wvar"] = rng.choice(["cos", "sin"]), rng.uniform(0, 20)
        opts.append(o)
    args = (rng.uniform(-1, 1),)
    return f"nquad in {dims} dimensions, p = {p}", f, ranges, opts, args


def multi_outcome(module, f, ranges, opts, args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = module.nquad(f, ranges, args=args, opts=opts, full_output=True)
        except Exception as e:
            return ("raises", type(e).__name__)
    value = "nan" if math.isnan(r[0]) else r[0].hex()
    return value, r[1].hex(), r[2].get("neval"), sorted(str(w.message) for w in caught)


def outcome(module, f, a, b, options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = module.quad(f, a, b, full_output=1, **options)
        except Exception as e:
            return ("raises", type(e).__name__)
    info = r[2] if isinstance(r[2], dict) else {}
    value = "nan" if math.isnan(r[0]) else r[0].hex()
    return (value, r[1].hex(), info.get("neval"), info.get("last"), info.get("lst"),
            r[3] if len(r) > 3 else None, r[4] if len(r) > 4 else None, sorted(str(w.message) for w in caught))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    print(f"quad vs scipy.integrate.quad, seed {seed}, {args.seconds:g} s")
    start, cases, differences = time.monotonic(), 0, 0
    while time.monotonic() - start < args.seconds:
        cases += 1
        if cases % 100 == 0:   # nquad: scipy's outer levels run in Python, so fewer of these
            description, f, ranges, opts, extra = multi_problem(rng)
            a, b, options = ranges, None, opts
            ours, theirs = (multi_outcome(m, f, ranges, opts, extra) for m in (ni, si))
        else:
            description, f, a, b, options = problem(rng)
            ours, theirs = outcome(ni, f, a, b, options), outcome(si, f, a, b, options)
        if ours != theirs:
            differences += 1
            if differences <= 10:
                print(f"DIFFERENCE at integral {cases} of seed {seed}: {description}, [{a}, {b}], {options}\n"
                      f"  nativecall {ours}\n  scipy      {theirs}")
    print(f"{cases} integrals, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
