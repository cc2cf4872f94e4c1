"""Topic E's judges: batch normalisation and dropout on LeNet-5 (lab 004 Problem 2).

Every arm trains on the same seeds (the same initial draws of the layers they share, the
same minibatch order), so arms compare as paired differences over seeds (t intervals).
Thresholds, fixed from the sources' words before any result was seen:

- E1 "trains well": test accuracy above 0.98 on MNIST (LeCun et al. 1998 report 0.95% test
  error for LeNet-5, so "well" is within about a point of it) and above 0.90 on the 28x28
  digits stand-in (nine held-out digits in ten, nine times chance; no published figure
  exists for it); and every hidden layer's BN parameters are learned, i.e. moved from their
  initial (gamma 1, beta 0) in every seed. The table reports them per layer.
- Smallest effects (issue 21; the three-way rule is ``deepclaims.effects``'): every
  comparison of test accuracy between arms (E2, E3, E4) is judged against one accuracy
  point (``ACCURACY_POINT``; none of the sources gives a size), and the log10 ratios (E4's
  variance shift, E5's logit distances) against a change by a tenth (``LOG10_TENTH``).
- E2 asks "did batch normalization for the input layer improve performance?": the verdict
  answers it from the paired difference of test accuracy, input BN minus standardised
  input: above one point is "yes" (reproduced), wholly below it "no improvement that
  matters" (contradicted), an interval holding it undecided (not reproduced, with the
  seeds that would decide it). Train accuracy and both losses are reported beside it as
  paired differences.
- Dropout's placement (E3, E4): judged as the lab words it, "For hidden layers use a dropout
  probability of 0.5 and for input, layer take it to be 0.2": 0.2 on the input and 0.5 after
  every hidden layer of LeNet-5, the two conv layers (C1, C3) included as well as the dense
  ones (F5, F6). The lab names no exception for conv layers, and that is the net a student
  following it trains; it is kept as the judged reading although it regularises LeNet-5's
  narrow conv layers hard (on the ci stand-in the dropout net reaches about 0.67 test
  accuracy against 0.92 with dense-only dropout), because choosing the placement that reads
  better would tune the set-up to the result. The two other readings are sensitivity rows
  of E3 and E4, on the same seeds: dropout on the input and the dense layers only, and
  Srivastava et al. 2014's conv-net retain probabilities (appendix B.2: 0.9 input, 0.75 conv,
  0.5 dense). See ``experiments.DROPOUT_PLACEMENTS``.
- E3: dropout alone against BN alone at the same budget: BN ahead of dropout. Ioffe and
  Szegedy 2015 (section 4.2.1: BN "fulfills some of the same goals as Dropout", which can
  be removed, and the BN net trains faster) and Srivastava et al. 2014 (section 9: a dropout
  net "typically takes 2-3 times longer to train"): the paired differences E1 - E3 and
  E2 - E3 of test accuracy above 0.
- E4: together against each alone. Li et al. 2019 (title and abstract: combining dropout and
  BN "often leads to a worse performance"): BN + dropout below BN alone; Ioffe and Szegedy's
  acceleration: BN + dropout above dropout alone (a comparison no source states outright;
  dropout alone learns slowly, so E3 and E4 are judged again at twice the budget). Li et al.'s mechanism, with dropout placed
  directly before BN: the BN inputs' variance at test time (dropout off) below their
  variance in training (log ratio below 0), and that order's test accuracy below the usual
  order's (dropout after BN, activation and pooling).
- E5: the test-time rules. Exactly, for a linear layer after dropout: each rule's test-time
  output equals the mask-weighted average of its training-time output (relative gap at
  most 1e-12 in float64), both retain probabilities the lab uses. In trained nets: a
  net's eval-mode logits under the rule it was trained with are closer to its
  mask-averaged training-mode logits than under the other rule (log10 ratio of the gaps
  above 0), for a net trained each way; and the engine's matching rule gives the logits of
  the rule's literal statement (Srivastava's outgoing weights times p; PyTorch's nn.Dropout
  in eval mode) up to float32 rounding (1e-5 relative). Evidence from a net that learned
  nothing says nothing about the rules, so each rule-probed net must also have learned
  something: test accuracy under its own rule well above chance, above 0.3 (three test
  digits in ten, three times chance with ten classes). The floor separates a net that
  learned from one that learned nothing (near 0.1; the weight-scaling net trained at the
  inverted net's rate scored 0.18), not a good net from a poor one: the judged placement's
  heavy dropout leaves the inverted net at 0.58 [0.43, 0.73] at ci, seed base 1000, which a
  first choice of 0.5 ("more right than wrong") refused although its logits are evidence.
  The weight-scaling net trains at a rate adjusted for its p-scaled forward pass
  (``experiments.train_config``).
"""
from __future__ import annotations

