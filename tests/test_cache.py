"""Result cache: keys, atomic writes, corrupt entries, refused pickles, shards, concurrent workers."""
import fcntl
import multiprocessing as mp
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest

from deepclaims.cache import ResultCache, merge_shards
from deepclaims.errors import ConfigError


VERSION = "v1"


def _per_seed(seeds):
    return {"value": np.array([s * 10.0 for s in seeds])}


def test_entry_is_computed_once_then_read(tmp_path):
    cache = ResultCache(tmp_path)
    calls = []
    compute = lambda: calls.append(1) or {"x": np.arange(3)}
    a = cache.get("exp", {"lr": 0.1}, [0, 1, 2], compute, VERSION)
    b = cache.get("exp", {"lr": 0.1}, [0, 1, 2], compute, VERSION)
    assert len(calls) == 1 and np.array_equal(a["x"], b["x"])
    cache.get("exp", {"lr": 0.2}, [0, 1, 2], compute, VERSION)  # another configuration is another entry
    assert len(calls) == 2


def test_recompute_ignores_the_cache_once_per_session(tmp_path):
    ResultCache(tmp_path).get("exp", {}, [0], lambda: {"x": np.zeros(1)}, VERSION)
    fresh = ResultCache(tmp_path, recompute=True)
    calls = []
    for _ in range(2):
        fresh.get("exp", {}, [0], lambda: calls.append(1) or {"x": np.ones(1)}, VERSION)
    assert len(calls) == 1


def test_corrupt_entry_is_recomputed_with_a_warning(tmp_path):
    cache = ResultCache(tmp_path)
    cache.get("exp", {}, [0], lambda: {"x": np.zeros(1)}, VERSION)
    (entry,) = (tmp_path / "exp").glob("*.npz")
    entry.write_bytes(b"PK\x03\x04 not a zip archive")
    with pytest.warns(UserWarning, match="unreadable cache entry"):
        out = cache.get("exp", {}, [0], lambda: {"x": np.ones(1)}, VERSION)
    assert out["x"][0] == 1.0
    assert np.load(entry)["x"][0] == 1.0


class _RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))   # unpickling this creates a folder: proof that code ran


@pytest.mark.parametrize("where", ["npz", "pkl"])
def test_a_pickle_in_the_cache_is_refused_not_executed(tmp_path, where):
    """An entry replaced by a pickle that runs code on load (or an old .pkl entry under the
    same key) is refused with a warning and recomputed; the pickle's code never runs."""
    cache = ResultCache(tmp_path / "cache")
    cache.get("exp", {}, [0], lambda: {"x": np.zeros(1)}, VERSION)
    (entry,) = (tmp_path / "cache" / "exp").glob("*.npz")
    marker = tmp_path / "code_ran"
    evil = pickle.dumps({"x": _RunsCodeWhenUnpickled(str(marker))})
    if where == "npz":
        entry.write_bytes(evil)
    else:
        entry.with_suffix(".pkl").write_bytes(evil)
        entry.unlink()
    with pytest.warns(UserWarning, match="refusing cache entry .*could run code"):
        out = ResultCache(tmp_path / "cache").get("exp", {}, [0], lambda: {"x": np.ones(1)}, VERSION)
    assert out["x"][0] == 1.0 and not marker.exists()


def test_results_that_need_pickling_are_refused_at_write(tmp_path):
    with pytest.raises(ConfigError, match="not a plain array"):
        ResultCache(tmp_path).get("exp", {}, [0], lambda: {"x": np.array([{"a": 1}], dtype=object)}, VERSION)


def test_another_code_version_is_another_entry(tmp_path):
    cache, calls = ResultCache(tmp_path), []
    for version in ("v1", "v1", "v2"):
        cache.get("exp", {}, [0], lambda: calls.append(1) or {"x": np.zeros(1)}, version)
    assert len(calls) == 2


def test_shards_merge_in_seed_order_whatever_the_worker(tmp_path):
    seeds = list(range(100, 170))
    merged = [ResultCache(tmp_path / str(w), worker_index=w).sharded("exp", {}, seeds, _per_seed, VERSION, shard_size=16)
              for w in range(3)]
    for m in merged:
        np.testing.assert_array_equal(m["value"], np.array(seeds) * 10.0)


def test_merge_rejects_results_without_seed_axis():
    with pytest.raises(ConfigError, match="seeds on its first axis"):
        merge_shards([{"x": np.zeros(3)}, {"x": np.zeros(3)}], n_seeds=4)


def test_bad_experiment_name(tmp_path):
    with pytest.raises(ConfigError, match="experiment name"):
        ResultCache(tmp_path).get("../escape", {}, [0], lambda: {}, VERSION)


def _slow_worker(root, log):
    def compute():
        with open(log, "a") as f:
            f.write("computed\n")
        time.sleep(0.5)
        return {"x": np.arange(4)}
    out = ResultCache(Path(root)).get("exp", {"k": 1}, [0, 1, 2, 3], compute, VERSION)
    assert list(out["x"]) == [0, 1, 2, 3]


def test_concurrent_workers_compute_once(tmp_path):
    """Several processes asking at once: one computes, the others wait and read."""
    log = tmp_path / "log.txt"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_slow_worker, args=(str(tmp_path / "cache"), str(log))) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert all(p.exitcode == 0 for p in procs)
    assert log.read_text().count("computed") == 1
    assert not list((tmp_path / "cache" / "exp").glob("*.tmp"))


def _hold_lock(cache: ResultCache, experiment: str, config, seeds):
    """Take an entry's lock through a second open file, as another worker computing it would."""
    folder = cache.root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / f"{cache._key(experiment, config, seeds, VERSION)}.lock", "a+")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def test_without_wait_a_held_entry_is_passed_over(tmp_path):
    cache = ResultCache(tmp_path)
    held = _hold_lock(cache, "exp", {}, [0])
    assert cache.get("exp", {}, [0], lambda: {"x": np.zeros(1)}, VERSION, wait=False) is None
    held.close()
    assert list(cache.get("exp", {}, [0], lambda: {"x": np.ones(1)}, VERSION, wait=False)["x"]) == [1.0]


def test_a_worker_computes_the_free_runs_before_waiting_on_a_held_one(tmp_path):
    """Run X is held by another worker: starting X then Y computes Y at once, and X only
    when finished (before runs advanced without waiting, the worker queued on X first)."""
    cache, log = ResultCache(tmp_path), []
    compute = lambda name: (lambda seeds: log.append(name) or {"x": np.asarray(seeds, dtype=float)})
    held = _hold_lock(cache, "x_run", {}, [0, 1])
    x_run = cache.open_sharded("x_run", {}, [0, 1], compute("X"), VERSION, shard_size=2)
    y_run = cache.open_sharded("y_run", {}, [0, 1], compute("Y"), VERSION, shard_size=2)
    for run in (x_run, y_run):
        run.advance(wait=False)
    assert log == ["Y"]
    held.close()
    assert list(x_run.finish()["x"]) == [0.0, 1.0] and list(y_run.finish()["x"]) == [0.0, 1.0]
    assert log == ["Y", "X"]
