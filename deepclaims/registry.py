"""A claim as data plus a judge, after scikit-learn's ``parametrize_with_checks``.

A :class:`ClaimSpec` names the claim (its catalogue ID), the judge that decides it and
the figures it draws. The judge's and figures' parameters after ``claim`` are the names
of the pytest fixtures they need (a topic's shared experiment fixtures, its tier), so a
spec lists its experiments once, in its judge's signature. One parametrized test
(``claims/test_claims.py``) runs every spec: it looks the fixtures up by name, calls the
judge, attaches the figures and concludes the claim against its reviewed expectation.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import pytest

from deepclaims.errors import ConfigError
from deepclaims.experiment import Plan, Planned, RunEnvironment
from deepclaims.fidelity import FIDELITIES, capped
from deepclaims.recorder import CLAIM_ID, ClaimRecorder

Judge = Callable[..., None]
FigureMaker = Callable[..., Mapping[str, Any]]   # fixtures by name -> {figure name: Figure}


@dataclass(frozen=True, kw_only=True)
class ClaimSpec:
    """One catalogue claim: ``judge(claim, **fixtures)`` and ``figures`` (each
    ``make(**fixtures) -> {name: Figure}``); ``keywords`` are extra words ``-k`` matches
    (the topic's name and the claim's short title)."""

    id: str
    judge: Judge
    figures: tuple[FigureMaker, ...] = ()
    keywords: tuple[str, ...] = ()

    def __post_init__(self):
        if not CLAIM_ID.match(self.id):
            raise ConfigError(f"claim spec id {self.id!r} is not a catalogue ID such as 'A1'")
        params = list(inspect.signature(self.judge).parameters)
        if not params or params[0] != "claim":
            raise ConfigError(f"{self.id}: a judge's first parameter is 'claim', got {params[:1]}")

    @property
    def topic(self) -> str:
        return self.id[0]

    def fixture_names(self) -> list[str]:
        """The fixtures this claim needs, in the order its judge and figures name them."""
        names: list[str] = []
        for fn in (self.judge, *self.figures):
            for name in _parameters(fn):
                if name != "claim" and name not in names:
                    names.append(name)
        return names

    def check(self, claim: ClaimRecorder, fixture: Callable[[str], Any]) -> None:
        """Judge the claim on its fixtures (``fixture(name) -> value``), draw its figures,
        and conclude: the test fails when the verdict differs from the expectation."""
        values = {name: fixture(name) for name in self.fixture_names()}
        self.judge(claim, **{name: values[name] for name in _parameters(self.judge) if name != "claim"})
        for make in self.figures:
            drawn = make(**{name: values[name] for name in _parameters(make)})
            for name, fig in drawn.items():
                claim.figure(fig, name)
        claim.conclude()


PlanFunction = Callable[[Any, RunEnvironment], Plan]


@dataclass(frozen=True)
class Topic:
    """A topic's three parts as data: its tier table (one keyword-built frozen dataclass
    per fidelity), its experiment plans, and its claim specs.

    Each entry of ``plans`` becomes a session fixture of that name whose value maps the
    plan's keys to their results; ``<letter>_tier`` is the tier fixture. The same plans
    give the lab dry run and the run-size estimate, so they cannot drift from what the
    claims run.
    """

    letter: str
    name: str
    tiers: Mapping[str, Any]
    plans: Mapping[str, PlanFunction]
    specs: Sequence[ClaimSpec]

    def __post_init__(self):
        for fidelity in FIDELITIES:
            tier = self.tiers.get(fidelity)
            if tier is None:
                raise ConfigError(f"topic {self.letter}: no tier for fidelity {fidelity!r}")
            if not (dataclasses.is_dataclass(tier) and tier.__dataclass_params__.frozen
                    and all(f.kw_only for f in dataclasses.fields(tier))):
                raise ConfigError(f"topic {self.letter}: tiers are keyword-only frozen dataclasses "
                                  f"(@dataclass(frozen=True, kw_only=True)); {fidelity!r} is {type(tier).__name__}")
        wrong = [s.id for s in self.specs if s.topic != self.letter]
        if wrong:
            raise ConfigError(f"topic {self.letter} holds specs of other topics: {', '.join(wrong)}")

    @property
    def tier_fixture(self) -> str:
        return f"{self.letter.lower()}_tier"

    def planned(self, fidelity: str, environment: RunEnvironment, max_seeds: int | None = None
                ) -> dict[str, Planned]:
        """Every run the topic's fixtures would make at ``fidelity`` (seed counts capped at
        ``max_seeds``, as --max-seeds caps them), as '<fixture>/<key>'."""
        tier = capped(self.tiers[fidelity], max_seeds)
        return {f"{fixture}/{key}": planned for fixture, plan in self.plans.items()
                for key, planned in plan(tier, environment).items()}

    def fixture_module(self) -> types.ModuleType:
        """A module holding the topic's fixtures, for ``pluginmanager.register``."""
        module = types.ModuleType(f"deepclaims_topic_{self.letter}_fixtures")
        tiers = self.tiers

        def tier(experiments):
            return experiments.tier(tiers)
        setattr(module, self.tier_fixture, pytest.fixture(scope="session", name=self.tier_fixture)(tier))
        for name, plan in self.plans.items():
            setattr(module, name, pytest.fixture(scope="session", name=name)(self._plan_fixture(plan)))
        return module

    def _plan_fixture(self, plan: PlanFunction):
        """The fixture computing ``plan``. Whichever of the topic's plan fixtures a session
        asks for first has ``Experiments.prefetch`` take every plan that the session's
        selected claims of the topic name, so parallel runs share their threads across them."""
        def run_plan(experiments, request):
            tier = experiments.tier(self.tiers)
            experiments.prefetch(self.letter, lambda: [self.plans[name](tier, experiments.environment)
                                                       for name in self.plans_named(request.session.items)])
            return experiments.run_all(plan(tier, experiments.environment))
        return run_plan

    def plans_named(self, items: Iterable) -> list[str]:
        """The topic's plan fixtures that the claims among ``items`` (the session's tests)
        name, in the topic's order."""
        named: set[str] = set()
        for item in items:
            spec = spec_of(item)
            if isinstance(spec, ClaimSpec) and spec.topic == self.letter:
                named.update(spec.fixture_names())
        return [name for name in self.plans if name in named]


