"""The pytest plugin: options, the ``claim`` marker and fixtures, xdist glue, reports.

Loaded by the repository's root ``conftest.py``. Workers record each claim's result in
the test's ``user_properties``; the controller (the only process when xdist is off)
collects them from the test reports and writes ``claims.json`` and ``report.md`` once.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from deepclaims import console, workers
from deepclaims.cache import ResultCache, ShardedRun
from deepclaims.data.real import folder_signature
from deepclaims.errors import ConfigError
from deepclaims.experiment import Plan, Planned, RunEnvironment, project_version
from deepclaims.fidelity import FIDELITIES, capped, select
from deepclaims.recorder import CLAIM_ID, CatalogueEntry, ClaimRecorder, Expectation
from deepclaims.registry import parse_claim_selection, selected, spec_of
from deepclaims.report import combine_same_claim, write_reports
from deepclaims.startup import (StartupError, data_folders, data_roots, resolve_device, scan_data,
                                writable_folder)

DEVICES = ("auto", "cpu", "cuda")
RECORD_KEY = "deepclaims_claim"
SKIP_KEY = "deepclaims_skipped_claim"
GPU_COUNT_INPUT = "deepclaims_gpu_count"   # the controller's GPU count, in each xdist worker's workerinput


def whole_number_from(minimum: int, below: str):
    """An argparse type: an integer of at least ``minimum``; ``below`` words the refusal
    of a smaller one ('is negative')."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer; accepted: a whole number >= {minimum}"
                                             ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} {below}; accepted: a whole number >= {minimum}")
        return value
    return parse


non_negative_int = whole_number_from(0, "is negative")     # --seed-base
positive_int = whole_number_from(1, "is below 1")          # --max-seeds


def benchmark_json(text: str) -> dict:
    """argparse type of --benchmark-json-in: a readable JSON file, parsed."""
    path = Path(text).expanduser()
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} cannot be read ({exc.strerror or exc}); give the file "
                                         "pytest bench/ --benchmark-json wrote") from None
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({exc.msg}, line {exc.lineno})") from None


def pytest_addoption(parser):
    group = parser.getgroup("deepclaims", "deepclaims: reproduce deep-learning claims")
    group.addoption("--fidelity", default="ci", choices=FIDELITIES,
                    help=f"configuration tier: {', '.join(FIDELITIES)} (default: ci)")
    group.addoption("--seed-base", default=0, type=non_negative_int,
                    help="first seed; a claim over n seeds uses seed-base .. seed-base+n-1 (default: 0)")
    group.addoption("--device", default="auto", choices=DEVICES,
                    help=f"where to train: {', '.join(DEVICES)} (default: auto)")
    group.addoption("--claim", default=None, type=parse_claim_selection, metavar="IDS",
                    help="run only these claims: catalogue IDs or topic letters, comma-separated "
                         "(--claim A5,C); -k keeps pytest's meaning")
    group.addoption("--max-seeds", default=None, type=positive_int, metavar="N",
                    help="train every seed count of the tier on at most N seeds: the tier's configurations with "
                         "less power (a quicker look; the header and the report say so)")
    group.addoption("--parallel-runs", default=None, type=positive_int, metavar="N",
                    help="on a CPU, compute up to N shards of the experiments that allow it (all but C's and the "
                         "plain references) at once, each on its own thread (default: the CPU threads this process "
                         "may use: all cores, or its share under -n); numbers are the same for every N")
    group.addoption("--benchmark-json-in", default=None, type=benchmark_json, metavar="FILE",
                    help="a pytest-benchmark JSON (from pytest bench/ --benchmark-json) whose timings claims "
                         "report (G4); without it those claims are skipped")
    group.addoption("--data-dir", default=None,
                    help="folder holding real data sets (MNIST, Fashion-MNIST, CIFAR-10), searched first; then "
                         "$DEEPCLAIMS_DATA, then /usr/share/datasets; claims fall back to embedded data "
                         "when a set is found in none")
    group.addoption("--report-dir", default="reports", help="where claims.json, report.md and figures go")
    group.addoption("--result-cache", default=".deepclaims-cache", help="folder of cached experiment results")
    group.addoption("--recompute", action="store_true", help="ignore cached results and compute them again")
    group.addoption("--tensorboard", default=None, metavar="DIR",
                    help="also write the report's per-epoch histograms (A4's weights and gradients, B2's "
                         "gradients) as TensorBoard event files under DIR/<fidelity>, one run per arm and seed "
                         "shown (view: tensorboard --logdir DIR; a relative DIR is under the project root, as "
                         "--report-dir); needs the optional tensorboard package")


