"""The pytest plugin as a user meets it: option errors, claim records, xdist."""
import json

import numpy as np
import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest
from deepclaims.recorder import CatalogueEntry
pytest_plugins = ["deepclaims.plugin"]

@pytest.fixture(scope="session")
def claim_catalogue():
    return {"Z1": CatalogueEntry("coin lands heads mostly", "a test"),
            "Z2": CatalogueEntry("coin lands tails mostly", "a test")}
"""

CLAIMS = """
import numpy as np, pytest
from deepclaims.stats import proportion

def flips(seed_base):
    return np.random.default_rng(seed_base).random(400) < 0.8

@pytest.mark.claim("Z1")
def test_Z1_heads(claim, seed_base):
    claim.seeds = list(range(seed_base, seed_base + 400))
    claim.part("heads fraction", proportion(flips(seed_base)), 0.5, "above")
    claim.conclude()

@pytest.mark.claim("Z2")
def test_Z2_tails(claim, seed_base):
    claim.part("heads fraction", proportion(flips(seed_base)), 0.5, "below")
    claim.conclude()
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_claims=CLAIMS)
    return pytester


@pytest.mark.parametrize("args, message", [
    (["--fidelity", "labb"], "*argument --fidelity: invalid choice: 'labb' (choose from 'smoke', 'ci', 'lab')"),
    (["--seed-base", "-1"], "*argument --seed-base: -1 is negative; accepted: a whole number >= 0"),
    (["--seed-base", "ten"], "*argument --seed-base: 'ten' is not an integer*"),
    (["--device", "tpu"], "*argument --device: invalid choice: 'tpu' (choose from 'auto', 'cpu', 'cuda')"),
    (["--claim", "a5"], "*argument --claim: 'a5': expected catalogue IDs or topic letters*"),
    (["--data-dir", "/no/such/folder"], "ERROR: --data-dir '/no/such/folder' is not a folder*"),
])
def test_bad_options_give_one_clear_line(project, args, message):
    """Each option's form is checked by its parser, before anything runs; one line says
    what was wrong and what is accepted."""
    result = project.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_claim_option_selects_by_catalogue_id_and_k_keeps_its_meaning(project):
    only_z2 = project.runpytest_subprocess("--claim", "Z2", "-p", "no:cacheprovider")
    only_z2.assert_outcomes(failed=1)   # Z2 is contradicted, the expectation says reproduced
    assert "Z1" not in only_z2.stdout.str().split("deepclaims verdicts")[1]
    by_topic = project.runpytest_subprocess("--claim", "Z", "-p", "no:cacheprovider")
    by_topic.assert_outcomes(passed=1, failed=1)
    by_name = project.runpytest_subprocess("-k", "heads", "-p", "no:cacheprovider")   # pytest's -k: names
    by_name.assert_outcomes(passed=1)
    nothing = project.runpytest_subprocess("--claim", "Z7", "-p", "no:cacheprovider")
    assert nothing.ret == pytest.ExitCode.USAGE_ERROR
    nothing.stderr.fnmatch_lines(["ERROR: --claim Z7 selects no claim test*"])


def test_records_reach_claims_json_with_verdicts(project):
    result = project.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*claim Z2 is 'contradicted', the suite expects 'reproduced'*",
                                 "*source:    a test*"])
    data = json.loads((project.path / "reports" / "ci" / "claims.json").read_text())
    by_id = {r["id"]: r for r in data["claims"]}
    assert by_id["Z1"]["verdict"] == "reproduced" and by_id["Z2"]["verdict"] == "contradicted"
    for key in ("id", "title", "source", "verdict", "fidelity", "dataset", "device", "seeds", "estimate",
                "interval", "threshold", "duration_s", "figures"):
        assert key in by_id["Z1"]
    assert "| [Z1](#z1) |" in (project.path / "reports" / "ci" / "report.md").read_text()


