"""Hands the catalogue to the plugin's ``claim`` fixture."""
import pytest

from claims.catalogue import CATALOGUE


@pytest.fixture(scope="session")
def claim_catalogue():
    return CATALOGUE