def _usage(message: str):
    raise pytest.UsageError(message)


def _validate(config) -> None:
    """Checks that need more than one option or the file system (each option's own form
    is checked by its parser)."""
    device = config.getoption("--device")
    try:
        writable_folder("--report-dir", _report_dir(config))
        writable_folder("--result-cache", _cache_dir(config))
        if config.getoption("--tensorboard") is not None:
            writable_folder("--tensorboard", _tensorboard_dir(config))
            from deepclaims.tensorboard_export import require_tensorboard

            require_tensorboard()
        roots = data_roots(config.getoption("--data-dir"), dict(os.environ))
        if workers.worker_index() is None:
            # The controller checks once, before any worker starts or any experiment runs:
            # every folder searched is validated at every fidelity, since below lab the
            # sensitivity rows that name a real set (G2's Fashion-MNIST row) read it too.
            config.deepclaims_device = resolve_device(device)
            config.deepclaims_data = scan_data(roots) if roots else None
    except StartupError as exc:
        _usage(str(exc))


def pytest_report_header(config):
    device = getattr(config, "deepclaims_device", config.getoption("--device"))
    lines = [console.header_line(config.getoption("--fidelity"), config.option.seed_base, device,
                                 _report_dir(config), project_version())]
    if config.getoption("--max-seeds") is not None:
        lines.append(f"deepclaims: seeds capped at {config.getoption('--max-seeds')} (--max-seeds): the tier's "
                     "configurations on fewer seeds than it plans, so with less power")
    return lines + [console.data_line(config.getoption("--fidelity"), getattr(config, "deepclaims_data", None))]


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id): the catalogue ID (A1..H4) of the claim a test checks")
    _validate(config)
    config.pluginmanager.register(RecordCollector(config), "deepclaims-records")
    index = workers.worker_index()
    if index is None:
        # Controller: find the GPUs once; pytest_configure_node hands the count to each
        # xdist worker, which must not touch CUDA before it has pinned itself.
        config.deepclaims_gpu_count = 0
        if config.getoption("--device") != "cpu":
            import torch

            config.deepclaims_gpu_count = torch.cuda.device_count()
        return
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    gpu_count = int(getattr(config, "workerinput", {}).get(GPU_COUNT_INPUT, 0))
    changes = workers.pin_worker(dict(os.environ), index, count, gpu_count, os.cpu_count() or 1)
    os.environ.update(changes)
    import torch

    torch.set_num_threads(int(changes["DEEPCLAIMS_THREADS"]))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist (controller side): pass the GPU count down to the worker being started."""
    node.workerinput[GPU_COUNT_INPUT] = getattr(node.config, "deepclaims_gpu_count", 0)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """``--claim A5,C`` keeps the claim tests with those catalogue IDs (or topic letters);
    each claim test also answers ``-k`` to its topic's name and short title."""
    for item in items:
        for word in getattr(spec_of(item), "keywords", ()):
            item.extra_keyword_matches.add(word)
    selection = config.getoption("--claim")
    if not selection:
        return
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("claim")
        hit = marker is not None and bool(marker.args) and selected(str(marker.args[0]), selection)
        (keep if hit else drop).append(item)
    if not keep:
        raise pytest.UsageError(f"--claim {','.join(selection)} selects no claim test among the "
                                f"{len(items)} collected")
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


class RecordCollector:
    """Collects claim records from test reports; the controller writes them once at the end.

    Under xdist the reports of every worker reach the controller with their
    ``user_properties``, so one code path serves both modes.
    """

    def __init__(self, config):
        self.config = config
        self.records: dict[str, dict] = {}
        self.skipped: dict[str, str] = {}    # claim ID -> why it was skipped (its evidence was not given)
        self.durations: dict[str, float] = {}
        self.started = datetime.now(timezone.utc)

    def pytest_runtest_logreport(self, report):
        # Setup counts too: a claim's experiment usually runs in a shared fixture, and the
        # first claim to need it pays for it.
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        for name, value in getattr(report, "user_properties", ()):
            if name == RECORD_KEY:
                self.records[report.nodeid] = json.loads(value)
            if name == SKIP_KEY:
                skip = json.loads(value)
                self.skipped[skip["id"]] = skip["reason"]

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
                                                          project_version(), self.started,
                                                          self.config.getoption("--max-seeds")),
                                         {**{cid: "no record at this fidelity: not run yet"
                                             for cid in getattr(self.config, "deepclaims_catalogue_ids", ())},
                                          **(getattr(self.config, "deepclaims_pending", None) or {}),
                                          **self.skipped})

    def pytest_terminal_summary(self, terminalreporter):
        path = getattr(self, "report_path", None)
        if path is None and not self.skipped:
            return
        terminalreporter.section("deepclaims verdicts")
        if path is not None:
            records = sorted(combine_same_claim(list(self.records.values())), key=lambda r: r["id"])
            for line in console.summary_lines(records, self.config.getoption("--fidelity"),
                                              path.parent / "report.md"):
                terminalreporter.write_line(line)
        for claim_id, reason in sorted(self.skipped.items()):
            terminalreporter.write_line(f"{claim_id:<4}skipped: {reason}")


