"""Every topic of the suite, and the catalogue claims not yet written (the pending list).

Adding a topic: write its package under ``claims/`` (``experiments.py`` with TIERS and
PLANS, ``judges.py``, ``specs.py`` with SPECS and TOPIC) and take its IDs off PENDING;
the package is found here by its ``specs`` module.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from pathlib import Path

from claims.catalogue import CATALOGUE, SHORT_TITLES
from deepclaims.cache import config_fingerprint
from deepclaims.experiment import Planned, RunEnvironment
from deepclaims.registry import ClaimSpec, Topic, check_registry, keywords_for


def _discover_topics() -> tuple[Topic, ...]:
    """The TOPIC of every package under claims/ that has a ``specs`` module, by letter."""
    topics = []
    for package in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if package.ispkg and (Path(__file__).parent / package.name / "specs.py").exists():
            topics.append(importlib.import_module(f"claims.{package.name}.specs").TOPIC)
    return tuple(sorted(topics, key=lambda t: t.letter))


TOPICS: tuple[Topic, ...] = _discover_topics()

# Catalogue claims with no spec yet, and where they will come from; the report lists them.
# Every catalogue claim has a spec at present.
PENDING: dict[str, str] = {}


def claim_specs() -> list[ClaimSpec]:
    """Every spec in catalogue order, with the ``-k`` words of its topic and short title."""
    specs = [replace(spec, keywords=keywords_for(topic.name, SHORT_TITLES[spec.id]))
             for topic in TOPICS for spec in topic.specs]
    return sorted(specs, key=lambda s: list(CATALOGUE).index(s.id))


def check() -> None:
    """The registry covers the catalogue exactly and topics' fixture names do not collide."""
    check_registry([s for t in TOPICS for s in t.specs], CATALOGUE, PENDING)
    names: dict[str, str] = {}
    for topic in TOPICS:
        for name in (topic.tier_fixture, *topic.plans):
            if name in names:
                raise ValueError(f"fixture {name!r} is defined by topics {names[name]} and {topic.letter}")
            names[name] = topic.letter


def planned_runs(fidelity: str, environment: RunEnvironment, letters: set[str] | None = None) -> list[Planned]:
    """The distinct runs the given topics (all by default) make at ``fidelity``."""
    runs: dict[tuple, Planned] = {}
    for topic in TOPICS:
        if letters is None or topic.letter in letters:
            for planned in topic.planned(fidelity, environment).values():
                key = (planned.experiment.name, config_fingerprint(planned.config), planned.seeds, planned.first_seed)
                runs.setdefault(key, planned)
    return list(runs.values())


def size_estimate(fidelity: str, environment: RunEnvironment, letters: set[str] | None = None) -> str:
    """One line: how many experiments, trainings and training epochs a run would make."""
    runs = planned_runs(fidelity, environment, letters)
    trainings = sum(p.training_epochs()[0] for p in runs)
    epochs = sum(p.training_epochs()[1] for p in runs)
    topics = ", ".join(sorted(letters)) if letters is not None else "all topics"
    return (f"deepclaims: at {fidelity}, {topics} would run {len(runs)} experiments: {trainings:,} trainings "
            f"(networks over all seeds), {epochs:,} training epochs in all, before anything cached is reused")
