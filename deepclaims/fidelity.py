"""Fidelity tiers: which configuration of a claim a run uses."""
from __future__ import annotations

import dataclasses
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


def seed_fields(tier) -> list[str]:
    """The fields of a tier that count seeds (or nets drawn per seed-like unit): ``seeds``
    and names ending in ``_seeds`` or ``_nets``, the convention every topic's tiers follow."""
    return [f.name for f in dataclasses.fields(tier)
            if f.name == "seeds" or f.name.endswith(("_seeds", "_nets"))]


def capped(tier: T, max_seeds: int | None) -> T:
    """``tier`` with every seed count at most ``max_seeds`` (None: unchanged). A capped run
    trains the tier's configurations on fewer seeds: less power, same set-up."""
    if max_seeds is None:
        return tier
    if max_seeds < 1:
        raise ConfigError(f"max_seeds must be at least 1, got {max_seeds}")
    return dataclasses.replace(tier, **{name: min(getattr(tier, name), max_seeds) for name in seed_fields(tier)
                                        if isinstance(getattr(tier, name), int)})