def _report_dir(config) -> Path:
    path = Path(config.getoption("--report-dir")).expanduser()
    return path if path.is_absolute() else Path(config.rootpath) / path


def _cache_dir(config) -> Path:
    path = Path(config.getoption("--result-cache")).expanduser()
    return path if path.is_absolute() else Path(config.rootpath) / path


def _tensorboard_dir(config) -> Path:
    path = Path(config.getoption("--tensorboard")).expanduser()
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
def benchmark_json_in(pytestconfig) -> dict | None:
    """The parsed --benchmark-json-in file, or None."""
    return pytestconfig.getoption("--benchmark-json-in")


@pytest.fixture(scope="session")
def tensorboard_export(pytestconfig, fidelity):
    """With ``--tensorboard DIR``, the writer of the report's per-epoch histograms as
    TensorBoard runs under DIR/<fidelity> (figure makers that draw such histograms ask
    for it); None without the option, and then nothing imports TensorBoard."""
    if pytestconfig.getoption("--tensorboard") is None:
        return None
    from deepclaims.tensorboard_export import TensorBoardExport

    return TensorBoardExport(_tensorboard_dir(pytestconfig) / fidelity)


@pytest.fixture(scope="session")
def data_folders_found(pytestconfig) -> tuple[tuple[str, str], ...]:
    """(data set, folder) for each real data set found, searched as at start-up
    (--data-dir, $DEEPCLAIMS_DATA, the system's shared data sets); each xdist worker
    repeats the controller's choice from the file names alone."""
    roots = data_roots(pytestconfig.getoption("--data-dir"), dict(os.environ))
    return tuple((name, str(root.folder)) for name, root in data_folders(roots).items())


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