def spec_of(item):
    """The ``spec`` parameter of a collected claim test (``claims/test_claims.py``), or None."""
    return getattr(getattr(item, "callspec", None), "params", {}).get("spec")


def _parameters(fn: Callable) -> list[str]:
    return list(inspect.signature(fn).parameters)


def keywords_for(topic_name: str, short_title: str) -> tuple[str, ...]:
    """``-k`` words for a claim: its topic's name and its short title, as identifiers."""
    slug = re.sub(r"[^a-z0-9]+", "_", short_title.lower()).strip("_")
    return tuple(w for w in (topic_name, slug) if w)


def check_registry(specs: Iterable[ClaimSpec], catalogue: Mapping[str, Any],
                   pending: Mapping[str, str]) -> None:
    """Every catalogue ID has exactly one spec or one pending entry, and nothing else does."""
    ids = [s.id for s in specs]
    problems = []
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        problems.append(f"several specs for {', '.join(duplicated)}")
    unknown = sorted((set(ids) | set(pending)) - set(catalogue))
    if unknown:
        problems.append(f"not in the catalogue: {', '.join(unknown)}")
    both = sorted(set(ids) & set(pending))
    if both:
        problems.append(f"both specified and pending: {', '.join(both)}")
    missing = sorted(set(catalogue) - set(ids) - set(pending))
    if missing:
        problems.append(f"neither specified nor pending: {', '.join(missing)}")
    if problems:
        raise ConfigError("claim registry: " + "; ".join(problems))


CLAIM_SELECTION = re.compile(r"^[A-Z][0-9]*$")


def parse_claim_selection(text: str) -> tuple[str, ...]:
    """``--claim A5,C``: comma-separated catalogue IDs or topic letters (argparse type)."""
    import argparse

    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in parts if not CLAIM_SELECTION.match(p)]
    if not parts or bad:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected catalogue IDs or topic letters separated by commas, such as A5 or A5,C "
            f"(not {', '.join(bad) or 'empty'})")
    return parts


def selected(claim_id: str, selection: tuple[str, ...]) -> bool:
    return any(claim_id == s if any(c.isdigit() for c in s) else claim_id.startswith(s) for s in selection)
