"""Draw G4's figure from a pytest-benchmark JSON: training-step time with dropout divided by
the time without, per method, for each shape and device the benchmark ran.

    pytest bench/test_G4_dropout_bench.py --benchmark-json g4.json
    python -m bench.plot_G4 g4.json                         # -> reports/ci/figures/G4_dropout_time_ratio.png
    python -m bench.plot_G4 g4.json --fidelity lab          # -> reports/lab/figures/...
    python -m bench.plot_G4 g4.json --out somewhere/g4.png  # any path
    pytest claims/ --claim G4 --benchmark-json-in g4.json   # the same figure and table in report.md

It reads the arms with dropout (``extra_info["dropout"]`` true), whose ``extra_info``
holds the paired ratio (``ratios``), its 95% interval and stability
(``ratio_intervals``) and the dropout operations' share of the step
(``dropout_ops_share``); the benchmark's docstring says how they are timed. The figure
shows each ratio as a bar with its interval as an error bar, hatches and labels a ratio
marked unstable (its rounds disagreed beyond the spread limit, or other processes kept the
machine busy, even when re-measured: not a number to read), marks inside each bar the part of the step the masks themselves
take, and prints the numbers it drew.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from claims.g_optimisers.benchmark import FIGURE_NAME, METHOD_ORDER, BenchmarkFileError, draw, g4_ratios  # noqa: E402


def _interval_text(row: dict) -> str:
    if row["interval"] is None:
        return "(no interval recorded)"
    low, high = row["interval"]
    return f"[{low:.3f}, {high:.3f}]" + (" UNSTABLE" if row["unstable"] else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", type=Path, help="pytest-benchmark JSON (--benchmark-json)")
    parser.add_argument("--fidelity", default="ci", choices=("smoke", "ci", "lab"),
                        help="write to reports/<fidelity>/figures/ (default ci)")
    parser.add_argument("--out", type=Path, help="write the figure here instead")
    args = parser.parse_args(argv)
    if not args.json.is_file():
        parser.error(f"{args.json}: no such file")
    try:
        ratios = g4_ratios(json.loads(args.json.read_text()))
    except (json.JSONDecodeError, BenchmarkFileError, KeyError, ValueError) as err:
        parser.error(f"{args.json}: {err}")
    out = args.out or Path("reports") / args.fidelity / "figures" / FIGURE_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    draw(ratios).savefig(out, dpi=150, bbox_inches="tight")
    for (shape, device), by_method in sorted(ratios.items()):
        for method in METHOD_ORDER:
            if method in by_method:
                r = by_method[method]
                print(f"{shape:>4} {device:<4} {method:<17} with/without {r['ratio']:.3f} {_interval_text(r)}  "
                      f"masks' share of the dropout step {r['ops_share']:.3f}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
