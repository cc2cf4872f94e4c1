"""Paired benchmark ratios (``bench.timing.paired_ratio``), their report in the benchmark
summary (``bench/conftest.py``) and in G4's reader and figure
(``claims.g_optimisers.benchmark``).

Every timing here is fake: the arms advance an injected clock by durations the test
chooses, so the ratios, intervals and the re-measurement are exact and deterministic."""
from __future__ import annotations

import json
import time
from itertools import cycle
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.timing import (BOOTSTRAP_RESAMPLES, REMEASURE_GROWTH, REMEASURES, UNSTABLE_SPREAD, geometric_mean_interval,
                          paired_ratio)
from claims.g_optimisers.benchmark import METHOD_ORDER, BenchmarkFileError, draw, g4_ratios
from deepclaims.errors import ConfigError

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
CPU = torch.device("cpu")


class FakeClock:
    """A clock that only moves when an arm says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def arm(clock: FakeClock, name: str, durations, calls: list[str]):
    """A callable that logs its name and advances ``clock`` by the next of ``durations``."""
    durations = iter(durations)

    def run() -> None:
        calls.append(name)
        clock.now += next(durations)
    return run


def idle_machine() -> float:
    """The machine's CPU seconds as an idle machine reports them: never advancing, so the
    other processes' load reads 0 whatever else runs while the tests do."""
    return 0.0


def measure(numerator_durations, denominator_durations, rounds=4, warmup=0, **kwargs):
    clock, calls = FakeClock(), []
    kwargs.setdefault("load", idle_machine)
    result = paired_ratio(arm(clock, "N", numerator_durations, calls), arm(clock, "D", denominator_durations, calls),
                          rounds, CPU, warmup, clock=clock, **kwargs)
    return result, calls


class BusyMachine:
    """The machine's CPU seconds when other processes keep ``cores`` cores busy: this
    process's own CPU time plus ``cores`` per second of the real clock."""

    def __init__(self, cores: float):
        self.cores, self.start = cores, time.perf_counter()

    def __call__(self) -> float:
        return time.process_time() + self.cores * (time.perf_counter() - self.start)


def test_a_ratio_timed_beside_a_busy_process_is_remeasured_then_marked_unstable():
    """Consistent rounds (interval 1.0-1.0) on a machine whose other processes use a core:
    re-measured with more rounds, then kept and marked unstable."""
    result, calls = measure(cycle([2.0]), cycle([1.0]), rounds=2, load=BusyMachine(1.0))
    assert result.unstable and result.attempts == 1 + REMEASURES and result.busy
    assert result.ratio == pytest.approx(2.0) and result.spread == pytest.approx(1.0)
    assert "other processes used" in result.describe()


def test_a_quiet_machine_keeps_a_consistent_ratio():
    result, _ = measure(cycle([2.0]), cycle([1.0]), rounds=2)
    assert not result.unstable and result.attempts == 1 and result.other_cores == 0.0


# ---------------------------------------------------------------- the interval

def test_geometric_mean_averages_logs_so_inverse_ratios_cancel():
    ratio, low, high = geometric_mean_interval([2.0, 0.5])
    assert ratio == pytest.approx(1.0)
    assert low == pytest.approx(0.5) and high == pytest.approx(2.0)   # resamples of 2: {2,2}, {2,.5}, {.5,.5}
    assert geometric_mean_interval([1.0, 2.0, 4.0])[0] == pytest.approx(2.0)


def test_identical_ratios_give_a_zero_width_interval():
    assert geometric_mean_interval([3.0] * 5) == pytest.approx((3.0, 3.0, 3.0))


def test_bootstrap_interval_of_three_pairs_is_their_extremes():
    # resampling three log ratios (0, ln 2, ln 4): all three draws equal the smallest with
    # probability 1/27 = 3.7%, more than the tail the expanded interval reads at n = 3
    # (Phi(-sqrt(3/2) t_2) = 1e-7), so the 95% ends are 1x and 4x
    assert geometric_mean_interval([1.0, 2.0, 4.0])[1:] == pytest.approx((1.0, 4.0))


