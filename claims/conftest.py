"""Registers every topic's experiment fixtures and hands the catalogue, the reviewed
expectations and the pending list to the plugin."""
import pytest

from claims.catalogue import CATALOGUE
from claims.expected import EXPECTED
from claims.registry import PENDING, TOPICS


def pytest_configure(config):
    for topic in TOPICS:
        config.pluginmanager.register(topic.fixture_module(), f"deepclaims-topic-{topic.letter}")
    config.deepclaims_pending = PENDING


@pytest.fixture(scope="session")
def claim_catalogue():
    return CATALOGUE


@pytest.fixture(scope="session")
def claim_expectations():
    return EXPECTED


# Which claims read which real data set at --fidelity lab; every other claim runs on
# generated or embedded data at every fidelity.
REAL_DATA_USERS = {"mnist": "C1-C5", "fashion_mnist": "C7-C8", "cifar10": ""}


def pytest_report_header(config):
    """At lab fidelity, say which claims read real data and which fall back to stand-ins."""
    if config.getoption("--fidelity") != "lab":
        return []
    scan = getattr(config, "deepclaims_data", None)
    found = scan.found if scan is not None else {}
    parts = [f"{users} read {name}" if name in found else f"{users} use the embedded stand-in for {name}"
             for name, users in REAL_DATA_USERS.items() if users]
    return ["deepclaims: at lab, " + "; ".join(parts)]