def test_xdist_gives_the_same_records(project):
    project.runpytest_subprocess()
    serial = json.loads((project.path / "reports" / "ci" / "claims.json").read_text())["claims"]
    project.runpytest_subprocess("-n", "2", "--report-dir", "reports_xdist")
    parallel = json.loads((project.path / "reports_xdist" / "ci" / "claims.json").read_text())["claims"]
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ("duration_s", "recorded_at", "run", "results")} for r in rs]
    assert strip(serial) == strip(parallel)


def test_unknown_claim_id_is_refused(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_bad="""
import pytest
@pytest.mark.claim("Q9")
def test_Q9(claim):
    pass
""")
    result = pytester.runpytest_subprocess()
    assert "unknown claim id 'Q9'" in result.stdout.str() + result.stderr.str()


def _one_error_line(result, message):
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert "passed" not in result.stdout.str() and "failed" not in result.stdout.str()  # nothing ran


def test_report_and_cache_paths_that_are_files_are_refused_at_start(project):
    (project.path / "afile").write_text("x")
    _one_error_line(project.runpytest_subprocess("--report-dir", "afile"), "--report-dir '*afile' is a file")
    _one_error_line(project.runpytest_subprocess("--result-cache", "afile/sub"),
                    "--result-cache '*afile/sub' cannot be created: '*afile' is a file")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_a_gpu_is_one_line(project):
    _one_error_line(project.runpytest_subprocess("--device", "cuda"),
                    "--device cuda was asked for but no CUDA device is available")


def test_data_dir_without_a_data_set_is_refused(project):
    (project.path / "data").mkdir()
    _one_error_line(project.runpytest_subprocess("--data-dir", "data"),
                    "--data-dir '*data' holds no recognised data set; accepted layouts: MNIST as mnist/*")


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-100], "*train-images-idx3-ubyte: truncated: shape (60000, 28, 28)*"),
    (lambda b: b"\x00\x00\x08\x07" + b[4:], "*train-images-idx3-ubyte: wrong magic number 0x00000807*"),
], ids=["truncated", "corrupt"])
def test_a_bad_data_file_is_one_line_before_any_training(project, damage, message):
    from tests.test_loaders import idx_file, labels

    folder = project.path / "data" / "mnist"
    folder.mkdir(parents=True)
    full = np.zeros((60000, 28, 28), dtype=np.uint8)
    path = idx_file(folder / "train-images-idx3-ubyte", full)
    path.write_bytes(damage(path.read_bytes()))
    idx_file(folder / "train-labels-idx1-ubyte", labels(60000))
    idx_file(folder / "t10k-images-idx3-ubyte", full[:10000])
    idx_file(folder / "t10k-labels-idx1-ubyte", labels(10000))
    _one_error_line(project.runpytest_subprocess("--data-dir", "data"), f"--data-dir: {message}")


def test_the_header_and_the_verdict_summary(project):
    result = project.runpytest_subprocess("-q")
    out = result.stdout.str()
    assert "deepclaims: fidelity ci, seed base 0, device" not in out  # -q drops pytest's header
    result.stdout.fnmatch_lines(["*= deepclaims verdicts =*", "1 reproduced, 1 contradicted (2 claims, fidelity ci)",
                                 "Z1  reproduced      as expected*", "Z2  contradicted    EXPECTED reproduced*",
                                 "report: *report.md"])
    verbose = project.runpytest_subprocess()
    verbose.stdout.fnmatch_lines(["deepclaims: fidelity ci, seed base 0, device *, torch *, code *",
                                  "deepclaims: data: embedded stand-ins for every ci verdict*"])


def test_each_fidelity_writes_its_own_report(project):
    project.runpytest_subprocess()
    ci_report = (project.path / "reports" / "ci" / "claims.json").read_text()
    project.runpytest_subprocess("--fidelity", "smoke")
    assert (project.path / "reports" / "ci" / "claims.json").read_text() == ci_report
    smoke = json.loads((project.path / "reports" / "smoke" / "claims.json").read_text())
    assert {r["fidelity"] for r in smoke["claims"]} == {"smoke"}
    assert "| not asserted |" in (project.path / "reports" / "smoke" / "report.md").read_text()


