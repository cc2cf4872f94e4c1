"""The claim registry: every catalogue claim has a spec or is pending, specs are well formed,
and the catalogue page in the repository is the one the registry renders."""
from dataclasses import dataclass

import pytest

from claims import catalogue_page
from claims.catalogue import CATALOGUE
from claims.registry import PENDING, TOPICS, check, claim_specs
from deepclaims.errors import ConfigError
from deepclaims.registry import ClaimSpec, Topic, check_registry, parse_claim_selection, selected


def test_every_catalogue_claim_has_a_spec_or_is_pending():
    check()
    assert {s.id for s in claim_specs()} | set(PENDING) == set(CATALOGUE)


def test_the_catalogue_page_is_current():
    assert catalogue_page.PAGE.read_text() == catalogue_page.render(), \
        "claims/CATALOGUE.md is stale: run `python -m claims.catalogue_page`"


def _judge(claim, some_fixture):
    pass


@pytest.mark.parametrize("specs, pending, message", [
    ([ClaimSpec(id="Z1", judge=_judge)] * 2, {"Z2": "later"}, "several specs for Z1"),
    ([ClaimSpec(id="Z1", judge=_judge)], {}, "neither specified nor pending: Z2"),
    ([ClaimSpec(id="Z1", judge=_judge)], {"Z1": "later", "Z2": "later"}, "both specified and pending: Z1"),
    ([ClaimSpec(id="Z1", judge=_judge), ClaimSpec(id="Z3", judge=_judge)], {"Z2": "x"}, "not in the catalogue: Z3"),
])
def test_registry_gaps_are_named(specs, pending, message):
    with pytest.raises(ConfigError, match=message):
        check_registry(specs, {"Z1": None, "Z2": None}, pending)


def test_a_spec_lists_its_fixtures_from_its_judge_and_figures():
    spec = ClaimSpec(id="Z1", judge=_judge, figures=(lambda some_fixture, seed_base: {},))
    assert spec.fixture_names() == ["some_fixture", "seed_base"]
    with pytest.raises(ConfigError, match="first parameter is 'claim'"):
        ClaimSpec(id="Z1", judge=lambda runs: None)
    with pytest.raises(ConfigError, match="not a catalogue ID"):
        ClaimSpec(id="z1", judge=_judge)


@dataclass(frozen=True)
class _PositionalTier:
    epochs: int


def test_topics_refuse_positional_tiers_and_missing_fidelities():
    with pytest.raises(ConfigError, match="keyword-only frozen"):
        Topic(letter="Z", name="z", tiers={f: _PositionalTier(1) for f in ("smoke", "ci", "lab")}, plans={}, specs=())
    with pytest.raises(ConfigError, match="no tier for fidelity 'smoke'"):
        Topic(letter="Z", name="z", tiers={}, plans={}, specs=())


@dataclass(frozen=True, kw_only=True)
class _Tier:
    epochs: int = 1


def _judge_two(claim, z_first, z_second):
    pass


def test_a_topic_prefetches_the_plans_its_selected_claims_name():
    """``plans_named`` reads the session's claim tests: Z1 names z_first, Z2 z_first and
    z_second, Y1 is another topic's; z_unused is named by no claim."""
    z1, z2 = ClaimSpec(id="Z1", judge=lambda claim, z_first: None), ClaimSpec(id="Z2", judge=_judge_two)
    topic = Topic(letter="Z", name="z", tiers={f: _Tier() for f in ("smoke", "ci", "lab")},
                  plans={name: lambda tier, env: {} for name in ("z_unused", "z_second", "z_first")}, specs=(z1, z2))

    class Item:
        def __init__(self, spec):
            self.callspec = type("CallSpec", (), {"params": {"spec": spec}})()

    other = ClaimSpec(id="Y1", judge=lambda claim, z_second: None)
    assert topic.plans_named([Item(z1), Item(other), object()]) == ["z_first"]
    assert topic.plans_named([Item(z1), Item(z2)]) == ["z_second", "z_first"]     # the topic's order
    assert topic.plans_named([]) == []


def test_claim_selection_reads_ids_and_topic_letters():
    assert parse_claim_selection("A5, C") == ("A5", "C")
    assert selected("C3", ("A5", "C")) and selected("A5", ("A5",)) and not selected("A50", ("A5",))
    assert not selected("B1", ("A5", "C"))


def test_every_claim_answers_k_to_its_topic_name():
    for topic in TOPICS:
        for spec in claim_specs():
            if spec.topic == topic.letter:
                assert topic.name in spec.keywords