import numpy as np

from claims.e_batchnorm_dropout.experiments import (ARMS, JUDGED_PLACEMENT, OTHER_SEED_OFFSET, PLACEMENT_ROWS,
                                                    PLACEMENT_SETUPS, longer_budget, train_config)
from deepclaims.effects import ACCURACY_POINT, LOG10_TENTH
from deepclaims.seeding import seed_range
from deepclaims.stats import Estimate, paired_difference, t_interval

CONFIDENCE = 0.95
TRAINS_WELL = {"MNIST": 0.98, "stand-in": 0.90}
HIDDEN_BN = ("conv1", "conv2", "fc1", "fc2")
MOVED = 1e-6               # a BN parameter further than this from its initial value has been learned
EXACT = 1e-12              # float64 rounding, relative
FLOAT32_ROUNDING = 1e-5    # relative, logits of two float32 computations of one function
SCORES = ("test_acc", "train_acc", "test_loss", "train_loss")
LEARNED = 0.3              # test accuracy a net that learned something exceeds: three times chance (0.1)


def dataset_of(result) -> str:
    return str(result["dataset"][0])


def _describe(claim, result, seeds: int, seed_base: int) -> None:
    claim.dataset = dataset_of(result)
    claim.seeds = seed_range(seed_base, seeds)


def first_seeds(result, n: int) -> dict:
    """``result`` on its first ``n`` seeds: an arm run on the tier's seeds, paired with a
    sensitivity row run on the first ``row_seeds`` of them."""
    return {key: values[:n] for key, values in result.items()}


def placement_runs(e_arms, e_placement_rows, placement: str) -> dict:
    """BN alone, E2's input-BN net, and the placement's dropout and BN + dropout arms, on the
    placement rows' seeds."""
    n = len(e_placement_rows[f"{placement}_dropout"]["test_acc"])
    return {"bn": first_seeds(e_arms["bn"], n), "input_bn": first_seeds(e_arms["input_bn"], n),
            "dropout": e_placement_rows[f"{placement}_dropout"],
            "bn_dropout": e_placement_rows[f"{placement}_bn_dropout"]}


def trains_well_threshold(result) -> float:
    return TRAINS_WELL["MNIST" if dataset_of(result).startswith("MNIST") else "stand-in"]


def bn_layers(result) -> list[str]:
    """The BN layers a run recorded, bottom to top."""
    order = ("input",) + HIDDEN_BN
    return [name for name in order if f"gamma_{name}" in result]


def learned_hidden_layers(result) -> int:
    """Hidden layers with a BN layer whose parameters moved from (1, 0) in every seed."""
    count = 0
    for name in HIDDEN_BN:
        if f"gamma_{name}" not in result:
            continue
        moved = np.maximum(np.abs(result[f"gamma_{name}"] - 1).max(1), np.abs(result[f"beta_{name}"]).max(1))
        count += int((moved > MOVED).all())
    return count


