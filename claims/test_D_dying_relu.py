"""Topic D: dying ReLU and network collapse (lab 004 Problems 1.2-1.3; Lu et al. 2020).

The lab: train a 10-layer ReLU net of width 2 on one of Lu et al.'s 1-D targets
(minibatch 64, 3000 inputs uniform on [-sqrt(7), sqrt(7)]) 1000 times; what fraction
collapses to a constant function, is it close to the paper's "over 90%", and does leaky
ReLU help? The catalogue adds the paper's born-dead probabilities and its randomized
asymmetric initialisation (RAI). Published figures, as the catalogue summarises the paper
(Lu, Shin, Su, Karniadakis, CiCP 28:1671, 2020, arXiv 1903.06733): over 90% of 1000
trainings on |x| collapse; born dead at depth 10: under 1% at width 10, over 10% at width
5, about 60% at width 3; RAI cuts collapse from about 92-94% (He) to about 29-33%.

Definitions (fixed before any result was seen; see ``claims.dying_relu_runs``):
- collapsed: output standard deviation over a 1001-point grid of the interval below 1% of
  the target's;
- born dead: some hidden layer outputs zero at every grid point at initialisation;
- "10-layer": the paper's L = 10 weight layers, i.e. 9 hidden layers plus the output.
Thresholds come from the wording: "over 90%" -> 0.9; "lower" -> a paired difference
above 0; "well below" -> at least 20 percentage points below He's; "under 1%" -> 0.01;
"over 10%" -> 0.10; "about 60%" -> within 10 points, (0.5, 0.7).

Training budget. Each claim is judged at the last checkpoint of its run and again at
half the budget; a claim whose verdict differs between the two fails (the budget was
too short). ReLU + He nets are decided within a few epochs (death is permanent); RAI
nets keep dying for longer and leaky-ReLU nets keep escaping near-constant states,
so the three-arm run trains longer. Evidence beyond the ci budget (|x|, 128 seeds
20000-20127, 64 epochs, run once by hand with ``train_collapse``): collapsed at epochs
8 / 16 / 32 / 64 = ReLU + He 0.945 / 0.938 / 0.938 / 0.930, RAI 0.508 / 0.422 / 0.398 /
0.391, leaky 0.734 / 0.570 / 0.336 / 0.195. So the ReLU fractions have settled by the
ci budgets (16 and 24 epochs; RAI within about 4 points), the leaky fraction keeps
falling (which only widens D2's gap), and no verdict changes with more training.

Fidelity: ``lab`` is the lab's experiment as stated, 1000 trainings x 3000 points on
all three targets and arms, 100 epochs. ``ci`` fits 2 CPU cores in under 3 minutes:
D1 on |x| (the lab's first target) with the lab's 1000 trainings for 16 epochs, and the
three-arm run on all three targets with 128 trainings for 24 epochs. The claims are
judged on |x|; the other targets are reported beside them but not asserted.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from claims import figures
from claims.dying_relu_runs import (ARM_LABELS, COLLAPSE_FRACTION, TARGET_LABELS, BornDeadGrid, CollapseRun,
                                    born_dead_run, collapse_run, collapsed)
from deepclaims.fidelity import select
from deepclaims.seeding import seed_range
from deepclaims.stats import Estimate, paired_proportion_difference, proportion, wilson_interval
from deepclaims.verdict import decide

CONFIDENCE = 0.95
JUDGED_TARGET = "abs"
PAPER_COLLAPSE = {"relu_he": "over 90% (|x|); about 92-94% on the 1-D targets", "leaky_he": "not reported",
                  "relu_rai": "about 29-33%"}
WELL_BELOW = 0.2            # "well below": at least 20 percentage points
REFERENCE_HIDDEN = 9        # the paper's depth 10 = 9 hidden layers + output
PAPER_BORN_DEAD = {10: ("under 1%", (None, 0.01)), 5: ("over 10%", (0.10, None)), 3: ("about 60%", (0.5, 0.7))}


@dataclass(frozen=True)
class Tier:
    d1: CollapseRun          # ReLU + He (D1)
    arms: CollapseRun        # ReLU + He, leaky + He, ReLU + RAI on the same seeds (D2, D4)
    born: BornDeadGrid       # D3
    shard: int


_ALL = ("relu_he", "leaky_he", "relu_rai")
_LAB = CollapseRun(seeds=1000, epochs=100, checkpoints=(25, 50, 100))
TIERS = {
    "smoke": Tier(CollapseRun(16, 2, (1, 2), targets=("abs",), arms=("relu_he",)),
                  CollapseRun(16, 2, (1, 2), targets=("abs",), arms=_ALL),
                  BornDeadGrid(200, (2, 3, 5, 10), 12), 8),
    "ci": Tier(CollapseRun(1000, 16, (4, 8, 16), targets=("abs",), arms=("relu_he",)),
               CollapseRun(128, 24, (6, 12, 24), arms=_ALL),
               BornDeadGrid(1500, (2, 3, 4, 5, 7, 10), 30, grid_points=501), 500),
    "lab": Tier(_LAB, _LAB, BornDeadGrid(10000, (2, 3, 4, 5, 7, 10), 40), 250),
}


@pytest.fixture(scope="module")
def tier(fidelity, device) -> Tier:
    t = select(TIERS, fidelity)
    dev = str(device)
    return Tier(replace(t.d1, device=dev), replace(t.arms, device=dev), replace(t.born, device=dev), t.shard)


@pytest.fixture(scope="module")
def d1_run(result_cache, tier, seed_base):
    return collapse_run(result_cache, tier.d1, seed_base, min(tier.shard, tier.d1.seeds))


@pytest.fixture(scope="module")
def arms_run(result_cache, tier, seed_base):
    # Two shards at least, so two xdist workers share the run.
    return collapse_run(result_cache, tier.arms, seed_base, min(tier.shard, max(1, tier.arms.seeds // 2)))


def flags(result, config: CollapseRun, arm: str, target: str = JUDGED_TARGET, checkpoint: int = -1) -> np.ndarray:
    """[seeds] collapse flags of one arm on one target at one checkpoint."""
    return collapsed(result, checkpoint)[:, config.targets.index(target), config.arms.index(arm)]


def half_budget(config: CollapseRun) -> int:
    """Index of the checkpoint at half the budget (or the nearest one below it)."""
    below = [i for i, c in enumerate(config.checkpoints) if c <= config.epochs // 2]
    return below[-1] if below else 0


def _stable(claim, label: str, final: Estimate, half: Estimate, threshold: float, direction: str,
            epochs: tuple[int, int]) -> None:
    """Fail the claim when its verdict at half the budget differs from the final one."""
    v_final, v_half = decide(final, threshold, direction), decide(half, threshold, direction)
    claim.equals(f"{label}: verdict at epoch {epochs[0]} differs from epoch {epochs[1]} (1 = yes)",
                 int(v_final != v_half), 0, half_budget_estimate=half.as_dict(), half_verdict=v_half,
                 final_verdict=v_final)


# ---------------------------------------------------------------- D1

def judge_D1(claim, result, config: CollapseRun) -> Estimate:
    final = proportion(flags(result, config, "relu_he"), CONFIDENCE)
    claim.part(f"collapse fraction, ReLU + He, {TARGET_LABELS[JUDGED_TARGET]}", final, 0.9, "above",
               paper="over 90% of 1000 trainings", collapse=f"output std < {COLLAPSE_FRACTION:g} x target std")
    h = half_budget(config)
    half = proportion(flags(result, config, "relu_he", checkpoint=h), CONFIDENCE)
    _stable(claim, "collapse fraction > 0.9", final, half, 0.9, "above", (config.checkpoints[h], config.epochs))
    return final


def collapse_table(result, config: CollapseRun) -> str:
    rows = ["| target | arm | collapsed (95% Wilson) | born dead | dead at end | paper |", "|---|---|---|---|---|---|"]
    c = collapsed(result)
    for ti, t in enumerate(config.targets):
        for ai, a in enumerate(config.arms):
            e = proportion(c[:, ti, ai], CONFIDENCE)
            rows.append(f"| {TARGET_LABELS[t]} | {ARM_LABELS[a]} | {e.value:.3f} [{e.low:.3f}, {e.high:.3f}] "
                        f"| {result['born_dead'][:, ti, ai].mean():.3f} | {result['dead_end'][:, ti, ai].mean():.3f} "
                        f"| {PAPER_COLLAPSE[a]} |")
    rows.append(f"\n{len(c)} trainings per cell, {config.epochs} epochs, {config.n_train} points, minibatch "
                f"{config.batch_size}, Adam lr {config.lr:g}.")
    return "\n".join(rows)


def drift_table(result, config: CollapseRun) -> str:
    """Collapse fraction at each checkpoint: the evidence that the budget is long enough."""
    rows = ["| target | arm | " + " | ".join(f"epoch {c}" for c in config.checkpoints) + " |",
            "|---|---|" + "---|" * len(config.checkpoints)]
    for t in config.targets:
        for a in config.arms:
            cells = []
            for k in range(len(config.checkpoints)):
                e = proportion(flags(result, config, a, t, k), CONFIDENCE)
                cells.append(f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]")
            rows.append(f"| {TARGET_LABELS[t]} | {ARM_LABELS[a]} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def collapse_figure(result, config: CollapseRun):
    fig, ax = figures.plt.subplots(figsize=(5.5, 3.2))
    for t in config.targets:
        for a in config.arms:
            ests = [proportion(flags(result, config, a, t, k), CONFIDENCE) for k in range(len(config.checkpoints))]
            ax.errorbar(config.checkpoints, [e.value for e in ests],
                        yerr=[[e.value - e.low for e in ests], [e.high - e.value for e in ests]],
                        marker="o", capsize=2, label=f"{ARM_LABELS[a]}, {TARGET_LABELS[t]}")
    ax.axhline(0.9, color="grey", lw=0.6, ls="--")
    ax.text(config.checkpoints[0], 0.91, "paper: over 90% (ReLU, He)", fontsize=6)
    ax.axhspan(0.29, 0.33, color="tab:green", alpha=0.15)
    ax.text(config.checkpoints[0], 0.34, "paper: RAI 29-33%", fontsize=6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch"); ax.set_ylabel("fraction collapsed (95% Wilson)")
    ax.legend(fontsize=6)
    return fig


def _seeds(claim, seed_base: int, n: int) -> None:
    claim.seeds = seed_range(seed_base, n)
    claim.dataset = "Lu et al.'s 1-D targets, 3000 uniform points per training (generated)"




@pytest.mark.claim("D1")
def test_D1_relu_width2_collapses(claim, d1_run, tier, seed_base):
    _seeds(claim, seed_base, tier.d1.seeds)
    judge_D1(claim, d1_run, tier.d1)
    claim.note("collapse", f"output std over a 1001-point grid of [-sqrt(7), sqrt(7)] below {COLLAPSE_FRACTION:g} "
                           "of the target's std")
    claim.note("net", "10 layers as in Lu et al. (9 hidden ReLU layers of width 2 + linear output), He-normal "
                      "weights and biases, MSE, Adam lr 1e-3, minibatch 64")
    claim.note("born dead at initialisation (same seeds)", proportion(d1_run["born_dead"][:, 0, 0]).as_dict())
    claim.table("collapse fractions", collapse_table(d1_run, tier.d1))
    claim.table("collapse fraction by training budget", drift_table(d1_run, tier.d1))
    claim.figure(collapse_figure(d1_run, tier.d1), "collapse_vs_epoch")
    claim.conclude()


# ---------------------------------------------------------------- D2

def judge_D2(claim, result, config: CollapseRun) -> Estimate:
    relu, leaky = flags(result, config, "relu_he"), flags(result, config, "leaky_he")
    final = paired_proportion_difference(relu, leaky, CONFIDENCE)
    claim.part(f"collapse fraction ReLU - leaky ReLU 0.01, same seeds and init, {TARGET_LABELS[JUDGED_TARGET]}",
               final, 0.0, "above", relu=proportion(relu).as_dict(), leaky=proportion(leaky).as_dict())
    h = half_budget(config)
    half = paired_proportion_difference(flags(result, config, "relu_he", checkpoint=h),
                                        flags(result, config, "leaky_he", checkpoint=h), CONFIDENCE)
    _stable(claim, "ReLU - leaky > 0", final, half, 0.0, "above", (config.checkpoints[h], config.epochs))
    return final


@pytest.mark.claim("D2")
def test_D2_leaky_relu_collapses_less(claim, arms_run, tier, seed_base):
    _seeds(claim, seed_base, tier.arms.seeds)
    judge_D2(claim, arms_run, tier.arms)
    claim.note("leaky nets", "never exactly dead (slope 0.01 keeps a gradient); their 'collapse' is a near-constant "
                             "output that training keeps escaping, so their fraction falls as the budget grows")
    claim.table("collapse fractions", collapse_table(arms_run, tier.arms))
    claim.table("collapse fraction by training budget", drift_table(arms_run, tier.arms))
    claim.figure(collapse_figure(arms_run, tier.arms), "collapse_by_arm")
    claim.conclude()


# ---------------------------------------------------------------- D3

def newcombe_difference(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE) -> Estimate:
    """mean(a) - mean(b) for independent samples (Newcombe's hybrid score interval)."""
    wa = wilson_interval(int(a.sum()), a.size, confidence)
    wb = wilson_interval(int(b.sum()), b.size, confidence)
    d = wa.value - wb.value
    low = d - np.hypot(wa.value - wa.low, wb.high - wb.value)
    high = d + np.hypot(wa.high - wa.value, wb.value - wb.low)
    return Estimate(float(d), float(max(-1.0, low)), float(min(1.0, high)), confidence, "newcombe", int(a.size))


def judge_D3(claim, born: np.ndarray, widths: tuple[int, ...]) -> None:
    """``born`` is [nets, widths, hidden layers 1..max] booleans; widths increase.

    The paper's depth-10 figures come first (the report shows the first part as the
    claim's headline), then the trends.
    """
    depth_max = born.shape[2]
    ref = REFERENCE_HIDDEN - 1
    for w, (wording, (low, high)) in sorted(PAPER_BORN_DEAD.items()):
        if w not in widths:
            continue
        est = proportion(born[:, widths.index(w), ref], CONFIDENCE)
        if low is not None:
            claim.part(f"born dead, depth 10, width {w} (paper: {wording})", est, low, "above")
        if high is not None:
            claim.part(f"born dead, depth 10, width {w} (paper: {wording})", est, high, "below")
    for wi, w in enumerate(widths):
        claim.part(f"trend: born dead, width {w}: {depth_max} minus 1 hidden layers (paired)",
                   paired_proportion_difference(born[:, wi, -1], born[:, wi, 0], CONFIDENCE), 0.0, "above")
    claim.part(f"trend: born dead at depth 10, width {widths[0]} minus width {widths[-1]}",
               newcombe_difference(born[:, 0, ref], born[:, -1, ref]), 0.0, "above")
    # Monotone in width at every depth: no adjacent pair of widths significantly reversed.
    reversals = [(widths[i], widths[i + 1], d + 1) for d in range(depth_max) for i in range(len(widths) - 1)
                 if newcombe_difference(born[:, i, d], born[:, i + 1, d]).high < 0]
    claim.equals("trend: adjacent widths where born-dead significantly rises with width", len(reversals), 0,
                 reversals=reversals[:10])


def born_dead_figure(born: np.ndarray, widths):
    fig, ax = figures.plt.subplots(figsize=(5.5, 3.4))
    depths = np.arange(1, born.shape[2] + 1) + 1     # weight layers L = hidden + 1
    for wi, w in enumerate(widths):
        ests = [proportion(born[:, wi, d], CONFIDENCE) for d in range(born.shape[2])]
        line, = ax.plot(depths, [e.value for e in ests], marker=".", label=f"width {w}")
        ax.fill_between(depths, [e.low for e in ests], [e.high for e in ests], color=line.get_color(), alpha=0.2)
    for w, value, label in ((3, 0.6, "paper w3 ~60%"), (5, 0.10, "paper w5 >10%"), (10, 0.01, "paper w10 <1%")):
        ax.plot([10], [value], marker="x", color="k", ms=7)
        ax.annotate(label, (10, value), fontsize=6, xytext=(4, 2), textcoords="offset points")
    ax.set_xlabel("layers L (hidden + output), He-normal weights and biases")
    ax.set_ylabel("born dead (95% Wilson)")
    ax.legend(fontsize=6)
    return fig


def born_dead_table(born: np.ndarray, widths) -> str:
    shown = [d for d in (2, 3, 5, 8, 9, 10, 15, 20, 30, 40) if d <= born.shape[2]]
    rows = ["| width | " + " | ".join(f"L={d + 1}" for d in shown) + " |", "|---|" + "---|" * len(shown)]
    for wi, w in enumerate(widths):
        rows.append(f"| {w} | " + " | ".join(f"{born[:, wi, d - 1].mean():.3f}" for d in shown) + " |")
    return "\n".join(rows)




@pytest.mark.claim("D3")
def test_D3_born_dead_probability(claim, result_cache, tier, seed_base):
    born = born_dead_run(result_cache, tier.born, seed_base, max(1, tier.born.nets // 2))["born_dead"]
    claim.seeds = seed_range(seed_base, tier.born.nets)
    claim.dataset = (f"none (initialisation only), born-dead checked on a {tier.born.grid_points}-point grid of "
                     "[-sqrt(7), sqrt(7)]")
    judge_D3(claim, born, tier.born.widths)
    claim.note("depth", "the paper's L-layer net has L-1 hidden layers; 'depth 10' is 9 hidden layers")
    claim.table("born-dead fraction by width and layers L", born_dead_table(born, tier.born.widths))
    claim.figure(born_dead_figure(born, tier.born.widths), "born_dead_vs_depth")
    claim.conclude()


# ---------------------------------------------------------------- D4

def judge_D4(claim, result, config: CollapseRun) -> Estimate:
    he, rai = flags(result, config, "relu_he"), flags(result, config, "relu_rai")
    final = paired_proportion_difference(he, rai, CONFIDENCE)
    claim.part(f"collapse fraction He - RAI, ReLU, same seeds' data, {TARGET_LABELS[JUDGED_TARGET]}", final,
               WELL_BELOW, "above", he=proportion(he).as_dict(), rai=proportion(rai).as_dict(),
               paper="about 92-94% (He) vs about 29-33% (RAI)", meaning="well below = at least 20 points lower")
    h = half_budget(config)
    half = paired_proportion_difference(flags(result, config, "relu_he", checkpoint=h),
                                        flags(result, config, "relu_rai", checkpoint=h), CONFIDENCE)
    _stable(claim, f"He - RAI > {WELL_BELOW}", final, half, WELL_BELOW, "above",
            (config.checkpoints[h], config.epochs))
    return final


@pytest.mark.claim("D4")
def test_D4_rai_lowers_collapse(claim, arms_run, tier, seed_base):
    _seeds(claim, seed_base, tier.arms.seeds)
    judge_D4(claim, arms_run, tier.arms)
    ai = tier.arms.arms.index("relu_rai")
    ti = tier.arms.targets.index(JUDGED_TARGET)
    claim.note("RAI born dead (same seeds)", proportion(arms_run["born_dead"][:, ti, ai]).as_dict())
    claim.note("RAI dead at the end of training", proportion(arms_run["dead_end"][:, ti, ai]).as_dict())
    claim.table("collapse fractions", collapse_table(arms_run, tier.arms))
    claim.figure(collapse_figure(arms_run, tier.arms), "collapse_he_vs_rai")
    claim.conclude()