def test_bootstrap_interval_matches_the_normal_interval_on_many_pairs():
    logs = np.random.default_rng(0).normal(np.log(1.5), 0.1, size=400)
    ratio, low, high = geometric_mean_interval(np.exp(logs))
    half_width = 1.96 * logs.std(ddof=1) / np.sqrt(len(logs))
    assert ratio == pytest.approx(np.exp(logs.mean()))
    assert np.log(high / low) / 2 == pytest.approx(half_width, rel=0.1)
    assert np.log(ratio) - np.log(low) == pytest.approx(half_width, rel=0.15)


def test_bootstrap_is_seeded_so_the_same_ratios_give_the_same_interval():
    ratios = [1.1, 1.4, 0.9, 1.2, 1.6, 1.0]
    assert geometric_mean_interval(ratios) == geometric_mean_interval(ratios)
    assert geometric_mean_interval(ratios, resamples=BOOTSTRAP_RESAMPLES, seed=1) != geometric_mean_interval(ratios)


@pytest.mark.parametrize("ratios", [[1.0], [1.0, 0.0], [1.0, float("inf")], [1.0, -2.0]])
def test_interval_refuses_too_few_or_non_positive_ratios(ratios):
    with pytest.raises(ConfigError):
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric_mean_interval(ratios)


# ---------------------------------------------------------------- paired rounds

def test_arms_alternate_and_swap_which_goes_first_each_pair():
    _, calls = measure(cycle([2.0]), cycle([1.0]), rounds=4, warmup=1)
    assert calls == ["N", "D",                                   # warmup, untimed
                     "N", "D", "D", "N", "N", "D", "D", "N"]


def test_each_pair_compares_its_own_two_rounds():
    # a load that doubles every pair doubles both arms of it: each pair still reads 3x
    loads = [1, 2, 4, 8]
    numerator = [3.0 * load for load in loads]
    denominator = [1.0 * load for load in loads]
    result, _ = measure(numerator, denominator, rounds=4)
    assert result.pair_ratios == pytest.approx((3.0,) * 4)
    assert (result.ratio, result.low, result.high) == pytest.approx((3.0, 3.0, 3.0))
    assert not result.unstable and result.attempts == 1 and result.pairs == 4
    assert result.numerator_median_s == pytest.approx(9.0) and result.denominator_median_s == pytest.approx(3.0)
    assert result.numerator_best_s == 3.0 and result.denominator_best_s == 1.0


def test_warmup_rounds_are_not_timed():
    result, _ = measure([100.0, 2.0, 2.0], [100.0, 1.0, 1.0], rounds=2, warmup=1)
    assert result.numerator_s == (2.0, 2.0) and result.denominator_s == (1.0, 1.0)


def test_disagreeing_rounds_are_remeasured_with_more_rounds_then_marked_unstable():
    # per-pair ratios 1x, 4x, 1x, 4x...: the interval stays far wider than the limit
    result, calls = measure(cycle([1.0, 4.0]), cycle([1.0]), rounds=4)
    expected_pairs = [4 * REMEASURE_GROWTH ** attempt for attempt in range(REMEASURES + 1)]
    assert len(calls) == 2 * sum(expected_pairs)
    assert result.attempts == REMEASURES + 1 and result.pairs == expected_pairs[-1]
    assert result.unstable and result.spread > UNSTABLE_SPREAD
    assert result.ratio == pytest.approx(2.0)                    # kept, not dropped: sqrt(1 x 4)


