"""Where real data sets are found: --data-dir, then $DEEPCLAIMS_DATA, then the system's
shared data sets (Debian's dataset-* packages), each set from the first folder holding
it, and the run's header naming the folder each came from."""
import os
from pathlib import Path

import numpy as np
import pytest

from deepclaims.experiment import RunEnvironment
from deepclaims.console import data_line
from deepclaims.startup import DATA_ENV, DataRoot, DataScan, StartupError, data_folders, data_roots, scan_data
from tests.test_loaders import idx_file, labels
from tests.test_plugin import CLAIMS, CONFTEST

pytest_plugins = ["pytester"]
SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")


def write_full_idx_set(folder: Path) -> Path:
    """Four IDX files at MNIST's published counts (zeros: only the format is read)."""
    folder.mkdir(parents=True)
    full = np.zeros((60000, 28, 28), dtype=np.uint8)
    idx_file(folder / "train-images-idx3-ubyte", full)
    idx_file(folder / "train-labels-idx1-ubyte", labels(60000))
    idx_file(folder / "t10k-images-idx3-ubyte", full[:10000])
    idx_file(folder / "t10k-labels-idx1-ubyte", labels(10000))
    return folder


def test_roots_are_searched_option_then_environment_then_system(tmp_path):
    option, env, system = (tmp_path / n for n in ("option", "env", "system"))
    for folder in (option, env, system):
        folder.mkdir()
    roots = data_roots(str(option), {DATA_ENV: str(env)}, system)
    assert [(r.folder, r.origin) for r in roots] == [(option, "--data-dir"), (env, f"${DATA_ENV}"),
                                                     (system, "system")]
    assert data_roots(None, {}, tmp_path / "absent") == []   # no system folder: nothing searched, no error


@pytest.mark.parametrize("option, env, message", [
    ("missing", None, "--data-dir 'missing' is not a folder"),
    (None, "missing", f"${DATA_ENV} 'missing' is not a folder"),
])
def test_a_named_folder_that_is_missing_is_one_line(tmp_path, monkeypatch, option, env, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StartupError, match=message.replace("$", r"\$")):
        data_roots(option, {DATA_ENV: env} if env else {}, tmp_path / "absent")


def test_each_set_comes_from_the_first_folder_holding_it(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_full_idx_set(first / "mnist")
    write_full_idx_set(second / "mnist")
    write_full_idx_set(second / "fashion-mnist")
    roots = [DataRoot(first, "--data-dir"), DataRoot(second, "system")]
    chosen = data_folders(roots)
    assert {name: root.folder for name, root in chosen.items()} == {"mnist": first, "fashion_mnist": second}
    scan = scan_data(roots)
    assert scan.folders() == (("mnist", str(first)), ("fashion_mnist", str(second)))
    assert f"mnist from {first / 'mnist'}" in scan.summary() and "[system]" in scan.summary()
    environment = RunEnvironment("cpu", data_folders=scan.folders())
    assert environment.data_dir_for("fashion_mnist") == str(second)
    assert environment.data_dir_for("cifar10") is None       # not found: the claim uses its stand-in


def test_a_named_folder_without_data_is_refused_but_an_empty_system_folder_is_not(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StartupError, match=rf"\${DATA_ENV} '.*empty' holds no recognised data set"):
        scan_data([DataRoot(empty, f"${DATA_ENV}")])
    assert scan_data([DataRoot(empty, "system")]).found == {}


def test_a_corrupt_file_in_the_environment_folder_names_it(tmp_path):
    folder = write_full_idx_set(tmp_path / "env" / "fashion-mnist")
    path = folder / "t10k-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(StartupError, match=rf"\${DATA_ENV}: .*t10k-labels-idx1-ubyte: truncated"):
        scan_data([DataRoot(tmp_path / "env", f"${DATA_ENV}")])


def test_a_plan_reads_each_set_from_its_own_folder():
    from claims.registry import planned_runs

    environment = RunEnvironment("cpu", data_folders=(("fashion_mnist", "/shared"),))
    readers = {p.experiment.name: p.config.data_dir for p in planned_runs("lab", environment)
               if getattr(p.config, "data_dir", None)}
    assert readers == {"C_mlp002": "/shared", "F_lr_schedules": "/shared"}   # MNIST, CIFAR-10 absent


@pytest.mark.skipif(not SYSTEM_FASHION.is_dir(), reason="needs `apt-get install dataset-fashion-mnist`")
def test_the_header_names_the_folder_and_where_it_was_found(pytester, tmp_path):
    """End to end with the real Fashion-MNIST files, linked into a folder named by the
    environment variable: the lab header says where the set was read from."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_claims=CLAIMS)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "fashion-mnist").symlink_to(SYSTEM_FASHION)
    os.environ[DATA_ENV] = str(shared)
    try:
        result = pytester.runpytest_subprocess("--fidelity", "lab", "--collect-only")
    finally:
        del os.environ[DATA_ENV]
    assert (f"deepclaims: data: fashion_mnist from {shared}/fashion-mnist (60000 training, 10000 test images) "
            f"[${DATA_ENV}]") in result.stdout.str()
    at_ci = pytester.runpytest_subprocess("--collect-only")
    at_ci.stdout.fnmatch_lines(["deepclaims: data: embedded stand-ins for every ci verdict; read only by the "
                                "sensitivity rows that name it: *fashion_mnist from *"])


def test_below_lab_the_header_says_verdicts_rest_on_the_stand_ins_and_who_reads_real_data(tmp_path):
    """At ci a set found is named with the rows that read it; with none found the line says
    where it looked; at lab the sets found are the claims' data."""
    empty = DataScan([DataRoot(tmp_path, "system")])
    assert data_line("ci", None).startswith("deepclaims: data: embedded stand-ins for every ci verdict (no real")
    assert f"no real data set found in {tmp_path}" in data_line("ci", empty)
    found = DataScan([DataRoot(tmp_path, "system")])
    found.found["fashion_mnist"] = (DataRoot(tmp_path, "system"), "fashion_mnist from X")
    assert data_line("smoke", found) == ("deepclaims: data: embedded stand-ins for every smoke verdict; read only "
                                         "by the sensitivity rows that name it: fashion_mnist from X [system]")
    assert data_line("lab", found).startswith("deepclaims: data: fashion_mnist from X [system]; claims whose")
