"""What a run prints: its settings at the top, progress of long experiments, and a verdict
summary at the end (the report holds the details; the console says where it is)."""
from __future__ import annotations

import platform
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

from deepclaims.verdict import VERDICTS


def header_line(fidelity: str, seed_base: int, device: str, report_dir: Path, code: str) -> str:
    import numpy
    import torch

    return (f"deepclaims: fidelity {fidelity}, seed base {seed_base}, device {device}, torch {torch.__version__}, "
            f"numpy {numpy.__version__}, code {code}, reports to {report_dir / fidelity}")


def run_info(fidelity: str, seed_base: int, device: str, code: str, started: datetime,
             max_seeds: int | None = None) -> dict:
    """The settings and versions a run's records came from (its id is its start time);
    ``max_seeds`` only when the run capped its tiers' seed counts."""
    import numpy
    import torch

    info = {"id": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "fidelity": fidelity, "seed_base": seed_base,
            "device": device, "device_name": device_name(device), "torch": torch.__version__,
            "numpy": numpy.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
            "code": code, "commit": git_commit()}
    if max_seeds is not None:
        info["max_seeds"] = max_seeds
    return info


def device_name(device: str) -> str:
    """The accelerator's or the CPU's model name, for the record of where numbers came from."""
    import torch

    if str(device).startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "-"


def git_commit() -> str:
    """The checkout's commit (with '+dirty' for uncommitted changes), or '-' outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=5)
        if head.returncode != 0:
            return "-"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "-"


def data_line(fidelity: str, scan) -> str:
    """Which real data sets a run reads and the folder each came from, or why it reads none.

    Below lab every verdict rests on the embedded stand-ins (so a machine's data folders
    cannot change a ci verdict); a set found is read only by the sensitivity rows that
    name it (G2's Fashion-MNIST row), and the line says so.
    """
    searched = "" if scan is None else f" in {', '.join(str(r.folder) for r in scan.roots)}"
    none_found = (f"no real data set found{searched}; searched: --data-dir, $DEEPCLAIMS_DATA, then "
                  "/usr/share/datasets")
    if fidelity != "lab":
        verdicts = f"deepclaims: data: embedded stand-ins for every {fidelity} verdict"
        if scan is None or not scan.found:
            return f"{verdicts} ({none_found})"
        return f"{verdicts}; read only by the sensitivity rows that name it: {scan.summary()}"
    if scan is None or not scan.found:
        return f"deepclaims: data: embedded stand-ins ({none_found})"
    return f"deepclaims: data: {scan.summary()}; claims whose data set is absent use embedded stand-ins"


def results_source(events: list[tuple[str, str]]) -> str:
    """How a claim's experiment results were obtained during its test."""
    kinds = {kind for _, kind in events}
    if "computed" in kinds:
        return "computed" if kinds == {"computed"} else "partly cached"
    if kinds == {"cached"}:
        return "cached"
    return "-"   # nothing looked up: an earlier claim's results in memory, or no training at all


def summary_lines(records: list[dict], fidelity: str, report_path: Path) -> list[str]:
    """The end-of-run section: verdict counts, one line per claim, and where the report is."""
    counts = Counter(r["verdict"] for r in records)
    order = [v for v in VERDICTS if counts[v]] + sorted(v for v in counts if v not in VERDICTS)
    lines = [", ".join(f"{counts[v]} {v}" for v in order) + f" ({len(records)} claims, fidelity {fidelity})"]
    asserted = fidelity != "smoke"
    lines.append(f"{'ID':<4}{'verdict':<16}{'against the expectation':<40}{'results':<14}{'time':>9}")
    for r in records:
        expected = r.get("expected_verdict", "reproduced")
        if not asserted:
            mark = "not asserted at smoke"
        elif r["verdict"] == expected:
            mark = "as expected" if expected == "reproduced" else f"as expected: a finding ({expected})"
        else:
            mark = f"EXPECTED {expected}"
        lines.append(f"{r['id']:<4}{r['verdict']:<16}{mark:<40}{r.get('results', '-'):<14}"
                     f"{r.get('duration_s', 0):>7.1f} s")
    lines.append("results: computed this run, cached from an earlier run, or '-' (none looked up: an earlier "
                 "claim's, already in memory, or no training)")
    lines.append(f"report: {report_path}")
    return lines
