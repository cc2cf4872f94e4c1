"""Fidelity tiers: which configuration of a claim a run uses."""
from __future__ import annotations

from typing import Mapping, TypeVar

from deepclaims.errors import ConfigError

FIDELITIES = ("smoke", "ci", "lab")
T = TypeVar("T")


def select(configs: Mapping[str, T], fidelity: str) -> T:
    """The configuration a claim declares for ``fidelity``; every claim declares all tiers."""
    if fidelity not in FIDELITIES:
        raise ConfigError(f"unknown fidelity {fidelity!r}; accepted: {', '.join(FIDELITIES)}")
    missing = [f for f in FIDELITIES if f not in configs]
    if missing:
        raise ConfigError(f"configuration table lacks tiers {missing}; it must declare {list(FIDELITIES)}")
    return configs[fidelity]