class Experiments:
    """The session's experiment runner (the ``experiments`` fixture).

    ``tier(table)`` picks a topic's configuration tier for this run's fidelity;
    ``run(planned)`` computes a planned experiment over its seeds from the seed base,
    sharded through the result cache; ``run_all(plan)`` computes a plan's runs, up to
    ``parallel_runs`` shards at once on threads where the experiment allows it.
    """

    def __init__(self, fidelity: str, seed_base: int, environment: RunEnvironment, cache: ResultCache,
                 max_seeds: int | None = None, parallel_runs: int = 1):
        if parallel_runs < 1:
            raise ConfigError(f"parallel_runs must be at least 1, got {parallel_runs}")
        self.fidelity = fidelity
        self.seed_base = seed_base
        self.environment = environment
        self.cache = cache
        self.max_seeds = max_seeds
        self.parallel_runs = parallel_runs
        self._prefetched: dict[tuple, ShardedRun] = {}     # runs ``prefetch`` took, until a plan opens them
        self._prefetched_groups: set[str] = set()

    def tier(self, table):
        return capped(select(table, self.fidelity), self.max_seeds)

    def run(self, planned: Planned) -> dict:
        return self.start(planned).finish()

    def start(self, planned: Planned):
        """The planned run's shards that no other worker holds, computed or read now; the
        returned run's ``finish()`` waits for the rest (``ResultCache.open_sharded``)."""
        run = self.open(planned)
        run.advance(wait=False)
        return run

    def open(self, planned: Planned):
        """The planned run through the result cache, before any shard is taken (or, once,
        the run ``prefetch`` took for it, with its shards)."""
        exp = planned.experiment
        version = exp.version
        data_dir = getattr(planned.config, "data_dir", None)
        if data_dir is not None:
            # the key covers what the data folder holds, not only its path
            version += "+data:" + hashlib.sha256(folder_signature(data_dir).encode()).hexdigest()[:16]
        run = self.cache.open_sharded(exp.name, planned.config, planned.seed_list(self.seed_base),
                                      lambda seeds: exp(planned.config, seeds), version, exp.shard_size)
        return self._prefetched.pop(run.key, run)

    def _parallel(self) -> bool:
        return self.parallel_runs > 1 and self.environment.device == "cpu"

    def prefetch(self, group: str, plans: Callable[[], list[Plan]]) -> None:
        """Once per ``group`` (a topic), take the shards of every concurrent run in ``plans()``
        on ``parallel_runs`` threads together, so that the threads stay busy across the
        plans of several fixtures (one plan of five runs on two threads can leave one idle
        for a fifth of it). The runs wait for ``open``; nothing happens without parallel runs."""
        if not self._parallel() or group in self._prefetched_groups:
            return
        self._prefetched_groups.add(group)
        self._take_together(plans())

    def _take_together(self, plans: list[Plan]) -> None:
        """Take the concurrent runs of ``plans`` on the threads and keep them for ``open``."""
        runs = {}
        for plan in plans:
            for planned in plan.values():
                if planned.experiment.concurrent:
                    run = self.open(planned)
                    runs[run.key] = run
        take_concurrently(list(runs.values()), self.parallel_runs)
        self._prefetched.update(runs)

    def run_all(self, plan: Plan) -> dict[str, dict]:
        """Every planned run, each xdist worker starting at a different one (as shards do)
        and starting every run before waiting on any: a worker computes each run no other
        worker holds and waits only at the end, so workers needing the same plan split its
        runs between them (before, the second worker queued behind the first on each run
        it held); the results keep the plan's order.

        With ``parallel_runs`` above 1 on a CPU, the shards of the runs whose experiment is
        ``concurrent`` are first taken by that many threads at once (as ``prefetch`` takes
        them; runs a prefetch already took are handed over). Each op still runs on one
        thread, so every number is what one thread computes."""
        names = list(plan)
        start = self.cache.worker_index % len(names) if names else 0
        if self._parallel():
            self._take_together([plan])
        started = {name: self.start(plan[name]) for name in names[start:] + names[:start]}
        return {name: started[name].finish() for name in names}


def take_concurrently(runs: list, threads: int) -> None:
    """Take every pending shard of ``runs`` (``ShardedRun``) on up to ``threads`` threads,
    passing over shards another worker holds (their ``finish`` waits for them).

    The threads run at one intra-op thread each (as ``training.one_cpu_thread`` pins an
    experiment): they only overlap independent ops, never split one, so each number is
    computed as on one thread alone. An error in a shard, or an interrupt (Ctrl-C), cancels
    the shards not yet started and is raised once the running ones end; every shard done
    is in the cache."""
    import torch
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    from deepclaims.training import one_cpu_thread

    tasks = [(run, i) for run in runs for i in run.pending]
    if len(tasks) < 2:
        return
    with one_cpu_thread("cpu"):
        pool = ThreadPoolExecutor(min(threads, len(tasks)), initializer=torch.set_num_threads, initargs=(1,),
                                  thread_name_prefix="deepclaims-shard")
        try:
            futures = [pool.submit(run.take, i, False) for run, i in tasks]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done():
                    future.result()     # raises the shard's error
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def experiments(pytestconfig, fidelity, seed_base, device, data_folders_found, result_cache) -> Experiments:
    return Experiments(fidelity, seed_base, RunEnvironment(str(device), data_folders=data_folders_found),
                       result_cache, pytestconfig.getoption("--max-seeds"), parallel_runs(pytestconfig))


def parallel_runs(config) -> int:
    """--parallel-runs, else the CPU threads this process may use (all cores, or the share
    ``pytest_configure`` gave this xdist worker)."""
    chosen = config.getoption("--parallel-runs")
    if chosen is not None:
        return chosen
    import torch

    return max(1, torch.get_num_threads())


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
    if recorder.skipped:   # its evidence was not given: no record, only the reason
        request.node.user_properties.append((SKIP_KEY, json.dumps({"id": claim_id, "reason": recorder.skipped})))
        return
    record = recorder.record()
    # Shared experiments are module fixtures, set up before this function-scoped fixture,
    # so a claim is credited with every cache look-up since the previous claim ended.
    record["results"] = console.results_source(result_cache.take_events())
    record["recorded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    request.node.user_properties.append((RECORD_KEY, json.dumps(record)))
