"""deepclaims.compare: which numbers and verdicts changed between two claims.json files."""
import copy
import json

from deepclaims.compare import main


def record(cid: str, verdict: str, estimate: float) -> dict:
    return {"id": cid, "verdict": verdict, "expected_verdict": "reproduced", "duration_s": 1.0,
            "parts": [{"measured": "x", "verdict": verdict, "estimate": estimate}],
            "sensitivity": [{"setup": "twice the budget", "verdict": verdict}]}


def write(path, records):
    path.write_text(json.dumps({"schema": 2, "runs": [], "claims": records}))
    return str(path)


def test_numbers_and_verdicts_are_compared_and_run_fields_ignored(tmp_path, capsys):
    before = [record("B1", "reproduced", -0.58), record("B2", "reproduced", 1.0)]
    same = copy.deepcopy(before)
    same[0]["duration_s"] = 99.0          # describes the run, not the result
    assert main([write(tmp_path / "a.json", before), write(tmp_path / "b.json", same)]) == 0
    assert "identical verdicts and numbers" in capsys.readouterr().out

    moved = copy.deepcopy(before)
    moved[1]["parts"][0]["estimate"] = 0.99
    assert main([str(tmp_path / "a.json"), write(tmp_path / "c.json", moved)]) == 1
    assert "B2.parts[0].estimate: 1.0 -> 0.99" in capsys.readouterr().out
    # on other hardware the last digits move: --verdicts ignores them
    assert main([str(tmp_path / "a.json"), str(tmp_path / "c.json"), "--verdicts"]) == 0
    assert "identical verdicts" in capsys.readouterr().out


def test_verdicts_only_reports_each_changed_verdict_and_a_missing_claim(tmp_path, capsys):
    before = [record("B1", "not reproduced", -0.48), record("B3", "contradicted", -0.3)]
    after = [record("B1", "contradicted", -0.47)]
    assert main([write(tmp_path / "a.json", before), write(tmp_path / "b.json", after), "--verdicts"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "B1.verdict: 'not reproduced' -> 'contradicted'" in out
    assert "B1.parts[0].verdict: 'not reproduced' -> 'contradicted'" in out
    assert "B1.sensitivity[0].verdict: 'not reproduced' -> 'contradicted'" in out
    assert "B3: only in before" in out
    assert not any("estimate" in line for line in out)
