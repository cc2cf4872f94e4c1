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
    assert "| [C1](#c1) |" in (tmp_path / "report.md").read_text()


def test_exact_counts_show_every_digit_and_the_condition_its_sign():
    from deepclaims.report import fmt_number, render_markdown

    count = record("H2", estimate=143652544.0, interval=[143652544.0, 143652544.0], threshold=143652544.0)
    count["parts"][0].update(estimate=143652544.0, interval=[143652544.0, 143652544.0], threshold=143652544.0,
                             method="exact", direction="equal")
    stochastic = record("A1")
    stochastic["parts"][0].update(estimate=0.5419375021, interval=[0.50470884, 0.5791661], threshold=0.6,
                                  direction="below")
    within = record("D1")
    within["parts"][0].update(direction="within", threshold=0.93, tolerance=0.05)
    text = render_markdown([count, stochastic, within])
    assert "| 143,652,544 | exact | == 143,652,544 |" in text
    assert "| 0.542 | [0.505, 0.579] | < 0.6 |" in text
    assert "within ±0.05 of 0.93" in text
    assert "e+0" not in text and "0.5419375" not in text
    assert fmt_number(1281.0) == "1,281" and fmt_number(-3.854) == "-3.85" and fmt_number(1.2e-5) == "1.2e-05"


def test_the_summary_row_shows_the_part_that_decided():
    from deepclaims.report import render_markdown

    r = record("C5", verdict="contradicted", parts=2)
    r["parts"][0].update(measured="holds part", verdict="reproduced", estimate=2.7)
    r["parts"][1].update(measured="deciding part", verdict="contradicted", estimate=-0.6, interval=[-0.7, -0.5],
                         threshold=1.0)
    row = [line for line in render_markdown([r]).splitlines() if line.startswith("| [C5]")][0]
    assert "deciding part" in row and "-0.6" in row and "holds part" not in row


def test_each_record_points_at_the_run_that_made_it(tmp_path):
    run1 = {"id": "2026-01-01T00:00:00Z", "fidelity": "ci", "seed_base": 0}
    run2 = {"id": "2026-01-02T00:00:00Z", "fidelity": "ci", "seed_base": 1000}
    write_reports(tmp_path, [record("A1"), record("B1")], run1)
    write_reports(tmp_path, [record("A1")], run2)
    data = json.loads((tmp_path / "claims.json").read_text())
    assert {r["id"]: r["run"] for r in data["claims"]} == {"A1": run2["id"], "B1": run1["id"]}
    assert [r["id"] for r in data["runs"]] == [run1["id"], run2["id"]]
    assert "| 2026-01-02T00:00:00Z | ci | 1000 |" in (tmp_path / "report.md").read_text()
