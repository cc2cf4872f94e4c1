"""The pytest plugin: options, the ``claim`` marker and fixtures, xdist glue, reports.

Loaded by the repository's root ``conftest.py``. Workers record each claim's result in
the test's ``user_properties``; the controller (the only process when xdist is off)
collects them from the test reports and writes ``claims.json`` and ``report.md`` once.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from deepclaims import console, workers
from deepclaims.cache import ResultCache, code_version
from deepclaims.fidelity import FIDELITIES
from deepclaims.recorder import CLAIM_ID, CatalogueEntry, ClaimRecorder, Expectation
from deepclaims.report import combine_same_claim, write_reports
from deepclaims.startup import StartupError, resolve_device, scan_data_dir, writable_folder

DEVICES = ("auto", "cpu", "cuda")
RECORD_KEY = "deepclaims_claim"


def pytest_addoption(parser):
    group = parser.getgroup("deepclaims", "deepclaims: reproduce deep-learning claims")
    group.addoption("--fidelity", default="ci",
                    help=f"configuration tier: {', '.join(FIDELITIES)} (default: ci)")
    group.addoption("--seed-base", default="0",
                    help="first seed; a claim over n seeds uses seed-base .. seed-base+n-1 (default: 0)")
    group.addoption("--device", default="auto", help=f"where to train: {', '.join(DEVICES)} (default: auto)")
    group.addoption("--data-dir", default=None,
                    help="folder holding real data sets (MNIST, Fashion-MNIST, CIFAR-10); "
                         "claims fall back to embedded data when absent")
    group.addoption("--report-dir", default="reports", help="where claims.json, report.md and figures go")
    group.addoption("--result-cache", default=".deepclaims-cache", help="folder of cached experiment results")
    group.addoption("--recompute", action="store_true", help="ignore cached results and compute them again")


def _usage(message: str):
    raise pytest.UsageError(message)


def _validate(config) -> None:
    fidelity = config.getoption("--fidelity")
    if fidelity not in FIDELITIES:
        _usage(f"--fidelity {fidelity!r} is not a tier; accepted: {', '.join(FIDELITIES)}")
    raw = config.getoption("--seed-base")
    try:
        seed_base = int(raw)
    except ValueError:
        _usage(f"--seed-base {raw!r} is not an integer; accepted: a whole number >= 0")
    if seed_base < 0:
        _usage(f"--seed-base {seed_base} is negative; accepted: a whole number >= 0")
    config.option.seed_base = seed_base
    device = config.getoption("--device")
    if device not in DEVICES:
        _usage(f"--device {device!r} is unknown; accepted: {', '.join(DEVICES)}")
    data_dir = config.getoption("--data-dir")
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            _usage(f"--data-dir {data_dir!r} is not a folder; give a folder holding the data sets, or omit it")
        if not os.access(path, os.R_OK | os.X_OK):
            _usage(f"--data-dir {data_dir!r} cannot be read (permission denied)")
    try:
        writable_folder("--report-dir", _report_dir(config))
        writable_folder("--result-cache", _cache_dir(config))
        if workers.worker_index() is None:
            # The controller checks once, before any worker starts or any experiment runs.
            config.deepclaims_device = resolve_device(device)
            config.deepclaims_data = scan_data_dir(Path(data_dir).expanduser()) if data_dir else None
    except StartupError as exc:
        _usage(str(exc))


def pytest_report_header(config):
    device = getattr(config, "deepclaims_device", config.getoption("--device"))
    return [console.header_line(config.getoption("--fidelity"), config.option.seed_base, device,
                                _report_dir(config), code_version()),
            console.data_line(config.getoption("--fidelity"), getattr(config, "deepclaims_data", None))]


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id): the catalogue ID (A1..H4) of the claim a test checks")
    _validate(config)
    config.pluginmanager.register(RecordCollector(config), "deepclaims-records")
    index = workers.worker_index()
    if index is None:
        # Controller: find the GPUs once and hand the count down to xdist workers,
        # which must not touch CUDA before they have pinned themselves.
        if config.getoption("--device") != "cpu" and workers.GPU_COUNT_ENV not in os.environ:
            import torch

            os.environ[workers.GPU_COUNT_ENV] = str(torch.cuda.device_count())
        return
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    changes = workers.pin_worker(dict(os.environ), index, count,
                                 int(os.environ.get(workers.GPU_COUNT_ENV, "0")), os.cpu_count() or 1)
    os.environ.update(changes)
    import torch

    torch.set_num_threads(int(changes["DEEPCLAIMS_THREADS"]))


CLAIM_SELECTOR = re.compile(r"^[A-Z][0-9]*$")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """``-k C`` or ``-k C5``: select by catalogue ID, case-sensitively.

    pytest's own ``-k`` matches names case-insensitively, so ``-k C`` would select every
    test under ``claims/`` (the folder's name holds a 'c'). A bare topic letter or claim ID
    is therefore read as a catalogue selector: claim tests whose ID starts with it, and
    other tests whose file or name carries it between underscores (``test_C_controls``).
    Any other expression goes to pytest unchanged.
    """
    selector = (config.getoption("keyword") or "").strip()
    if not CLAIM_SELECTOR.match(selector):
        return
    exact = any(ch.isdigit() for ch in selector)
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("claim")
        if marker is not None and marker.args:
            cid = str(marker.args[0])
            hit = cid == selector if exact else cid.startswith(selector)
        else:
            hit = f"_{selector}_" in item.nodeid
        (keep if hit else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
    config.option.keyword = ""  # already applied; keep pytest from re-matching it loosely


class RecordCollector:
    """Collects claim records from test reports; the controller writes them once at the end.

    Under xdist the reports of every worker reach the controller with their
    ``user_properties``, so one code path serves both modes.
    """

    def __init__(self, config):
        self.config = config
        self.records: dict[str, dict] = {}
        self.durations: dict[str, float] = {}
        self.started = datetime.now(timezone.utc)

    def pytest_runtest_logreport(self, report):
        # Setup counts too: a claim's experiment usually runs in a shared fixture, and the
        # first claim to need it pays for it.
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        for name, value in getattr(report, "user_properties", ()):
            if name == RECORD_KEY:
                self.records[report.nodeid] = json.loads(value)

    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput") or not self.records:
            return
        for nodeid, record in self.records.items():
            record["duration_s"] = round(self.durations.get(nodeid, record["duration_s"]), 3)
        # One folder per fidelity: a smoke or lab run never overwrites the ci report.
        folder = _report_dir(self.config) / self.config.getoption("--fidelity")
        self.report_path = write_reports(folder, list(self.records.values()),
                                         console.run_info(self.config.getoption("--fidelity"),
                                                          self.config.option.seed_base,
                                                          getattr(self.config, "deepclaims_device", "-"),
                                                          code_version(), self.started))

    def pytest_terminal_summary(self, terminalreporter):
        path = getattr(self, "report_path", None)
        if path is None:
            return
        records = sorted(combine_same_claim(list(self.records.values())), key=lambda r: r["id"])
        terminalreporter.section("deepclaims verdicts")
        for line in console.summary_lines(records, self.config.getoption("--fidelity"), path.parent / "report.md"):
            terminalreporter.write_line(line)


def _report_dir(config) -> Path:
    path = Path(config.getoption("--report-dir")).expanduser()
    return path if path.is_absolute() else Path(config.rootpath) / path


def _cache_dir(config) -> Path:
    path = Path(config.getoption("--result-cache")).expanduser()
    return path if path.is_absolute() else Path(config.rootpath) / path


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def fidelity(pytestconfig) -> str:
    """The configuration tier of this run: smoke, ci or lab."""
    return pytestconfig.getoption("--fidelity")


@pytest.fixture(scope="session")
def seed_base(pytestconfig) -> int:
    return pytestconfig.option.seed_base


@pytest.fixture(scope="session")
def device(pytestconfig):
    """The torch device claims train on (checked at start-up; an xdist worker resolves it
    after pinning its GPU)."""
    import torch

    try:
        return torch.device(resolve_device(pytestconfig.getoption("--device")))
    except StartupError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def data_dir(pytestconfig) -> Path | None:
    raw = pytestconfig.getoption("--data-dir")
    return None if raw is None else Path(raw).expanduser()


@pytest.fixture(scope="session")
def result_cache(pytestconfig) -> ResultCache:
    return ResultCache(_cache_dir(pytestconfig), recompute=pytestconfig.getoption("--recompute"),
                       worker_index=workers.worker_index() or 0, progress=_progress_writer(pytestconfig))


def _progress_writer(config):
    """Progress lines for long experiments: on the terminal, one line each (no carriage
    returns, so CI logs stay readable); none under -q or in an xdist worker."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or config.getoption("verbose") < 0 or workers.worker_index() is not None:
        return None
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.ensure_newline()
            reporter.write_line(f"deepclaims: {line}")
    return write


@pytest.fixture(scope="session")
def claim_catalogue() -> dict[str, CatalogueEntry]:
    """Overridden by the suite's ``claims/conftest.py`` with the real catalogue."""
    return {}


@pytest.fixture(scope="session")
def claim_expectations() -> dict[str, Expectation]:
    """Overridden by ``claims/conftest.py`` with the suite's reviewed expectations."""
    return {}


@pytest.fixture
def claim(request, pytestconfig, claim_catalogue, claim_expectations, fidelity, device, result_cache):
    """The recorder of the claim named by the test's ``@pytest.mark.claim("ID")`` marker."""
    marker = request.node.get_closest_marker("claim")
    if marker is None or len(marker.args) != 1:
        raise pytest.UsageError(f"{request.node.nodeid} uses the claim fixture without "
                                "@pytest.mark.claim('<ID>')")
    claim_id = marker.args[0]
    if not CLAIM_ID.match(str(claim_id)) or claim_id not in claim_catalogue:
        known = ", ".join(sorted(claim_catalogue)) or "none (no catalogue loaded)"
        raise pytest.UsageError(f"{request.node.nodeid}: unknown claim id {claim_id!r}; known: {known}")
    recorder = ClaimRecorder(claim_id, claim_catalogue[claim_id], fidelity, str(device),
                             _report_dir(pytestconfig) / fidelity,
                             expectation=claim_expectations.get(claim_id, Expectation()))
    yield recorder
    record = recorder.record()
    # Shared experiments are module fixtures, set up before this function-scoped fixture,
    # so a claim is credited with every cache look-up since the previous claim ended.
    record["results"] = console.results_source(result_cache.take_events())
    record["recorded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    request.node.user_properties.append((RECORD_KEY, json.dumps(record)))
