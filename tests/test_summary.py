"""`python -m deepclaims.summary claims.json`: the verdict table as Markdown for a CI job
summary, and one line on stderr (exit 2) for a file it cannot use."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepclaims.recorder import CatalogueEntry, ClaimRecorder, Expectation
from deepclaims.report import write_reports
from deepclaims.stats import proportion
from deepclaims.summary import junit_properties, main

ROOT = Path(__file__).resolve().parents[1]


def _record(claim_id: str, heads: float, expected: str = "reproduced") -> dict:
    """A claims.json record as a claim test makes it: 'more than half heads' over 400 flips."""
    claim = ClaimRecorder(claim_id, CatalogueEntry(f"coin {claim_id}", "a test", short=f"coin {claim_id}"), "ci",
                          "cpu", Path("unused"),
                          expectation=Expectation(expected, finding="planted", evidence="planted")
                          if expected != "reproduced" else Expectation())
    claim.part("heads fraction", proportion(np.arange(400) < heads * 400), 0.5, "above")
    claim.verdict = claim.parts[0].verdict
    return claim.record()


@pytest.fixture
def claims_json(tmp_path) -> Path:
    return write_reports(tmp_path / "ci", [_record("Z1", 0.8), _record("Z2", 0.2, expected="reproduced"),
                                           _record("Z3", 0.2, expected="contradicted")])


def test_prints_the_verdict_table_as_markdown(claims_json, capsys):
    assert main([str(claims_json)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("**deepclaims verdicts** (fidelity ci): 3 claims: 1 reproduced, 2 contradicted; "
                        "**1 not as expected**: Z2")
    assert lines[2] == ("| ID | verdict | expected | deciding measurement | estimate | 95% interval | holds when "
                        "| fidelity |")
    rows = [line.split(" | ") for line in lines[4:]]
    assert [row[0] for row in rows] == ["| Z1", "| Z2", "| Z3"]
    assert rows[0][1:] == ["**reproduced**", "reproduced", "heads fraction", "0.8", "[0.758, 0.836]", "> 0.5",
                           "ci |"]
    assert rows[1][1:3] == ["**contradicted** (unexpected)", "reproduced"]
    assert rows[2][1:3] == ["**contradicted**", "contradicted"]


def test_the_suites_own_report_prints_a_row_per_claim():
    """The committed reference lab record (reports/ci/ is not committed: a clean clone has
    none until `pytest claims/` runs), through ``python -m`` as CI calls it."""
    out = subprocess.run([sys.executable, "-m", "deepclaims.summary", "reports/lab/claims.json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    ids = [r["id"] for r in json.loads((ROOT / "reports/lab/claims.json").read_text())["claims"]]
    assert [line.split(" | ")[0][2:] for line in out.splitlines()[4:]] == ids


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ('{"schema": 2, "claims": {"A1": 1}}', "not a deepclaims claims.json"),
    ('[1, 2]', "not a deepclaims claims.json"),
])
def test_a_missing_or_corrupt_file_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"deepclaims.summary: {path}: {message}")


def test_junit_properties_are_the_records_verdict_fields():
    record = _record("Z1", 0.8)
    props = dict(junit_properties(record))
    assert list(props) == ["verdict", "expected_verdict", "estimate", "interval", "condition", "fidelity"]
    assert props["verdict"] == "reproduced" and props["condition"] == "> 0.5" and props["fidelity"] == "ci"
    assert json.loads(props["estimate"]) == record["estimate"]
    assert json.loads(props["interval"]) == record["interval"]
