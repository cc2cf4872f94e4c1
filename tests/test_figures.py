"""Every figure a run lists exists, is a non-empty PNG, is not a copy of another, and
passes the reader checks (title, labelled axes, text >= 8 pt; deepclaims.figure_check).

Runs the whole suite at smoke fidelity (every claim's figure code, seconds per claim)
into a temporary report folder, as a user would run it.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    proc = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--fidelity", "smoke", "-q", "-p",
                           "no:cacheprovider", "--report-dir", str(out / "reports"), "--result-cache",
                           str(out / "cache")], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    folder = out / "reports" / "smoke"
    return folder, json.loads((folder / "claims.json").read_text())["claims"]


def test_every_listed_figure_is_a_distinct_non_empty_png(smoke_report):
    folder, records = smoke_report
    listed = [(r["id"], f) for r in records for f in r["figures"]]
    assert len(listed) >= 25
    seen: dict[bytes, str] = {}
    for claim_id, rel in listed:
        path = folder / rel
        assert path.is_file(), f"{claim_id} lists {rel}, which does not exist"
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 2000, f"{rel} is not a real PNG"
        assert data not in seen, f"{rel} is byte-identical to {seen.get(data)}"
        seen[data] = rel
    assert not list((folder.parent / "figures").glob("*.png")), "figures must sit in the fidelity's own folder"


def test_every_figure_passes_the_reader_checks(smoke_report):
    _, records = smoke_report
    problems = {f: p for r in records for f, p in r.get("figure_problems", {}).items()}
    assert not problems, "\n".join(f"{f}: {'; '.join(p)}" for f, p in problems.items())
