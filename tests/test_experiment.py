"""The one cached-experiment path: code versions from what an experiment imports, plans."""
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from deepclaims.errors import ConfigError
from deepclaims.experiment import Planned, experiment, import_closure

ROOT = Path(__file__).resolve().parents[1]
# Prints every planned experiment's code version for topics A-D, keyed by experiment name.
VERSIONS = """
import json
from claims.registry import TOPICS, planned_runs
from deepclaims.experiment import RunEnvironment
assert {"A", "B", "C", "D"} <= {t.letter for t in TOPICS}
runs = planned_runs("ci", RunEnvironment(), {"A", "B", "C", "D"})
print(json.dumps({p.experiment.name: p.experiment.version for p in runs}))
"""


def _versions(tree: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", VERSIONS], cwd=tree, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    for package in ("deepclaims", "models", "claims"):
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def _edit(path: Path, edit) -> None:
    path.write_text(edit(path.read_text()))


def test_editing_vgg_or_a_comment_keeps_topics_A_to_D_cached(tree_copy):
    before = _versions(tree_copy)
    assert {"dense_training", "C_probe", "D_collapse"} <= set(before)   # A-D's experiments are all there
    _edit(tree_copy / "models" / "vgg.py", lambda s: s + "\n\ndef unused_helper():\n    return 1\n")
    _edit(tree_copy / "models" / "mlp.py", lambda s: s.replace('"""', '"""A docstring edit. ', 1) + "\n# a comment\n")
    assert _versions(tree_copy) == before
    # negative control: a change to code the training runs does invalidate dense_training
    _edit(tree_copy / "models" / "mlp.py", lambda s: s + "\nEXTRA_CONSTANT = 2\n")
    after = _versions(tree_copy)
    assert after["dense_training"] != before["dense_training"]


def test_the_closure_follows_project_imports_only():
    closure = import_closure("claims.runs")
    assert {"claims.runs", "models.mlp", "deepclaims.training", "deepclaims.seeding"} <= set(closure)
    assert "models.vgg" not in closure and "deepclaims.report" not in closure
    assert not any(name.split(".")[0] in ("torch", "numpy") for name in closure)


@dataclass(frozen=True, kw_only=True)
class _Config:
    scale: float


@experiment("scaled_seeds", one_step=lambda c: c, size=lambda c: (1, 1))
def _scaled_seeds(config: _Config, seeds: list[int]):
    return {"x": np.array(seeds, dtype=float) * config.scale}


def test_a_planned_run_covers_its_seeds_from_the_base():
    planned = Planned(_scaled_seeds, _Config(scale=2.0), seeds=3, first_seed=5)
    assert planned.seed_list(100) == [105, 106, 107]
    assert list(planned.experiment(planned.config, planned.seed_list(0))["x"]) == [10.0, 12.0, 14.0]


def test_plans_refuse_mutable_configurations_and_no_seeds():
    with pytest.raises(ConfigError, match="frozen dataclasses"):
        Planned(_scaled_seeds, {"scale": 2.0}, seeds=1)
    with pytest.raises(ConfigError, match="at least one seed"):
        Planned(_scaled_seeds, _Config(scale=1.0), seeds=0)


@dataclass(frozen=True, kw_only=True)
class _ReadsData:
    data_dir: str | None


@experiment("reads_data", one_step=lambda c: c, size=lambda c: (1, 1))
def _reads_data(config: _ReadsData, seeds: list[int]):
    return {"x": np.array(seeds, dtype=float)}


def test_a_result_is_recomputed_when_the_data_folder_changes(tmp_path):
    """A run on a stand-in (data set absent) must not be reused once the data set is there."""
    from deepclaims.cache import ResultCache
    from deepclaims.experiment import RunEnvironment
    from deepclaims.plugin import Experiments

    data = tmp_path / "data"
    (data / "mnist").mkdir(parents=True)
    cache = ResultCache(tmp_path / "cache")
    runner = Experiments("ci", 0, RunEnvironment("cpu", str(data)), cache)
    planned = Planned(_reads_data, _ReadsData(data_dir=str(data)), seeds=2)
    runner.run(planned)
    runner.run(planned)
    (data / "mnist" / "train-images-idx3-ubyte").write_bytes(b"new file")
    runner.run(planned)
    assert [kind for _, kind in cache.events] == ["computed", "cached", "computed"]