def test_a_remeasurement_that_agrees_replaces_the_disturbed_one():
    # the first 4 pairs disagree (a busy spell); the 8 pairs measured again all read 2x
    numerator = [1.0, 5.0, 1.0, 5.0] + [2.0] * 8
    result, calls = measure(numerator, [1.0] * 12, rounds=4)
    assert result.attempts == 2 and not result.unstable
    assert result.pairs == 8 and len(calls) == 24
    assert (result.ratio, result.low, result.high) == pytest.approx((2.0, 2.0, 2.0))


def test_without_remeasures_an_unstable_ratio_is_marked_at_once():
    result, calls = measure(cycle([1.0, 4.0]), cycle([1.0]), rounds=4, remeasures=0)
    assert result.unstable and result.attempts == 1 and len(calls) == 8


def test_a_looser_spread_limit_accepts_what_the_default_marks():
    ratios = [1.0, 1.5, 1.0, 1.5, 1.0, 1.5]
    result, _ = measure(ratios, [1.0] * 6, rounds=6, remeasures=0, spread_limit=1.5)
    assert not result.unstable
    assert result.spread > UNSTABLE_SPREAD


def test_summary_records_the_interval_and_the_verdict():
    result, _ = measure(cycle([1.0, 4.0]), cycle([1.0]), rounds=4, remeasures=0)
    summary = result.summary()
    assert summary["unstable"] is True and summary["pairs"] == 4 and summary["attempts"] == 1
    assert summary["low"] == round(result.low, 3) and summary["high"] == round(result.high, 3)
    assert summary["spread_limit"] == UNSTABLE_SPREAD
    assert "UNSTABLE" in result.describe()
    json.dumps(summary)                                          # goes into extra_info as is


@pytest.mark.parametrize("settings, message", [
    ({"rounds": 1}, "rounds must be an integer of at least 2"),
    ({"rounds": 2.5}, "rounds must be an integer"),
    ({"warmup": -1}, "warmup must be"),
    ({"remeasures": -1}, "remeasures must be"),
    ({"spread_limit": 1.0}, "spread_limit"),
])
def test_bad_settings_are_refused_before_anything_runs(settings, message):
    calls = []
    kwargs = {"rounds": 4, "warmup": 0} | settings
    rounds, warmup = kwargs.pop("rounds"), kwargs.pop("warmup")
    with pytest.raises(ConfigError, match=message):
        paired_ratio(lambda: calls.append("N"), lambda: calls.append("D"), rounds, CPU, warmup,
                     clock=FakeClock(), load=idle_machine, **kwargs)
    assert calls == []


def test_a_round_the_clock_cannot_see_is_refused():
    with pytest.raises(ConfigError, match="no measurable time"):
        measure(cycle([0.0]), cycle([1.0]))


def test_the_real_clock_times_real_work():
    # a hundred times the work: no plausible load makes the geometric mean fall below 1
    result = paired_ratio(lambda: sum(range(100_000)), lambda: sum(range(1_000)), 3, CPU, warmup=0, remeasures=0,
                          load=idle_machine)
    assert result.pairs == 3 and result.ratio > 1


# ---------------------------------------------------------------- G4's reader and figure

def _g4_json(intervals: bool, unstable_method: str | None = None, medians: bool = True) -> dict:
    benchmarks = []
    for method in METHOD_ORDER:
        for dropout in (False, True):
            info = {"method": method, "shape": "ci", "device": "cpu", "dropout": dropout}
            if dropout:
                key = f"with dropout / without dropout, {method}, ci, cpu"
                info.update(ratios={key: 1.5}, dropout_ops_share=0.3,
                            paired_with_dropout_best_s=0.0011, paired_without_dropout_best_s=0.0007)
                if medians:
                    info.update(paired_with_dropout_median_s=0.0012, paired_without_dropout_median_s=0.0008)
                if intervals:
                    info["ratio_intervals"] = {key: {"low": 1.4, "high": 1.6, "spread": 1.143, "pairs": 40,
                                                     "attempts": 1, "unstable": method == unstable_method}}
            benchmarks.append({"name": f"test_G4_training_step_with_and_without_dropout[ci-{method}]",
                               "extra_info": info})
    return {"benchmarks": benchmarks}


