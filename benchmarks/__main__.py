"""Run every benchmark and print its figures.

Usage: ``python -m benchmarks [--quick]``. Figures are printed (and written to
``outputs/benchmarks.json``), never asserted: speed depends on the machine, and on how the
interpreter was built (a distribution's optimised build runs this pure-Python code faster
than a plain source build), so the interpreter is named first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from benchmarks import extraction, gazetteer, map_budget, refresh


def main() -> None:
    """Run the benchmarks and report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    parser.add_argument("--out", type=Path, default=Path("outputs") / "benchmarks.json")
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    # The venv's python is a link: name the build it runs.
    interpreter = os.path.realpath(sys.executable)
    results = {
        "machine": f"{platform.processor() or platform.machine()}, {python}",
        "interpreter": interpreter,
    }
    print(f"{python}: {interpreter}")
    results["gazetteer"] = gazetteer.run(quick=args.quick)
    results["extraction"] = extraction.run(quick=args.quick)
    results["map_budget"] = map_budget.run(quick=args.quick)
    results["refresh"] = refresh.run(quick=args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


main()
