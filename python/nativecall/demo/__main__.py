"""Entry point of ``python -m nativecall.demo``: runs the chosen scenarios and prints their tables."""
import argparse
import sys

from . import scenarios


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nativecall.demo", description=__doc__)
    parser.add_argument("--scenario", "-s", action="append", choices=sorted(scenarios.ALL),
                        help="run only this scenario (repeatable); default: all")
    parser.add_argument("--out", default="demo_output", help="folder for the PNG files (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast look")
    args = parser.parse_args(argv)
    chosen = args.scenario or list(scenarios.ALL)
    for name in chosen:
        title, run = scenarios.ALL[name]
        print(f"\n== {title} ==")
        run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
