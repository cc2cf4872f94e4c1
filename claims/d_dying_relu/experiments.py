"""Topic D's tiers and plans: which collapse runs and born-dead draws each fidelity makes.

ci: D1 uses 1500 trainings (the lab's 1000 and half again) because at 1000 the interval
of a collapse fraction near 0.93 reaches down to about 0.914 and one seed base in three
touched 0.9; D3 uses 2000 nets per width for the same reason at width 5 (about 13%
against "over 10%"). The bias variants are sensitivity rows only, at 1000 nets (the first
1000 of the same seeds). The four-arm run uses 96 seeds so that it costs what the
three-arm run on 128 seeds did.
lab: one run of the lab's 1000 trainings holds every arm, so D1, its variant row and the
four-arm claims share it (one configuration, one cached computation).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from claims.d_dying_relu.runs import BornDeadGrid, CollapseRun, born_dead_by_depth, train_collapse
from deepclaims.experiment import Planned, RunEnvironment


@dataclass(frozen=True, kw_only=True)
class DyingReluTier:
    d1: CollapseRun              # ReLU + He (D1)
    d1_seeds: int
    d1_variant: CollapseRun      # D1's sensitivity row: ReLU, He weights with N(0, 2/fan_in) biases
    d1_variant_seeds: int        # the first of D1's seeds
    arms: CollapseRun            # ReLU + He, leaky + He, ReLU + RAI, bias variant on the same seeds (D2, D4)
    arms_seeds: int
    born: BornDeadGrid           # D3, He with zero biases
    born_nets: int               # nets per width (every depth reuses them)
    born_variant: BornDeadGrid   # D3's sensitivity row: He weights with N(0, 2/fan_in) biases
    born_variant_nets: int       # the first of D3's seeds


ALL_ARMS = ("relu_he", "leaky_he", "relu_rai", "relu_he_bias")
WIDTHS = (2, 3, 4, 5, 7, 10)
_LAB_RUN = CollapseRun(epochs=100, checkpoints=(25, 50, 100), arms=ALL_ARMS)
_SMOKE_RUN = CollapseRun(epochs=2, checkpoints=(1, 2), targets=("abs",), arms=("relu_he",))
_CI_D1 = CollapseRun(epochs=16, checkpoints=(4, 8, 16), targets=("abs",), arms=("relu_he",))

TIERS = {
    "smoke": DyingReluTier(
        d1=_SMOKE_RUN, d1_seeds=16,
        d1_variant=replace(_SMOKE_RUN, arms=("relu_he_bias",)), d1_variant_seeds=16,
        arms=replace(_SMOKE_RUN, arms=ALL_ARMS), arms_seeds=16,
        born=BornDeadGrid(widths=(2, 3, 5, 10), max_hidden=12), born_nets=200,
        born_variant=BornDeadGrid(widths=(2, 3, 5, 10), max_hidden=12, init="he_bias"), born_variant_nets=200),
    "ci": DyingReluTier(
        d1=_CI_D1, d1_seeds=1500,
        d1_variant=replace(_CI_D1, arms=("relu_he_bias",)), d1_variant_seeds=1000,
        arms=CollapseRun(epochs=24, checkpoints=(6, 12, 24), arms=ALL_ARMS), arms_seeds=96,
        born=BornDeadGrid(widths=WIDTHS, max_hidden=30, grid_points=501), born_nets=2000,
        born_variant=BornDeadGrid(widths=WIDTHS, max_hidden=30, grid_points=501, init="he_bias"),
        born_variant_nets=1000),
    "lab": DyingReluTier(
        d1=_LAB_RUN, d1_seeds=1000, d1_variant=_LAB_RUN, d1_variant_seeds=1000, arms=_LAB_RUN, arms_seeds=1000,
        born=BornDeadGrid(widths=WIDTHS, max_hidden=40), born_nets=10000,
        born_variant=BornDeadGrid(widths=WIDTHS, max_hidden=40, init="he_bias"), born_variant_nets=10000),
}


def width2_plan(tier: DyingReluTier, environment: RunEnvironment) -> dict[str, Planned]:
    """D1's runs: the 10-layer width-2 ReLU nets with He (zero biases) and the bias variant."""
    return {"relu_he": Planned(train_collapse, replace(tier.d1, device=environment.device), tier.d1_seeds),
            "relu_he_bias": Planned(train_collapse, replace(tier.d1_variant, device=environment.device),
                                    tier.d1_variant_seeds)}


def arms_plan(tier: DyingReluTier, environment: RunEnvironment) -> dict[str, Planned]:
    """D2's and D4's run: every arm on the same seeds' data."""
    return {"arms": Planned(train_collapse, replace(tier.arms, device=environment.device), tier.arms_seeds)}


def born_dead_plan(tier: DyingReluTier, environment: RunEnvironment) -> dict[str, Planned]:
    """D3's draws: He with zero biases, and the bias variant on the first of the same seeds."""
    return {"he": Planned(born_dead_by_depth, replace(tier.born, device=environment.device), tier.born_nets),
            "he_bias": Planned(born_dead_by_depth, replace(tier.born_variant, device=environment.device),
                               tier.born_variant_nets)}


PLANS = {"d_width2_runs": width2_plan, "d_arms_runs": arms_plan, "d_born_dead": born_dead_plan}
