"""Registers every topic's experiment fixtures and hands the catalogue, the reviewed
expectations and the pending list to the plugin."""
import os

import pytest

from claims.catalogue import CATALOGUE
from claims.expected import expectations
from claims.registry import (PENDING, TOPICS, id_ranges, real_data_readers, size_estimate,
                             time_estimate_lines)
from deepclaims.experiment import RunEnvironment


def pytest_configure(config):
    for topic in TOPICS:
        config.pluginmanager.register(topic.fixture_module(), f"deepclaims-topic-{topic.letter}")
    config.deepclaims_pending = PENDING
    config.deepclaims_catalogue_ids = tuple(CATALOGUE)   # a report lists those it holds no record of
    _check_claim_selection(config.getoption("--claim") or ())


def _check_claim_selection(selection) -> None:
    """--claim names catalogue claims that have a spec; say what a pending or unknown one is."""
    for item in selection:
        if item in PENDING:
            raise pytest.UsageError(f"--claim {item}: not written yet ({PENDING[item]})")
        if not any(cid == item or (not item[1:] and cid.startswith(item)) for cid in CATALOGUE):
            letters = "".join(sorted({cid[0] for cid in CATALOGUE}))
            raise pytest.UsageError(f"--claim {item}: no such claim in the catalogue; accepted: IDs A1..H4 "
                                    f"or topic letters {letters} (claims/CATALOGUE.md lists them)")


def pytest_collection_finish(session):
    """Under --collect-only, say how large the selected claims' run would be and, at lab,
    how long each topic would take on the chosen device (one step of every planned
    experiment is timed for it)."""
    config = session.config
    if not config.option.collectonly:
        return
    letters = {item.get_closest_marker("claim").args[0][0] for item in session.items
               if item.get_closest_marker("claim") is not None}
    if not letters:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    fidelity = config.getoption("--fidelity")
    device = getattr(config, "deepclaims_device", "cpu")
    scan = getattr(config, "deepclaims_data", None)
    environment = RunEnvironment(device, data_folders=scan.folders() if scan is not None else ())
    max_seeds = config.getoption("--max-seeds")
    write(size_estimate(fidelity, environment, letters, max_seeds))
    if fidelity == "lab":
        for line in time_estimate_lines(fidelity, environment, letters, os.cpu_count() or 1, max_seeds):
            write(line)


@pytest.fixture(scope="session")
def claim_catalogue():
    return CATALOGUE


@pytest.fixture(scope="session")
def claim_expectations(fidelity):
    return expectations(fidelity)


def pytest_report_header(config):
    """At lab fidelity, say which claims read real data (found from their plans) and which
    fall back to stand-ins; every other claim runs on generated or embedded data."""
    if config.getoption("--fidelity") != "lab":
        return []
    scan = getattr(config, "deepclaims_data", None)
    found = scan.found if scan is not None else {}
    readers = {name: id_ranges(ids) for name, ids in real_data_readers("lab").items()}
    parts = [f"{users} read {name}" if name in found else f"{users} use the embedded stand-in for {name}"
             for name, users in readers.items()]
    return ["deepclaims: at lab, " + "; ".join(parts)]
