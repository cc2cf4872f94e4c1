"""Compare the verdicts and numbers of two ``claims.json`` files.

``python -m deepclaims.compare before.json after.json [--claim B1,B2]`` prints every
field that differs between the two files' records of the same claim, ignoring what
describes a run rather than a result (timings, dates, the run id, whether results came
from the cache). Exit status 0 when they agree, 1 when any number or verdict differs.
Restructuring the suite must leave this silent.

``--verdicts`` compares verdicts only (each claim's, its parts' and its sensitivity
rows'), for a new run against a reference record made on other hardware, whose numbers
differ in their last digits while its verdicts should not:

    python -m deepclaims.compare reports/lab/claims.json new/lab/claims.json --verdicts
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RUN_FIELDS = frozenset({"duration_s", "recorded_at", "run", "results"})


def differences(before, after, path: str = "") -> list[str]:
    """Paths (``B1.parts[0].estimate``) where two JSON values differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            if key in RUN_FIELDS:
                continue
            if key not in before or key not in after:
                out.append(f"{path}.{key}: only in {'after' if key in after else 'before'}")
            else:
                out.extend(differences(before[key], after[key], f"{path}.{key}"))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} items before, {len(after)} after"]
        return [d for i, (b, a) in enumerate(zip(before, after)) for d in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def is_verdict(line: str) -> bool:
    """Whether a difference (``B1.parts[0].verdict: ...``) is of a verdict, or of a claim."""
    field = line.split(":", 1)[0]
    return field.endswith(".verdict") or ".expected_verdict" in field or "." not in field


def compare(before: Path, after: Path, claims: set[str] | None = None, verdicts_only: bool = False) -> list[str]:
    load = lambda p: {r["id"]: r for r in json.loads(Path(p).read_text())["claims"]}
    b, a = load(before), load(after)
    ids = sorted(claims if claims else set(b) | set(a))
    out = []
    for cid in ids:
        if cid not in b or cid not in a:
            out.append(f"{cid}: only in {'after' if cid in a else 'before'}")
        else:
            out.extend(cid + d for d in differences(b[cid], a[cid]))
    return [line for line in out if is_verdict(line)] if verdicts_only else out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--claim", default="", help="comma-separated claim IDs to compare (default: all)")
    parser.add_argument("--verdicts", action="store_true", help="compare verdicts only, not numbers")
    args = parser.parse_args(argv)
    found = compare(args.before, args.after, {c for c in args.claim.split(",") if c} or None, args.verdicts)
    for line in found:
        print(line)
    same = "identical verdicts" if args.verdicts else "identical verdicts and numbers"
    print(f"{len(found)} differences" if found else same)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
