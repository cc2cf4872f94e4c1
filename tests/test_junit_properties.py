"""`pytest claims/ --junitxml` carries each claim's verdict fields as JUnit properties,
equal to its claims.json record, for a failing claim as for a passing one.

Runs the real claim tests of topic H (arithmetic: no training, a few seconds) with H1's
expectation planted wrong, so H1 fails on an unexpected verdict as a real finding would.
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PLANT = '''
import pytest
from deepclaims.recorder import Expectation

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """Expect H1 to be contradicted: its test then fails on the verdict it gets."""
    if item.name == "test_claim[H1]":
        item.funcargs["claim"].expectation = Expectation("contradicted", finding="planted", evidence="planted")
'''


def test_claim_tests_record_verdict_properties_in_junit_xml(tmp_path):
    (tmp_path / "plant_h1.py").write_text(PLANT)
    xml = tmp_path / "out.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    run = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--claim", "H", "--junitxml", str(xml),
                          "--report-dir", str(tmp_path / "reports"), "--result-cache", str(tmp_path / "cache"),
                          "-p", "plant_h1", "-p", "no:cacheprovider", "-q"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "PytestWarning" not in run.stdout   # record_property would warn on each claim under xunit2

    records = {r["id"]: r for r in json.loads((tmp_path / "reports/ci/claims.json").read_text())["claims"]}
    cases = {tc.get("name"): tc for tc in ET.parse(xml).getroot().iter("testcase")}
    assert sorted(cases) == [f"test_claim[H{i}]" for i in range(1, 5)]
    for name, case in cases.items():
        record = records[name[len("test_claim["):-1]]
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["verdict"] == record["verdict"]
        assert props["expected_verdict"] == record["expected_verdict"]
        assert json.loads(props["estimate"]) == record["estimate"] is not None
        assert json.loads(props["interval"]) == record["interval"] is not None
        assert props["condition"] == record["condition"]
        assert props["fidelity"] == record["fidelity"] == "ci"
        assert (case.find("failure") is not None) == (name == "test_claim[H1]")
    h1 = {p.get("name"): p.get("value") for p in cases["test_claim[H1]"].iter("property")}
    assert (h1["verdict"], h1["expected_verdict"]) == ("reproduced", "contradicted")