def bn_parameter_table(result) -> str:
    """Per BN layer: its units, and gamma's and beta's mean over units (seeds' mean with a t
    interval over seeds), spread over units and range, pooled over seeds."""
    rows = ["| layer | units | gamma mean (95% t over seeds) | gamma sd over units | gamma range | "
            "beta mean (95% t over seeds) | beta sd over units | beta range |", "|---|---|---|---|---|---|---|---|"]
    for name in bn_layers(result):
        cells = [name, str(result[f"gamma_{name}"].shape[1])]
        for kind in ("gamma", "beta"):
            values = result[f"{kind}_{name}"]
            est = t_interval(values.mean(1), CONFIDENCE)
            cells += [f"{est.value:.3f} [{est.low:.3f}, {est.high:.3f}]", f"{values.std(1).mean():.3f}",
                      f"{values.min():.3f} .. {values.max():.3f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def trains_well(claim, bn) -> None:
    claim.part("test accuracy, LeNet-5 with standardised input and BN after each hidden layer",
               t_interval(bn["test_acc"], CONFIDENCE), trains_well_threshold(bn), "above", meaning="trains well")
    claim.equals("hidden layers whose BN gamma and beta were learned (moved from 1 and 0 in every seed)",
                 learned_hidden_layers(bn), len(HIDDEN_BN))


def judge_E1(claim, e_arms, e_input_bn_rows, e_tier, seed_base) -> None:
    bn = e_arms["bn"]
    _describe(claim, bn, e_tier.seeds, seed_base)
    trains_well(claim, bn)
    claim.table("learned BN parameters per layer", bn_parameter_table(bn))
    claim.note("train accuracy / test loss", f"{bn['train_acc'].mean():.4f} / {bn['test_loss'].mean():.4f}")
    # E2's rows train E1's arm too: its verdict under them costs nothing more.
    rows = e_input_bn_rows
    with claim.alternative(f"another seed base (seeds from {seed_base + OTHER_SEED_OFFSET})") as alt:
        trains_well(alt, rows["other_seeds_bn"])
    with claim.alternative("Keras' BatchNormalization defaults (eps 1e-3, momentum 0.01)") as alt:
        trains_well(alt, rows["keras_bn"])
        alt.note("test accuracy", f"{rows['keras_bn']['test_acc'].mean():.4f}")


# ---------------------------------------------------------------- E2

def input_bn_gain(claim, bn, input_bn) -> Estimate:
    """The deciding part: paired difference of test accuracy, input BN minus standardised."""
    gain = paired_difference(input_bn["test_acc"], bn["test_acc"], CONFIDENCE)
    claim.compare("test accuracy, input BN minus standardised input (paired by seed)", gain, "above", ACCURACY_POINT,
                  meaning="input BN helped")
    return gain


def difference_table(bn, input_bn) -> str:
    rows = ["| score | standardised input (E1) | input BN (E2) | input BN minus standardised, 95% paired t |",
            "|---|---|---|---|"]
    for score in SCORES:
        d = paired_difference(input_bn[score], bn[score], CONFIDENCE)
        rows.append(f"| {score.replace('_', ' ')} | {bn[score].mean():.4f} | {input_bn[score].mean():.4f} | "
                    f"{d.value:+.4f} [{d.low:+.4f}, {d.high:+.4f}] |")
    return "\n".join(rows)


def answer(gain: Estimate, question: str, yes: str, no: str, worse: str) -> str:
    """A sentence answering a lab question from a paired difference's interval, against
    one accuracy point either way (the smallest difference that matters, ``ACCURACY_POINT``)."""
    interval = f"{gain.value:+.4f} (95% interval [{gain.low:+.4f}, {gain.high:+.4f}])"
    point = ACCURACY_POINT.size
    if gain.low > point:
        return f"{question} Yes: {yes} by more than one accuracy point, {interval}."
    if gain.high < -point:
        return f"{question} No, {worse} by more than one accuracy point: {interval}."
    if -point < gain.low and gain.high < point:
        return f"{question} No difference that matters: {no} {interval}, within one accuracy point either way."
    return f"{question} Undecided at these seeds: {no} {interval}, an interval that holds a one-point difference."


def judge_E2(claim, e_arms, e_input_bn_rows, e_tier, seed_base) -> None:
    bn, input_bn = e_arms["bn"], e_arms["input_bn"]
    _describe(claim, input_bn, e_tier.seeds, seed_base)
    gain = input_bn_gain(claim, bn, input_bn)
    claim.table("train/test accuracy and loss, input BN against standardised input", difference_table(bn, input_bn))
    claim.note("answer", answer(gain, "Did batch normalisation of the input improve test accuracy?",
                                "input BN raised it", "the change was", "it lowered it"))
    rows = e_input_bn_rows
    with claim.alternative(f"another seed base (seeds from {seed_base + OTHER_SEED_OFFSET})") as alt:
        input_bn_gain(alt, rows["other_seeds_bn"], rows["other_seeds_input_bn"])
    with claim.alternative("Keras' BatchNormalization defaults (eps 1e-3, momentum 0.01) in both arms") as alt:
        input_bn_gain(alt, rows["keras_bn"], rows["keras_input_bn"])
        alt.note("test accuracy E1 / E2", f"{rows['keras_bn']['test_acc'].mean():.4f} / "
                                          f"{rows['keras_input_bn']['test_acc'].mean():.4f}")


# ---------------------------------------------------------------- E3

def bn_ahead_of_dropout(claim, bn, dropout, label: str) -> Estimate:
    gap = paired_difference(bn["test_acc"], dropout["test_acc"], CONFIDENCE)
    claim.compare(f"test accuracy, BN ({label}) minus dropout without BN (paired by seed)", gap, "above",
                  ACCURACY_POINT, meaning="BN ahead of dropout at the same budget")
    return gap


def judge_E3(claim, e_arms, e_longer_runs, e_placement_rows, e_tier, seed_base) -> None:
    dropout = e_arms["dropout"]
    _describe(claim, dropout, e_tier.seeds, seed_base)
    claim.note("dropout placement (judged)", PLACEMENT_SETUPS[JUDGED_PLACEMENT])
    for name, label in (("bn", "E1, standardised input"), ("input_bn", "E2, input BN")):
        gap = bn_ahead_of_dropout(claim, e_arms[name], dropout, label)
        claim.note(f"answer ({label})", answer(gap, f"Does BN ({label}) beat dropout in test accuracy?",
                                               "BN ahead", "BN minus dropout", "dropout is ahead"))
    claim.note("test accuracy E1 / E2 / E3", " / ".join(f"{e_arms[k]['test_acc'].mean():.4f}"
                                                          for k in ("bn", "input_bn", "dropout")))
    claim.note("train accuracy of the dropout net (eval mode)", f"{dropout['train_acc'].mean():.4f}")
    longer = e_longer_runs
    with claim.alternative(f"twice the budget ({longer_budget(e_tier).epochs} epochs; E1's arm)") as alt:
        bn_ahead_of_dropout(alt, longer["bn"], longer["dropout"], "E1, standardised input")
        alt.note("test accuracy E1 / E3", f"{longer['bn']['test_acc'].mean():.4f} / "
                                          f"{longer['dropout']['test_acc'].mean():.4f}")
    for placement in PLACEMENT_ROWS:
        runs = placement_runs(e_arms, e_placement_rows, placement)
        with claim.alternative(f"{PLACEMENT_SETUPS[placement]} ({len(runs['dropout']['test_acc'])} seeds)") as alt:
            for name, label in (("bn", "E1, standardised input"), ("input_bn", "E2, input BN")):
                bn_ahead_of_dropout(alt, runs[name], runs["dropout"], label)
            alt.note("test accuracy E1 / E2 / E3", " / ".join(f"{runs[k]['test_acc'].mean():.4f}"
                                                              for k in ("bn", "input_bn", "dropout")))


# ---------------------------------------------------------------- E4

def variance_log_ratio(result) -> np.ndarray:
    """Per seed: log10(eval-mode / training-mode variance of the BN inputs), averaged over
    the hidden BN layers (Li et al.'s variance shift: below 0 when dropout inflates the
    training-time variance)."""
    ratios = [np.log10(result[f"bn_var_eval_{n}"] / result[f"bn_var_train_{n}"]) for n in HIDDEN_BN]
    return np.mean(ratios, axis=0)


def variance_table(e_arms) -> str:
    rows = ["| order | BN layer | input variance, training mode | input variance, eval mode | eval / train |",
            "|---|---|---|---|---|"]
    for arm, label in (("bn_dropout", "dropout after BN (usual)"), ("dropout_bn", "dropout before BN (Li et al.)")):
        for name in HIDDEN_BN:
            train, test = e_arms[arm][f"bn_var_train_{name}"], e_arms[arm][f"bn_var_eval_{name}"]
            rows.append(f"| {label} | {name} | {train.mean():.4g} | {test.mean():.4g} | "
                        f"{np.mean(test / train):.3f} |")
    return "\n".join(rows)


def together_against_each(claim, runs) -> tuple[Estimate, Estimate]:
    """BN + dropout (usual order) against BN alone (below: Li et al.) and against dropout
    alone (above: BN's acceleration), paired by seed."""
    both = runs["bn_dropout"]["test_acc"]
    with_bn = paired_difference(both, runs["bn"]["test_acc"], CONFIDENCE)
    claim.compare("test accuracy, BN + dropout minus BN alone (paired by seed)", with_bn, "below", ACCURACY_POINT,
                  meaning="dropout on top of BN hurts (Li et al. 2019)")
    with_dropout = paired_difference(both, runs["dropout"]["test_acc"], CONFIDENCE)
    claim.compare("test accuracy, BN + dropout minus dropout alone (paired by seed)", with_dropout, "above",
                  ACCURACY_POINT, meaning="BN helps a dropout net")
    return with_bn, with_dropout


def judge_E4(claim, e_arms, e_longer_runs, e_placement_rows, e_tier, seed_base) -> None:
    both, li = e_arms["bn_dropout"], e_arms["dropout_bn"]
    _describe(claim, both, e_tier.seeds, seed_base)
    claim.note("dropout placement (judged)", PLACEMENT_SETUPS[JUDGED_PLACEMENT])
    with_bn, with_dropout = together_against_each(claim, e_arms)
    claim.compare("dropout before BN: log10 eval / training variance of the BN inputs, mean over hidden layers",
                  t_interval(variance_log_ratio(li), CONFIDENCE), "below", LOG10_TENTH, meaning="variance shift")
    order = paired_difference(li["test_acc"], both["test_acc"], CONFIDENCE)
    claim.compare("test accuracy, dropout before BN minus dropout after BN (paired by seed)", order, "below",
                  ACCURACY_POINT, meaning="the variance shift hurts at test time")
    claim.note("answer (together against BN alone)", answer(
        with_bn, "Does adding dropout to the BN net raise test accuracy?", "together ahead",
        "together minus BN alone", "together is behind BN alone"))
    claim.note("answer (together against dropout alone)", answer(
        with_dropout, "Does adding BN to the dropout net raise test accuracy?", "together ahead",
        "together minus dropout alone", "together is behind dropout alone"))
    claim.note("test accuracy BN / dropout / both (dropout after BN) / both (dropout before BN)",
               " / ".join(f"{e_arms[k]['test_acc'].mean():.4f}" for k in ("bn", "dropout", "bn_dropout", "dropout_bn")))
    claim.note("dropout after BN: log10 eval / training BN-input variance, mean over hidden layers",
               str(t_interval(variance_log_ratio(both), CONFIDENCE)))
    claim.table("BN input variance in training and eval mode (Li et al. 2019)", variance_table(e_arms))
    longer = e_longer_runs
    with claim.alternative(f"twice the budget ({longer_budget(e_tier).epochs} epochs; the usual order's "
                           "comparisons)") as alt:
        together_against_each(alt, longer)
        alt.note("test accuracy BN / dropout / both", " / ".join(f"{longer[k]['test_acc'].mean():.4f}"
                                                                  for k in ("bn", "dropout", "bn_dropout")))
    for placement in PLACEMENT_ROWS:
        runs = placement_runs(e_arms, e_placement_rows, placement)
        with claim.alternative(f"{PLACEMENT_SETUPS[placement]} ({len(runs['dropout']['test_acc'])} seeds; the "
                               "usual order's comparisons)") as alt:
            together_against_each(alt, runs)
            alt.note("test accuracy BN / dropout / both", " / ".join(f"{runs[k]['test_acc'].mean():.4f}"
                                                                      for k in ("bn", "dropout", "bn_dropout")))


# ---------------------------------------------------------------- E5

TRAINED_RULES = {"dropout": "inverted (PyTorch)", "dropout_weight_scaling": "weight scaling (Srivastava)"}


def judge_E5(claim, e_arms, e_rule_check, e_tier, seed_base) -> None:
    _describe(claim, e_arms["dropout"], e_tier.seeds, seed_base)
    for key, check in e_rule_check.items():
        retain = key.removeprefix("retain_")
        for rule in ("inverted", "weight_scaling"):
            claim.equals(f"linear layer after dropout (retain {retain}), {rule}: max relative gap between the "
                         f"mask-averaged training output and the test-time output, over {len(check[f'matching_{rule}'])} "
                         f"random layers", float(check[f"matching_{rule}"].max()), 0.0, EXACT)
            claim.note(f"retain {retain}, {rule}: the same gap under the other rule",
                       f"{check[f'mismatched_{rule}'].mean():.3f}")
    for arm, label in TRAINED_RULES.items():
        result = e_arms[arm]
        claim.part(f"net trained with {label}: test accuracy under its own rule", t_interval(
            result["matching_test_acc"], CONFIDENCE), LEARNED, "above",
            meaning="the net learned something, so its logits are evidence about the rules")
        ratio = np.log10(result["mismatched_logit_gap"] / result["matching_logit_gap"])
        claim.compare(f"net trained with {label}: log10 (distance of eval logits from the mask-averaged training "
                      "logits, other rule / matching rule)", t_interval(ratio, CONFIDENCE), "above", LOG10_TENTH,
                      meaning="the matching rule gives the expected activations; the other does not")
        claim.equals(f"net trained with {label}: max relative gap between the matching rule's logits and the "
                     "rule's literal statement", float(result["literal_rule_max_gap"].max()), 0.0, FLOAT32_ROUNDING)
        claim.note(f"net trained with {label}: learning rate; training loss, first epoch -> last",
                   f"{train_config(ARMS[arm][0], e_tier.epochs).lr:g}; {result['epoch_loss'][:, 0].mean():.3f} -> "
                   f"{result['epoch_loss'][:, -1].mean():.3f}")
        claim.note(f"net trained with {label}: test accuracy / loss, matching rule",
                   f"{result['matching_test_acc'].mean():.4f} / {result['matching_test_loss'].mean():.4f}")
        claim.note(f"net trained with {label}: test accuracy / loss, other rule",
                   f"{result['mismatched_test_acc'].mean():.4f} / {result['mismatched_test_loss'].mean():.4f}")
        claim.note(f"net trained with {label}: relative distance from the mask-averaged logits, matching / other",
                   f"{result['matching_logit_gap'].mean():.3f} / {result['mismatched_logit_gap'].mean():.3f}")