def test_a_lab_run_says_which_claims_read_real_data_and_which_use_stand_ins():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--fidelity", "lab", "--collect-only", "-k", "H1",
                          "-p", "no:cacheprovider"], cwd=root, capture_output=True, text=True).stdout
    # Debian's dataset-fashion-mnist, where installed, is found without --data-dir
    fashion = ("C7-C8, F1-F3 read fashion_mnist" if Path("/usr/share/datasets/fashion-mnist").is_dir() else
               "C7-C8, F1-F3 use the embedded stand-in for fashion_mnist")
    assert (f"deepclaims: at lab, C1-C5, E1-E5 use the embedded stand-in for mnist; {fashion}; G2-G3, G5 use the "
            "embedded stand-in for cifar10") in out


def test_collect_only_at_lab_estimates_the_run_size():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--fidelity", "lab", "--collect-only", "-q",
                          "--claim", "A5", "-p", "no:cacheprovider"], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "test_claim[A5]" in out.stdout and "test_claim[A1]" not in out.stdout
    assert "deepclaims: at lab, A would run " in out.stdout and " training epochs in all" in out.stdout
    assert "deepclaims: estimate, A at lab on cpu: " in out.stdout and " with -n " in out.stdout


def test_a_claim_skipped_for_missing_evidence_records_nothing_and_is_listed(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_claims=CLAIMS + '''

@pytest.mark.claim("Z1")
def test_Z1_needs_a_benchmark(claim):
    claim.skip("give it a benchmark JSON")
''')
    result = pytester.runpytest_subprocess("-k", "Z1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["Z1  skipped: give it a benchmark JSON"])
    report = json.loads((pytester.path / "reports" / "ci" / "claims.json").read_text())
    assert [r["id"] for r in report["claims"]] == ["Z1"]     # the heads test's record, none from the skip
    assert report["pending"] == {}   # Z1 has a record from the other test, so it is not listed as unchecked


def test_max_seeds_caps_every_seed_count_of_the_tier_and_says_so(project):
    from dataclasses import dataclass

    from deepclaims.fidelity import capped

    @dataclass(frozen=True)
    class Tier:
        epochs: int
        seeds: int
        row_seeds: int
        born_nets: int

    assert capped(Tier(60, 80, 16, 10000), 8) == Tier(60, 8, 8, 8)      # epochs are not seed counts
    assert capped(Tier(60, 4, 16, 10000), 8) == Tier(60, 4, 8, 8)       # never raised
    assert capped(Tier(60, 80, 16, 10000), None) == Tier(60, 80, 16, 10000)
    result = project.runpytest_subprocess("--max-seeds", "8")
    result.stdout.fnmatch_lines(["deepclaims: seeds capped at 8 (--max-seeds)*"])
    runs = json.loads((project.path / "reports" / "ci" / "claims.json").read_text())["runs"]
    assert runs[-1]["max_seeds"] == 8
    bad = project.runpytest_subprocess("--max-seeds", "0")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*argument --max-seeds: 0 is below 1; accepted: a whole number >= 1"])


@pytest.mark.parametrize("worker, order", [(0, ["a", "b", "c"]), (1, ["b", "c", "a"]), (5, ["c", "a", "b"])])
def test_each_worker_starts_a_plan_at_a_different_run_and_results_keep_the_plan_order(worker, order):
    from deepclaims.plugin import Experiments

    class Cache:
        worker_index = worker

    class Started:
        def __init__(self, planned):
            self.planned = planned
            events.append(("start", planned))

        def finish(self):
            events.append(("finish", self.planned))
            return {"value": self.planned}

    events = []
    experiments = Experiments("ci", 0, None, Cache())
    experiments.start = Started
    results = experiments.run_all({"a": "a", "b": "b", "c": "c"})
    # every run is started (its free shards computed) before any is finished (waited on)
    assert events[:3] == [("start", name) for name in order]
    assert {name for kind, name in events[3:]} == {"a", "b", "c"} and all(kind == "finish" for kind, _ in events[3:])
    assert list(results) == ["a", "b", "c"] and results["b"] == {"value": "b"}
