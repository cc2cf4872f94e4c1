"""Benchmarks report their comparisons as ratios, one name for one direction: how many
times longer the loop over seeds takes than the vectorised run (``loop / vectorised``).

Each benchmark records its ratios with the ``ratio`` fixture; they go into the
benchmark's ``extra_info["ratios"]`` (for ``--benchmark-json``) and into a terminal
summary section at the end of the run, so the numbers a reader wants are not buried in
the JSON.
"""
from __future__ import annotations

import pytest

RATIOS: list[tuple[str, str, float, float, float]] = []   # (test, setting, loop_s, vectorised_s, ratio)


@pytest.fixture
def ratio(request, benchmark):
    """ratio(setting, loop_s, vectorised_s): record loop / vectorised for this benchmark."""
    def record(setting: str, loop_s: float, vectorised_s: float) -> float:
        value = loop_s / vectorised_s
        benchmark.extra_info.setdefault("ratios", {})[f"loop / vectorised, {setting}"] = round(value, 2)
        RATIOS.append((request.node.name, setting, loop_s, vectorised_s, value))
        return value
    return record


@pytest.hookimpl(trylast=True)   # after pytest-benchmark's own table, so the run ends with the ratios
def pytest_terminal_summary(terminalreporter):
    if not RATIOS:
        return
    terminalreporter.section("deepclaims benchmark ratios (loop over seeds / vectorised; higher is faster)")
    width = max(len(f"{t} [{s}]") for t, s, *_ in RATIOS)
    terminalreporter.write_line(f"{'benchmark [setting]':<{width}}  {'loop s':>9}  {'vectorised s':>12}  {'ratio':>7}")
    for test, setting, loop_s, vectorised_s, value in RATIOS:
        terminalreporter.write_line(f"{test + ' [' + setting + ']':<{width}}  {loop_s:>9.3f}  {vectorised_s:>12.4f}  "
                                    f"{value:>6.1f}x")
