"""How far each stochastic part's interval lies from the boundary it is judged against,
across runs at several seed bases.

``python -m deepclaims.margins base0/ci/claims.json base1000/ci/claims.json ...`` checks
that every claim has one verdict at every base and prints the tightest margins: per
stochastic part, the smallest distance between its interval and its boundary (the
nearer edge of a band), in the quantity's units and in interval widths, over the runs.
Exit status 1 when a claim's verdict differs between runs or any interval touches its
boundary (margin 0 or less): a verdict that depends on the seed base is not a verdict.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deepclaims.report import load_records
from deepclaims.verdict import boundaries


def margin(part: dict) -> float:
    """Distance from the interval to its nearest boundary: positive when clear of it."""
    low, high = part["interval"]
    gaps = []
    for edge in boundaries(part["threshold"], part["direction"], part["tolerance"]):
        gaps.append(low - edge if low > edge else edge - high if high < edge else -min(edge - low, high - edge))
    return min(gaps)


def stochastic_parts(record: dict) -> list[tuple[str, dict]]:
    """(label, part) for the claim's judged parts and its sensitivity rows' deciding parts,
    leaving out exact ones."""
    out = [(p["measured"], p) for p in record.get("parts", [])]
    out += [(f"[row: {row['setup']}] {row['deciding']['measured']}", row["deciding"])
            for row in record.get("sensitivity", []) if row.get("deciding")]
    return [(label, p) for label, p in out if p.get("method") != "exact" and not p.get("degenerate")]


def tightest(runs: dict[str, list[dict]], judged_only: bool = True) -> list[tuple[float, float, str, str, str]]:
    """(margin, margin in interval widths, claim, part, run) per part: its smallest margin over the runs."""
    best: dict[tuple[str, str], tuple[float, float, str, str, str]] = {}
    for run, records in runs.items():
        for record in records:
            for label, part in stochastic_parts(record):
                if judged_only and label.startswith("[row:"):
                    continue
                m = margin(part)
                width = part["interval"][1] - part["interval"][0]
                entry = (m, m / width if width > 0 else float("inf"), record["id"], label, run)
                key = (record["id"], label)
                if key not in best or entry[0] < best[key][0]:
                    best[key] = entry
    return sorted(best.values(), key=lambda e: e[1])


def verdict_table(runs: dict[str, list[dict]]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for run, records in runs.items():
        for record in records:
            table.setdefault(record["id"], {})[run] = record["verdict"]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepclaims.margins", description=__doc__.split("\n\n")[0])
    parser.add_argument("claims_json", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15, help="how many of the tightest parts to print")
    parser.add_argument("--rows", action="store_true", help="include the sensitivity rows' deciding parts")
    args = parser.parse_args(argv)
    runs = {}
    for path in args.claims_json:
        records = load_records(path)
        if not records:
            parser.error(f"{path}: no claim records (is it a claims.json written by pytest claims/?)")
        runs[str(path)] = records
    status = 0
    for claim, verdicts in sorted(verdict_table(runs).items()):
        if len(set(verdicts.values())) > 1 or len(verdicts) != len(runs):
            print(f"{claim}: verdicts differ between runs: {verdicts}")
            status = 1
    print(f"{'margin':>10} {'widths':>7}  claim  part  (run)")
    for m, widths, claim, label, run in tightest(runs, not args.rows)[:args.top]:
        print(f"{m:>+10.4g} {widths:>7.2f}  {claim:5}  {label}  ({run})")
        if m <= 0 and not label.startswith("[row:"):
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