def test_g4_ratios_reads_the_interval_and_the_unstable_mark():
    ratios = g4_ratios(_g4_json(intervals=True, unstable_method="adadelta"))[("ci", "cpu")]
    assert ratios["adam"]["interval"] == (1.4, 1.6) and ratios["adam"]["unstable"] is False
    assert ratios["adadelta"]["unstable"] is True
    assert (ratios["adam"]["with_s"], ratios["adam"]["without_s"], ratios["adam"]["seconds"]) == (0.0012, 0.0008,
                                                                                                   "median")


def test_g4_ratios_reads_an_older_json_without_intervals():
    ratios = g4_ratios(_g4_json(intervals=False, medians=False))[("ci", "cpu")]
    assert all(r["interval"] is None and r["unstable"] is None for r in ratios.values())
    assert (ratios["adam"]["ratio"], ratios["adam"]["with_s"], ratios["adam"]["seconds"]) == (1.5, 0.0011, "best")


def test_g4_ratios_refuses_a_malformed_interval():
    report = _g4_json(intervals=True)
    (entry,) = report["benchmarks"][1]["extra_info"]["ratio_intervals"].values()
    del entry["high"]
    with pytest.raises(BenchmarkFileError, match="ratio_intervals"):
        g4_ratios(report)


def test_g4_figure_draws_intervals_and_hatches_and_labels_unstable_rows():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw(g4_ratios(_g4_json(intervals=True, unstable_method="adadelta")))
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.texts]
        assert labels.count("1.50\nunstable") == 1 and labels.count("1.50") == len(METHOD_ORDER) - 1
        ratio_bars = ax.patches[:len(METHOD_ORDER)]
        assert [bool(bar.get_hatch()) for bar in ratio_bars] == [m == "adadelta" for m in METHOD_ORDER]
        assert ax.containers and any(type(c).__name__ == "ErrorbarContainer" for c in ax.containers)
    finally:
        plt.close(fig)
    plt.close(draw(g4_ratios(_g4_json(intervals=False, medians=False))))   # an older JSON still draws


# ---------------------------------------------------------------- the benchmark summary

TOY = """
from bench.timing import PairedRatio

STEADY = PairedRatio(4.0, 3.8, 4.2, (4.0, 4.0, 4.0), (1.0, 1.0, 1.0), unstable=False, attempts=1)
BUSY = PairedRatio(2.0, 0.9, 4.5, (1.0, 4.0), (1.0, 1.0), unstable=True, attempts=3)

def test_toy(benchmark, ratio):
    benchmark.pedantic(lambda: None, rounds=1)
    ratio("steady", STEADY)
    ratio("busy", BUSY)
    ratio("two times", 6.0, 2.0)
    # the point values stay where --benchmark-compare reads them; the intervals go beside
    assert benchmark.extra_info["ratios"] == {"loop / vectorised, steady": 4.0, "loop / vectorised, busy": 2.0,
                                              "loop / vectorised, two times": 3.0}
    assert benchmark.extra_info["ratio_intervals"] == {"loop / vectorised, steady": STEADY.summary(),
                                                       "loop / vectorised, busy": BUSY.summary()}
"""


def test_summary_prints_the_interval_and_marks_unstable_ratios(pytester):
    pytester.makeconftest((ROOT / "bench/conftest.py").read_text())
    pytester.makepyfile(test_toy=TOY)
    pytester.syspathinsert(ROOT)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*benchmark [[]setting[]]*ratio*95% interval*",
                                 "test_toy [[]steady[]] * 4.0x  3.80-4.20x*",
                                 "test_toy [[]busy[]] * 2.0x  0.90-4.50x UNSTABLE*",
                                 "test_toy [[]two times[]] * 3.0x  -*",
                                 "UNSTABLE: 1 ratio(s)*"])
