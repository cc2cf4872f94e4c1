"""A run's verdicts where CI systems show them: JUnit properties and a job summary.

CI reads JUnit XML and shows a job summary in Markdown, while a verdict, its interval
and its expected value live in ``claims.json``. Each claim test records the fields of
:data:`JUNIT_FIELDS` as JUnit properties (``pytest claims/ --junitxml out.xml``), and

    python -m deepclaims.summary reports/ci/claims.json >> "$GITHUB_STEP_SUMMARY"

prints the verdict table as Markdown. A missing or unreadable file is one line on
stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from deepclaims.errors import DeepClaimsError
from deepclaims.formatting import fmt_number
from deepclaims.report import _cell, _condition, _exact, _interval, deciding   # report.md's table cells
from deepclaims.verdict import VERDICTS

JUNIT_FIELDS = ("verdict", "expected_verdict", "estimate", "interval", "condition", "fidelity")


class SummaryError(DeepClaimsError):
    """The claims.json file is missing or is not one the suite wrote."""


def junit_properties(record: dict) -> list[tuple[str, str]]:
    """A claims.json record's verdict fields as (name, value) JUnit properties, named as in
    claims.json: text as it is, numbers and intervals as JSON (``null`` when the claim
    judged no part), so a CI script reads them back with ``json.loads``."""
    return [(name, value if isinstance(value, str) else json.dumps(value))
            for name in JUNIT_FIELDS for value in [record.get(name)]]


def load(path: Path) -> list[dict]:
    """The claim records of a claims.json, or a SummaryError saying in one line what is wrong."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise SummaryError(f"{path}: no such file (`pytest claims/` writes reports/<fidelity>/claims.json)") from None
    except OSError as exc:
        raise SummaryError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:   # JSONDecodeError is a ValueError
        raise SummaryError(f"{path}: not valid JSON ({str(exc).splitlines()[0]})") from None
    records = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) and {"id", "verdict"} <= set(r) for r in records):
        raise SummaryError(f"{path}: not a deepclaims claims.json (no list of claim records under 'claims')")
    return records


def markdown(records: list[dict]) -> str:
    """A header line with the verdict counts, then one table row per claim: its verdict,
    the expected one, the deciding measurement's estimate, interval and condition."""
    counts = Counter(r["verdict"] for r in records)
    order = [v for v in VERDICTS if counts[v]] + sorted(v for v in counts if v not in VERDICTS)
    unexpected = [r["id"] for r in records
                  if r.get("fidelity") != "smoke" and r["verdict"] != r.get("expected_verdict", "reproduced")]
    fidelities = ", ".join(sorted({r.get("fidelity", "-") for r in records})) or "-"
    head = (f"**deepclaims verdicts** (fidelity {fidelities}): {len(records)} claims: "
            + (", ".join(f"{counts[v]} {v}" for v in order) or "none")
            + (f"; **{len(unexpected)} not as expected**: {', '.join(unexpected)}" if unexpected
               else "; all as expected"))
    lines = [head, "",
             "| ID | verdict | expected | deciding measurement | estimate | 95% interval | holds when | fidelity |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        p = deciding(r) or {}
        expected = "not asserted" if r.get("fidelity") == "smoke" else r.get("expected_verdict", "-")
        verdict = f"**{r['verdict']}**" + (" (unexpected)" if r["id"] in unexpected else "")
        lines.append(f"| {r['id']} | {verdict} | {expected} | {_cell(p.get('measured', '-'))} | "
                     f"{fmt_number(p.get('estimate'), _exact(p))} | {_interval(p)} | "
                     f"{_cell(_condition(p)) if p else '-'} | {r.get('fidelity', '-')} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepclaims.summary", description=__doc__.splitlines()[0])
    parser.add_argument("claims_json", type=Path, help="a claims.json, e.g. reports/ci/claims.json")
    args = parser.parse_args(argv)
    try:
        records = load(args.claims_json)
    except SummaryError as exc:
        print(f"deepclaims.summary: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
