"""Benchmark baselines with pytest-benchmark's own options: a saved run's ratios show
beside the new ones under ``--benchmark-compare`` (whose own table shows timings only),
and still show when ``--benchmark-compare-fail`` fails the run.

A toy benchmark under bench/conftest.py, timed in milliseconds."""
from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

TOY = """
import os, time

def test_toy(benchmark, ratio):
    benchmark.pedantic(time.sleep, args=(float(os.environ["TOY_SLEEP_S"]),), rounds=3)
    ratio("toy", float(os.environ["TOY_LOOP_S"]), 1.0)
"""


def test_compare_shows_the_saved_ratios_and_fail_keeps_them(pytester, monkeypatch):
    pytester.makeconftest((ROOT / "bench/conftest.py").read_text())
    pytester.makepyfile(test_toy=TOY)
    storage = f"--benchmark-storage=file://{pytester.path / 'saved'}"

    monkeypatch.setenv("TOY_SLEEP_S", "0")
    monkeypatch.setenv("TOY_LOOP_S", "2.0")
    pytester.runpytest(storage, "--benchmark-save=baseline").assert_outcomes(passed=1)

    monkeypatch.setenv("TOY_LOOP_S", "4.0")
    result = pytester.runpytest(storage, "--benchmark-compare=0001")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*benchmark [[]setting[]]*ratio*saved 0001",
                                 "test_toy [[]toy[]] * 4.0x * 2.0x"])

    monkeypatch.setenv("TOY_SLEEP_S", "0.02")   # far slower than the saved run's best time
    result = pytester.runpytest(storage, "--benchmark-compare=0001", "--benchmark-compare-fail=min:10%")
    assert result.ret != 0
    assert "PerformanceRegression" in "\n".join(result.outlines + result.errlines)
    result.stdout.fnmatch_lines(["test_toy [[]toy[]] * 4.0x * 2.0x"])
