"""Hands the catalogue and the reviewed expectations to the plugin's ``claim`` fixture."""
import pytest

from claims.catalogue import CATALOGUE
from claims.expected import EXPECTED


@pytest.fixture(scope="session")
def claim_catalogue():
    return CATALOGUE


@pytest.fixture(scope="session")
def claim_expectations():
    return EXPECTED
