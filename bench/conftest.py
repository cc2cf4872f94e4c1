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
"""
from __future__ import annotations

from pathlib import Path

import pytest

RATIOS: list[tuple[str, str, float, float, float]] = []   # (test node ID, setting, loop_s, vectorised_s, ratio)


def _key(setting: str) -> str:
    return f"loop / vectorised, {setting}"


@pytest.fixture
def ratio(request, benchmark):
    """ratio(setting, loop_s, vectorised_s): record loop / vectorised for this benchmark."""
    def record(setting: str, loop_s: float, vectorised_s: float) -> float:
        value = loop_s / vectorised_s
        benchmark.extra_info.setdefault("ratios", {})[_key(setting)] = round(value, 2)
        RATIOS.append((request.node.nodeid, setting, loop_s, vectorised_s, value))
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


def _write_ratios(terminalreporter) -> None:
    if not RATIOS:
        return
    compared = _compared_ratios(terminalreporter.config)
    terminalreporter.section("deepclaims benchmark ratios (loop over seeds / vectorised; higher is faster)")
    rows = [(f"{nodeid.split('::')[-1]} [{setting}]", nodeid, setting, loop_s, vectorised_s, value)
            for nodeid, setting, loop_s, vectorised_s, value in RATIOS]
    width = max(len("benchmark [setting]"), *(len(label) for label, *_ in rows))
    terminalreporter.write_line(f"{'benchmark [setting]':<{width}}  {'loop s':>9}  {'vectorised s':>12}  {'ratio':>7}"
                                + "".join(f"  {'saved ' + run:>10}" for run, _ in compared))
    for label, nodeid, setting, loop_s, vectorised_s, value in rows:
        saved = [ratios.get(nodeid, {}).get(_key(setting)) for _, ratios in compared]
        terminalreporter.write_line(f"{label:<{width}}  {loop_s:>9.3f}  {vectorised_s:>12.4f}  {value:>6.1f}x"
                                    + "".join(f"  {'-' if s is None else f'{s:.1f}x':>10}" for s in saved))
