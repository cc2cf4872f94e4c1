"""Plant plausible bugs in a copy of the suite, one at a time, and see which tests catch them.

A claim suite can pass for the wrong reason: a judge that accepts degenerate evidence, a
threshold of "above 0", a probe that records one layer for all. This script copies the
working tree, makes one small edit that a reviewer would expect to break a mechanism the
claims rely on, runs ``pytest claims/`` (and optionally ``pytest tests/``) in the copy, and
reports which tests failed. A planted bug that no claim test catches is a hole in the suite.

Usage (from the repository root):

    python tests/planted_bugs.py                   # every bug, claims only, one at a time
    python tests/planted_bugs.py --jobs 8 --unit   # 8 copies at once, and the unit tests too
    python tests/planted_bugs.py --only lr_near_zero --pytest-args="--seed-base 1000"

Each edit must match its file exactly once; if the code moved, the script stops with an
error rather than plant nothing. Exit status: 0 when every bug failed at least one claim
test, 1 otherwise. Not collected by pytest (the file name does not start with ``test_``).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY_IGNORE = shutil.ignore_patterns(".git", ".deepclaims-cache", "reports", "__pycache__", "*.egg-info",
                                     ".hypothesis", ".benchmarks", ".whl", ".gl")


@dataclass(frozen=True)
class PlantedBug:
    name: str
    what: str          # the mistake, as a reviewer would describe it
    path: str          # file to edit, relative to the repository root
    pattern: str       # regular expression that must match exactly once
    replacement: str


BUGS = [
    PlantedBug("eval_in_train_mode", "evaluation runs in train mode (BN normalises with batch statistics)",
               "deepclaims/training.py", r"(def evaluate\(.*?\n(?:.*\n)*?\s+)model\.eval\(\)",
               r"\1model.train()"),
    PlantedBug("lr_near_zero", "the optimiser silently gets a learning rate near zero",
               "deepclaims/training.py", r"torch\.optim\.SGD\(params, lr=lr,",
               "torch.optim.SGD(params, lr=lr * 1e-6,"),
    PlantedBug("same_init_every_seed", "every seed draws the same initial weights",
               "deepclaims/seeding.py", r"manual_seed\(stream_seed\(seed, stream\)\)",
               'manual_seed(stream_seed(0 if stream == "init" else seed, stream))'),
    PlantedBug("test_split_is_train_split", "the test split is the training split",
               "deepclaims/data/embedded.py", r"t\(x\[k:\], dtype\), t\(y\[k:\], label_dtype\)",
               "t(x[:k], dtype), t(y[:k], label_dtype)"),
    PlantedBug("resnet_without_skips", "the ResNet's blocks lose their identity path",
               "models/mlp.py", r"x = x \+ skip if self\.skips else x", "x = x"),
    PlantedBug("probe_one_layer_for_all", "the gradient probe records the first layer's gradient for every layer",
               "deepclaims/probes.py", r"grads = \[w\.grad\.detach\(\)\.clone\(\) for w in dense_weights\(model\)\]",
               "grads = [dense_weights(model)[0].grad.detach().clone() for w in dense_weights(model)]"),
    PlantedBug("sigmoid_is_relu", "the sigmoid arm is built with ReLU",
               "deepclaims/batched.py", r'"sigmoid": torch\.sigmoid,', '"sigmoid": torch.relu,'),
    PlantedBug("leaky_slope_zero", "the leaky-ReLU arm gets slope 0 (plain ReLU)",
               "claims/d_dying_relu/runs.py", r'"leaky_he": \(0\.01,', '"leaky_he": (0.0,'),
    PlantedBug("weight_scaling_without_p", "weight-scaling dropout forgets the x p at test time",
               "deepclaims/dropout.py", r'return x if self\.rule == "inverted" else x \* self\.retain',
               "return x"),
]


def plant(bug: PlantedBug, into: Path) -> None:
    path = into / bug.path
    text = path.read_text()
    new, count = re.subn(bug.pattern, bug.replacement, text)
    if count != 1:
        raise SystemExit(f"planted bug {bug.name!r}: pattern matched {count} times in {bug.path} (need exactly 1); "
                         "the code moved: update the pattern")
    path.write_text(new)


def failed_tests(junit: Path) -> list[str]:
    if not junit.exists():
        return ["(no junit report: pytest did not run)"]
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}")
    return failed


def run_pytest(copy: Path, target: str, extra: list[str], tag: str) -> tuple[int, list[str]]:
    junit = copy / f"junit-{tag}.xml"
    env = dict(os.environ, PYTHONPATH=str(copy), MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if target.startswith("claims"):
        cmd += ["--result-cache", str(copy / ".cache"), "--report-dir", str(copy / "reports")]
    proc = subprocess.run(cmd + extra, cwd=copy, env=env, capture_output=True, text=True)
    return proc.returncode, failed_tests(junit)


def check_imports_copy(copy: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(copy))
    where = subprocess.run([sys.executable, "-c", "import deepclaims, models; print(deepclaims.__file__)"],
                           cwd=copy, env=env, capture_output=True, text=True).stdout.strip()
    if not where.startswith(str(copy)):
        raise SystemExit(f"the copy imports deepclaims from {where!r}, not from {copy}: the bug would not be tested")


def try_bug(bug: PlantedBug, workdir: Path, extra: list[str], unit: bool) -> dict:
    copy = workdir / bug.name
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    plant(bug, copy)
    check_imports_copy(copy)
    rc, claims_failed = run_pytest(copy, "claims/", extra, "claims")
    out = {"bug": bug, "claims_rc": rc, "claims_failed": claims_failed}
    if unit:
        out["unit_rc"], out["unit_failed"] = run_pytest(copy, "tests/", [], "tests")
    return out


def _row(r: dict) -> str:
    bug = r["bug"]
    claims = ", ".join(r["claims_failed"]) or "**none: not caught**"
    unit = ", ".join(r.get("unit_failed", [])) or ("none" if "unit_failed" in r else "not run")
    return f"| {bug.name} | {bug.what} ({bug.path}) | {claims} | {unit} |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BUGS], help="plant only this bug")
    parser.add_argument("--jobs", type=int, default=1, help="copies tested at once")
    parser.add_argument("--unit", action="store_true", help="run pytest tests/ on each copy too")
    parser.add_argument("--pytest-args", default="", help="extra arguments for pytest claims/")
    parser.add_argument("--keep", action="store_true", help="keep the copies (their reports) afterwards")
    args = parser.parse_args(argv)
    bugs = [b for b in BUGS if not args.only or b.name in args.only]
    workdir = Path(tempfile.mkdtemp(prefix="planted-bugs-"))
    print("| planted bug | what | claim tests that failed | unit tests that failed |")
    print("|---|---|---|---|", flush=True)
    missed = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(try_bug, b, workdir, args.pytest_args.split(), args.unit) for b in bugs]
            for future in concurrent.futures.as_completed(futures):   # a row as each copy finishes
                r = future.result()
                missed += not r["claims_failed"]
                print(_row(r), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        print(f"copies kept under {workdir}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
