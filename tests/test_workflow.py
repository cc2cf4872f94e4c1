"""The GitHub Actions workflow's structure. It cannot run here, so this checks what it
would do: on push and pull requests, on Ubuntu with Python 3.11, the README's two
commands verbatim, then (even after a failure) the reports uploaded and the verdict
table appended to the job summary."""
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML (in the [test] extra) reads the workflow file")

ROOT = Path(__file__).resolve().parents[1]
README_COMMANDS = ('pip install torch==2.13.0 -e ".[test]" && pytest tests/',
                   'pip install torch==2.13.0 -e ".[test]" && pytest claims/')


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((ROOT / ".github/workflows/claims.yml").read_text())


@pytest.fixture(scope="module")
def steps(workflow) -> list[dict]:
    (job,) = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu-")
    return job["steps"]


def _index(steps, predicate) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def test_runs_on_push_and_pull_requests(workflow):
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)


def test_checks_out_and_sets_up_python_3_11(steps):
    checkout = _index(steps, lambda s: s.get("uses", "").startswith("actions/checkout@"))
    python = _index(steps, lambda s: s.get("uses", "").startswith("actions/setup-python@"))
    assert checkout < python
    assert steps[python]["with"]["python-version"] == "3.11"


def test_runs_the_readmes_two_commands_verbatim(steps):
    readme = (ROOT / "README.md").read_text()
    order = []
    for command in README_COMMANDS:
        assert command in readme, f"README.md no longer shows {command}"
        order.append(_index(steps, lambda s: s.get("run", "").strip() == command))
    assert order == sorted(order)


def test_uploads_reports_and_appends_the_verdict_table_even_after_a_failure(steps):
    claims = _index(steps, lambda s: s.get("run", "").strip() == README_COMMANDS[1])
    upload = _index(steps, lambda s: s.get("uses", "").startswith("actions/upload-artifact@"))
    assert steps[upload]["with"]["path"].rstrip("/") == "reports"
    summary = _index(steps, lambda s: "deepclaims.summary" in s.get("run", ""))
    assert steps[summary]["run"].strip() in (
        'python -m deepclaims.summary reports/ci/claims.json >> "$GITHUB_STEP_SUMMARY"',
        "python -m deepclaims.summary reports/ci/claims.json >> $GITHUB_STEP_SUMMARY")
    for i in (upload, summary):
        assert i > claims and steps[i]["if"] == "always()"
