"""Every topic of the suite, and the catalogue claims not yet written (the pending list).

Adding a topic: write its package under ``claims/`` (``experiments.py`` with TIERS and
PLANS, ``judges.py``, ``specs.py`` with SPECS and TOPIC) and take its IDs off PENDING;
the package is found here by its ``specs`` module.
"""
from __future__ import annotations

import importlib
import pkgutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from claims.catalogue import CATALOGUE, SHORT_TITLES
from deepclaims.cache import config_fingerprint
from deepclaims.data.synthetic import write_synthetic
from deepclaims.errors import ConfigError
from deepclaims.estimate import duration, estimate_runs, total_wall_seconds
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
                raise ConfigError(f"fixture {name!r} is defined by topics {names[name]} and {topic.letter}")
            names[name] = topic.letter


def planned_runs(fidelity: str, environment: RunEnvironment, letters: set[str] | None = None,
                 max_seeds: int | None = None) -> list[Planned]:
    """The distinct runs the given topics (all by default) make at ``fidelity``."""
    runs: dict[tuple, Planned] = {}
    for topic in TOPICS:
        if letters is None or topic.letter in letters:
            for planned in topic.planned(fidelity, environment, max_seeds).values():
                key = (planned.experiment.name, config_fingerprint(planned.config), planned.seeds, planned.first_seed)
                runs.setdefault(key, planned)
    return list(runs.values())


def size_estimate(fidelity: str, environment: RunEnvironment, letters: set[str] | None = None,
                  max_seeds: int | None = None) -> str:
    """One line: how many experiments, trainings and training epochs a run would make."""
    runs = planned_runs(fidelity, environment, letters, max_seeds)
    trainings = sum(p.training_epochs()[0] for p in runs)
    epochs = sum(p.training_epochs()[1] for p in runs)
    topics = ", ".join(sorted(letters)) if letters is not None else "all topics"
    return (f"deepclaims: at {fidelity}, {topics} would run {len(runs)} experiments: {trainings:,} trainings "
            f"(networks over all seeds), {epochs:,} training epochs in all, before anything cached is reused")


def time_estimate_lines(fidelity: str, environment: RunEnvironment, letters: set[str], workers: int,
                        max_seeds: int | None = None) -> list[str]:
    """Per topic, the estimated time of a run from scratch on ``environment.device``: one
    process, and ``workers`` processes (pytest -n), each from one timed step of every
    planned experiment (see deepclaims.estimate). A real data set the topics read but this
    machine lacks is timed on synthetic files of its published shape, since a run's cost
    depends on the data's shape, not its content."""
    found = dict(environment.data_folders)
    readers = real_data_readers(fidelity)
    wanted = {name for name, ids in readers.items() if any(i[0] in letters for i in ids)}
    absent = sorted(wanted - set(found))
    lines = []
    with tempfile.TemporaryDirectory(prefix="deepclaims-estimate-") as scratch:
        for name in absent:
            found[name] = str(write_synthetic(name, Path(scratch)))
        timed = replace(environment, data_folders=tuple(found.items()))
        for letter in sorted(letters):
            runs = planned_runs(fidelity, timed, {letter}, max_seeds)
            if not runs:
                continue
            started = time.perf_counter()
            estimates = estimate_runs(runs, environment.device)
            one, many = total_wall_seconds(estimates, 1), total_wall_seconds(estimates, workers)
            synthetic = [n for n in absent if any(i[0] == letter for i in readers[n])]
            note = f"; {', '.join(synthetic)} absent, timed on synthetic files of its shape" if synthetic else ""
            lines.append(f"deepclaims: estimate, {letter} at {fidelity} on {environment.device}: {duration(one)} in "
                         f"one process, {duration(many)} with -n {workers} (calibrated by timing one step of each "
                         f"of {len(runs)} experiments, {time.perf_counter() - started:.0f} s{note})")
    return lines


def real_data_readers(fidelity: str = "lab") -> dict[str, list[str]]:
    """{real data set: the claims whose experiments read it from --data-dir at ``fidelity``},
    found from the plans (a run reads real data when its configuration carries the folder)."""
    marker = "<data-dir>"
    readers: dict[str, list[str]] = {}
    for topic in TOPICS:
        tier = topic.tiers[fidelity]
        by_fixture = {name: plan(tier, RunEnvironment("cpu", marker)) for name, plan in topic.plans.items()}
        for spec in topic.specs:
            for name in spec.fixture_names():
                for planned in by_fixture.get(name, {}).values():
                    if getattr(planned.config, "data_dir", None) == marker:
                        ids = readers.setdefault(planned.config.dataset, [])
                        if spec.id not in ids:
                            ids.append(spec.id)
    return readers


def id_ranges(ids: list[str]) -> str:
    """'C1-C5, C7-C8, G5': consecutive IDs of one topic joined as a range."""
    groups: list[list[str]] = []
    for cid in sorted(ids, key=lambda c: (c[0], int(c[1:]))):
        last = groups[-1][-1] if groups else ""
        if last and last[0] == cid[0] and int(last[1:]) + 1 == int(cid[1:]):
            groups[-1].append(cid)
        else:
            groups.append([cid])
    return ", ".join(g[0] if len(g) == 1 else f"{g[0]}-{g[-1]}" for g in groups)
