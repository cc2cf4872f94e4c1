"""The tests' own fixtures."""
import pytest

# Set by pytest-xdist in each worker. Many tests start a pytest of their own (pytester or a
# subprocess); inheriting these would make that inner run take itself for an xdist worker
# (skipping the controller's start-up checks), so `pytest tests/ -n 2` would fail tests
# that pass in one process.
XDIST_WORKER_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


@pytest.fixture(autouse=True)
def _inner_runs_are_not_xdist_workers(monkeypatch):
    for name in XDIST_WORKER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
