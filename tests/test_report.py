"""Reports: merging records across runs and across tests of one claim."""
import json

from deepclaims.report import combine_same_claim, merge_records, write_reports


def record(cid, verdict="reproduced", parts=1, **extra):
    base = {"id": cid, "title": f"claim {cid}", "source": "s", "verdict": verdict, "expected_verdict": "reproduced",
            "finding": "", "fidelity": "ci", "dataset": "d", "device": "cpu", "seeds": {"count": 3},
            "estimate": 1.0, "interval": [0.5, 1.5], "threshold": 0.0,
            "parts": [{"measured": f"m{i}", "verdict": verdict, "estimate": 1.0, "interval": [0.5, 1.5],
                       "method": "t", "confidence": 0.95, "n": 3, "threshold": 0.0, "direction": "above",
                       "details": {}} for i in range(parts)],
            "duration_s": 1.0, "figures": [], "tables": {}, "notes": {}}
    base.update(extra)
    return base


def test_two_tests_of_one_claim_fold_into_one_record():
    (merged,) = combine_same_claim([record("H3"), record("H3", verdict="not reproduced", figures=["f.png"])])
    assert len(merged["parts"]) == 2 and merged["verdict"] == "not reproduced" and merged["figures"] == ["f.png"]
    assert merged["duration_s"] == 2.0


def test_running_a_subset_keeps_other_claims():
    merged = merge_records([record("A1"), record("B2")], [record("A1", verdict="contradicted")])
    assert [r["id"] for r in merged] == ["A1", "B2"] and merged[0]["verdict"] == "contradicted"


def test_claims_sort_by_topic_then_number():
    merged = merge_records([], [record("A10"), record("A2"), record("B1")])
    assert [r["id"] for r in merged] == ["A2", "A10", "B1"]


def test_damaged_report_is_replaced(tmp_path, capsys):
    (tmp_path / "claims.json").write_text("{ not json")
    write_reports(tmp_path, [record("C1")])
    assert "ignoring unreadable" in capsys.readouterr().out
    data = json.loads((tmp_path / "claims.json").read_text())
    assert [r["id"] for r in data["claims"]] == ["C1"]
    assert "| C1 |" in (tmp_path / "report.md").read_text()
