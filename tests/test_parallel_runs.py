"""Shards of ``concurrent`` experiments computed on threads (``plugin.Experiments.run_all``
with ``parallel_runs`` > 1, ``plugin.take_concurrently``): the same numbers as one at a
time, each shard pinned to one intra-op thread, the others left in the main thread, errors
raised with the finished shards kept, a topic's plans prefetched together, and a count
below one refused (--parallel-runs parses as --max-seeds does).

The bitwise check trains G's real experiment (the MLP with dropout, per-seed masks and an
adaptive method) at a small size, three runs on three threads against one after another; its
negative control plants a shared generator, which threads interleave, and requires the
comparison to fail.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch

from claims.g_optimisers.experiments import g_run, TIERS
from claims.g_optimisers.runs import train_adaptive
from deepclaims.cache import ResultCache
from deepclaims.errors import ConfigError
from deepclaims.experiment import Planned, RunEnvironment, experiment
from deepclaims.plugin import Experiments

CPU = RunEnvironment("cpu")


@dataclass(frozen=True, kw_only=True)
class Sleep:
    seconds: float = 0.3
    fail: bool = False


def _record(config: Sleep, seeds: list[int]) -> dict[str, np.ndarray]:
    """Sleeps (releasing Python's lock, as torch ops do) and records where it ran."""
    if config.fail:
        raise RuntimeError(f"planted failure on seeds {seeds}")
    time.sleep(config.seconds)
    n = len(seeds)
    return {"seed": np.array(seeds), "threads": np.full(n, torch.get_num_threads()),
            "main": np.full(n, threading.current_thread() is threading.main_thread())}


def _size(config):
    return 1, 1


concurrent_sleep = experiment("T_concurrent_sleep", one_step=lambda c: c, size=_size, shard_size=2,
                              concurrent=True)(_record)
serial_sleep = experiment("T_serial_sleep", one_step=lambda c: c, size=_size, shard_size=2)(_record)


def _runner(tmp_path, parallel_runs: int, environment: RunEnvironment = CPU) -> Experiments:
    return Experiments("ci", 0, environment, ResultCache(tmp_path / "cache"), parallel_runs=parallel_runs)


def test_concurrent_shards_run_on_threads_at_one_intra_op_thread_each(tmp_path):
    plan = {"a": Planned(concurrent_sleep, Sleep(), 4), "b": Planned(concurrent_sleep, Sleep(seconds=0.31), 4)}
    started = time.perf_counter()
    results = _runner(tmp_path, 4).run_all(plan)
    elapsed = time.perf_counter() - started
    assert elapsed < 2 * 0.31 + 0.3       # four shards of 0.3 s on four threads, not 1.2 s in turn
    for result in results.values():
        assert list(result["seed"]) == [0, 1, 2, 3]
        assert not result["main"].any() and (result["threads"] == 1).all()


def test_other_experiments_and_a_single_thread_stay_in_the_main_thread(tmp_path):
    plan = {"serial": Planned(serial_sleep, Sleep(seconds=0.0), 4),
            "concurrent": Planned(concurrent_sleep, Sleep(seconds=0.0), 4)}
    results = _runner(tmp_path / "two", 2).run_all(plan)
    assert results["serial"]["main"].all() and not results["concurrent"]["main"].any()
    assert _runner(tmp_path / "one", 1).run_all(plan)["concurrent"]["main"].all()
    assert _runner(tmp_path / "gpu", 2, RunEnvironment("cuda")).run_all(plan)["concurrent"]["main"].all()


def test_a_failing_shard_is_raised_and_the_finished_ones_are_kept(tmp_path):
    runner = _runner(tmp_path, 2)
    plan = {"good": Planned(concurrent_sleep, Sleep(seconds=0.0), 2),
            "bad": Planned(concurrent_sleep, Sleep(fail=True), 2)}
    with pytest.raises(RuntimeError, match="planted failure"):
        runner.run_all(plan)
    again = _runner(tmp_path, 2)
    again.run_all({"good": plan["good"]})
    assert again.cache.take_events() == [("T_concurrent_sleep", "cached")]


def test_prefetch_takes_several_plans_together_once_and_hands_the_runs_over(tmp_path):
    runner = _runner(tmp_path, 4)
    plans = [{"a": Planned(concurrent_sleep, Sleep(), 4)}, {"b": Planned(concurrent_sleep, Sleep(seconds=0.31), 4)},
             {"serial": Planned(serial_sleep, Sleep(seconds=0.0), 2)}]
    started = time.perf_counter()
    runner.prefetch("T", lambda: plans)
    assert time.perf_counter() - started < 2 * 0.31 + 0.3     # the two plans' four shards side by side
    assert runner.cache.take_events() == [("T_concurrent_sleep", "computed")] * 4
    runner.prefetch("T", lambda: pytest.fail("a group is prefetched once"))
    results = [runner.run_all(plan) for plan in plans]
    assert runner.cache.take_events() == [("T_serial_sleep", "computed")]    # the others were handed over
    assert list(results[1]["b"]["seed"]) == [0, 1, 2, 3] and not results[1]["b"]["main"].any()
    assert results[2]["serial"]["main"].all()


def test_parallel_runs_below_one_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="parallel_runs must be at least 1, got 0"):
        _runner(tmp_path, 0)


def _g_plan() -> dict[str, Planned]:
    tier = replace(TIERS["smoke"], width=24, epochs=3)
    return {m: Planned(train_adaptive, g_run(m, "dropout", tier, CPU), 6) for m in ("adam", "adadelta", "rmsprop")}


def _same(a: dict[str, dict], b: dict[str, dict]) -> bool:
    return all(np.array_equal(a[run][key], b[run][key]) for run in a for key in a[run])


def test_g_trained_on_threads_is_bitwise_what_one_thread_trains(tmp_path):
    alone = _runner(tmp_path / "one", 1).run_all(_g_plan())
    beside = _runner(tmp_path / "three", 3).run_all(_g_plan())
    assert _same(alone, beside)


def test_negative_control_a_shared_generator_breaks_under_threads(tmp_path, monkeypatch):
    """Every run's dropout drawing from one generator: what each draws then depends on how
    the threads interleave, so the comparison above must fail."""
    import claims.g_optimisers.runs as runs

    shared = torch.Generator().manual_seed(0)
    monkeypatch.setattr(runs.seeding, "generators", lambda seeds, stream: [shared for _ in seeds])
    alone = _runner(tmp_path / "one", 1).run_all(_g_plan())
    shared.manual_seed(0)
    beside = _runner(tmp_path / "three", 3).run_all(_g_plan())
    assert not _same(alone, beside)
