"""Benchmarks report their comparisons as ratios, one name for one direction: how many
times longer the loop over seeds takes than the vectorised run (``loop / vectorised``).

Each benchmark records its ratios with the ``ratio`` fixture; they go into the
benchmark's ``extra_info["ratios"]`` (for ``--benchmark-json`` and the runs that
``--benchmark-autosave`` / ``--benchmark-save`` keep) and into a terminal summary section
at the end of the run, so the numbers a reader wants are not buried in the JSON.

pytest-benchmark's own ``--benchmark-compare`` table shows timing statistics only (its
``--benchmark-columns`` are statistics; it never shows ``extra_info``), so under
``--benchmark-compare`` the ratio section puts the compared run's saved ratio beside
each new one.

A ratio timed with ``bench.timing.paired_ratio`` (paired, alternating rounds) is recorded
as ``ratio(setting, paired)``: its point value (the geometric mean of the per-pair ratios)
goes into ``extra_info["ratios"]`` as before, and its 95% interval, spread and stability
into ``extra_info["ratio_intervals"]`` under the same key; the summary prints the
interval and marks UNSTABLE a ratio whose interval stayed wider than the spread limit, or
that was timed while other processes kept the machine busy, after re-measurement (its
number is not to be read as a fact).
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:   # only for annotations: tests copy this conftest where bench/ may not import
    from bench.timing import PairedRatio


def pytest_configure(config):
    """Benchmarks run with glibc's malloc keeping freed memory (``deepclaims.allocator``):
    the LeNet-5 epoch at 64 seeds is otherwise dominated by page faults on its 38 MB
    activations, in the engine and in the vmap recipe alike. Only the benchmarks: the
    claims and tests keep glibc's defaults until the run-dependent difference issue 20's
    note records (seen twice, only with this setting on) is understood."""
    from deepclaims.allocator import keep_freed_memory

    config.deepclaims_memory_kept = keep_freed_memory()


def pytest_report_header(config):
    if not getattr(config, "deepclaims_memory_kept", True):
        return ["bench: glibc's malloc not found, so large CPU tensors may be paged in afresh each step "
                "(see deepclaims/allocator.py); timings differ from the docstrings' for that reason"]
    return []


@dataclass(frozen=True)
class RecordedRatio:
    nodeid: str
    setting: str
    loop_s: float            # the paired arms' median rounds for a PairedRatio
    vectorised_s: float
    value: float
    paired: "PairedRatio | None" = None   # None: two times given, no interval


RATIOS: list[RecordedRatio] = []


def _key(setting: str) -> str:
    return f"loop / vectorised, {setting}"


@pytest.fixture
def ratio(request, benchmark):
    """ratio(setting, loop_s, vectorised_s), or ratio(setting, paired) with a
    ``bench.timing.PairedRatio`` of loop / vectorised: record it for this benchmark."""
    def record(setting: str, loop_s: float | PairedRatio, vectorised_s: float | None = None) -> float:
        paired = None if isinstance(loop_s, Real) else loop_s
        if paired is not None:
            if vectorised_s is not None:
                raise TypeError("ratio(setting, paired): a PairedRatio carries both arms' times; pass no vectorised_s")
            loop_s, vectorised_s, value = paired.numerator_median_s, paired.denominator_median_s, paired.ratio
            benchmark.extra_info.setdefault("ratio_intervals", {})[_key(setting)] = paired.summary()
        elif vectorised_s is None:
            raise TypeError("ratio(setting, loop_s, vectorised_s) needs both times (or a PairedRatio alone)")
        else:
            value = loop_s / vectorised_s
        benchmark.extra_info.setdefault("ratios", {})[_key(setting)] = round(value, 2)
        RATIOS.append(RecordedRatio(request.node.nodeid, setting, loop_s, vectorised_s, value, paired))
        return value
    return record


def _compared_ratios(config) -> list[tuple[str, dict[str, dict]]]:
    """(saved run, {test node ID: its saved ratios}) for each run ``--benchmark-compare``
    loaded; the run is named by its number (``0001``), as ``--benchmark-compare=0001``."""
    mapping = getattr(getattr(config, "_benchmarksession", None), "compared_mapping", None) or {}
    return [(Path(path).stem.split("_")[0],
             {name: bench.get("extra_info", {}).get("ratios", {}) for name, bench in benches.items()})
            for path, benches in mapping.items()]


# A wrapper, after pytest-benchmark's own table, so the run ends with the ratios; it prints
# them even when --benchmark-compare-fail has failed the run there.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_terminal_summary(terminalreporter):
    try:
        return (yield)
    finally:
        _write_ratios(terminalreporter)


def _interval_cell(row: RecordedRatio) -> str:
    if row.paired is None:
        return "-"
    cell = f"{row.paired.low:.2f}-{row.paired.high:.2f}x"
    return cell + " UNSTABLE" if row.paired.unstable else cell


def _write_ratios(terminalreporter) -> None:
    if not RATIOS:
        return
    compared = _compared_ratios(terminalreporter.config)
    terminalreporter.section("deepclaims benchmark ratios (loop over seeds / vectorised; higher is faster)")
    labels = [f"{row.nodeid.split('::')[-1]} [{row.setting}]" for row in RATIOS]
    intervals = [_interval_cell(row) for row in RATIOS]
    width = max(len("benchmark [setting]"), *(len(label) for label in labels))
    interval_width = max(len("95% interval"), *(len(cell) for cell in intervals))
    terminalreporter.write_line(f"{'benchmark [setting]':<{width}}  {'loop s':>9}  {'vectorised s':>12}  {'ratio':>7}"
                                f"  {'95% interval':<{interval_width}}"
                                + "".join(f"  {'saved ' + run:>10}" for run, _ in compared))
    for label, interval, row in zip(labels, intervals, RATIOS):
        saved = [ratios.get(row.nodeid, {}).get(_key(row.setting)) for _, ratios in compared]
        terminalreporter.write_line(f"{label:<{width}}  {row.loop_s:>9.3f}  {row.vectorised_s:>12.4f}  "
                                    f"{row.value:>6.1f}x  {interval:<{interval_width}}"
                                    + "".join(f"  {'-' if s is None else f'{s:.1f}x':>10}" for s in saved))
    unstable = [row for row in RATIOS if row.paired is not None and row.paired.unstable]
    if any(row.paired is not None for row in RATIOS):
        terminalreporter.write_line("paired ratios: geometric mean of alternating rounds' ratios, times are each "
                                    "arm's median round, interval the 95% expanded percentile bootstrap of deepclaims.stats")
    if unstable:
        terminalreporter.write_line(f"UNSTABLE: {len(unstable)} ratio(s) whose interval stayed wider than "
                                    f"x{unstable[0].paired.spread_limit:g} (high / low), or that were timed while "
                                    "other processes kept the machine busy, even when re-measured "
                                    "with more rounds; their numbers are not to be read as facts")
