"""Cross-check of the init-stack trainings (C3's budget, C6's clipping arms) against plain
PyTorch: one ``nn.Sequential`` per seed, ``torch.optim.SGD``,
``torch.nn.utils.clip_grad_norm_``, a loop over minibatches.

1. Given the same initial weights and the same minibatch order, the reference reaches the
   same per-seed loss history and final scores as the seed-batched engine
   (``claims.c_init.runs.train_stack``). Both run in float64 here: in float32 the two agree
   to 1e-7 for the first steps, and then a rounding difference now and then (a ReLU input
   a few ulp from 0) grows along the trajectory to 1e-3 after two epochs, which would hide
   a real discrepancy of that size; in float64 they agree to 1e-12 at every step.
2. From ``nn.init``'s own draws, one seed at a time, the C3 and C6 judges reach the
   verdicts the claim tests expect.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from claims.c_init import inputs
from claims.c_init.experiments import C6_TRAIN, CLIP_NORM, EXPLODING, LAB_002_TRAIN, scheme
from claims.c_init.judges import clipping_tames, he_holds_relu
from claims.c_init.runs import StackTrain, train_stack
from deepclaims import seeding
from deepclaims.training import Split, TrainConfig
from models.init_stacks import StackSpec, build_stack
from models.plain_reference import copy_seed_weights, sgd_epochs
from tests.controls import recorder, verdict
from tests.test_reference_init_stacks import (expected, nn_init, plain_net, reference_statistics,
                                              stacked)
from tests.init_stack_fixtures import one_thread  # noqa: F401 (fixtures)


@pytest.fixture
def in_float64(monkeypatch):
    """Weights drawn and data served in float64, for the engine and the reference alike."""
    float32_split = inputs.stack_split
    monkeypatch.setattr(inputs, "stack_split", lambda: Split(
        *(t.double() if t.is_floating_point() else t for t in astuple_split(float32_split()))))
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def astuple_split(data: Split) -> tuple:
    return data.x_train, data.y_train, data.x_test, data.y_test


def train_plain(net, seed: int, config: TrainConfig) -> dict:
    """Train one seed's net as a user would, drawing each epoch's minibatch order from the
    seed's 'order' stream (the engine's), so both see the same batches."""
    data = inputs.stack_split()
    with torch.no_grad():
        init_loss = float(F.cross_entropy(net(data.x_train), data.y_train))
    history = sgd_epochs(net, data.x_train, data.y_train, lambda m, xb, yb: F.cross_entropy(m(xb), yb),
                         epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, momentum=config.momentum,
                         shuffle=seeding.generator(seed, "order"), clip_norm=config.clip_norm)
    with torch.no_grad():
        logits = net(data.x_train)
        train_loss = float(F.cross_entropy(logits, data.y_train))
        test_acc = float((net(data.x_test).argmax(1) == data.y_test).float().mean())
    return {"init_loss": init_loss, "epoch_loss": history, "train_loss": train_loss, "test_acc": test_acc}


CASES = {
    "C3 He budget": (StackSpec(in_features=64, activation="relu", init="he_normal"), replace(LAB_002_TRAIN, epochs=2)),
    "C3 Xavier budget": (StackSpec(in_features=64, activation="relu", init="glorot_normal"),
                         replace(LAB_002_TRAIN, epochs=2)),
    "C6 clipped": (EXPLODING, replace(C6_TRAIN, epochs=1, clip_norm=CLIP_NORM)),
}


@pytest.mark.parametrize("case", CASES)
def test_engine_matches_plain_pytorch_given_the_same_weights_and_batches(case, in_float64):
    spec, config = CASES[case]
    seeds = [0, 5]
    engine = train_stack(StackTrain(spec=spec, train=config), seeds)
    batched = build_stack(spec, seeding.generators(seeds, "init"))
    for i, seed in enumerate(seeds):
        ref = train_plain(copy_seed_weights(plain_net(spec), batched, i), seed, config)
        np.testing.assert_allclose(engine["init_loss"][i], ref["init_loss"], rtol=1e-12)
        np.testing.assert_allclose(engine["epoch_loss"][i], ref["epoch_loss"], rtol=1e-10,
                                   err_msg=f"{case}, seed {seed}: loss history")
        np.testing.assert_allclose(engine["train_loss"][i], ref["train_loss"], rtol=1e-10)
        assert engine["test_acc"][i] == pytest.approx(ref["test_acc"], abs=1e-12)


def test_C6_unclipped_arm_diverges_in_plain_pytorch_too():
    """The unclipped arm's divergence is not the engine's: the plain loop diverges too."""
    config = replace(C6_TRAIN, epochs=1)
    seeds = [0, 5]
    batched = build_stack(EXPLODING, seeding.generators(seeds, "init"))
    for i, seed in enumerate(seeds):
        ref = train_plain(copy_seed_weights(plain_net(EXPLODING), batched, i), seed, config)
        assert not np.isfinite(ref["train_loss"]) or ref["train_loss"] > ref["init_loss"]


# ------------------------------------------------ nn.init's own draws, same verdicts

def nn_init_training(spec, config, seeds) -> dict:
    runs = []
    for seed in seeds:
        torch.manual_seed(seed)
        runs.append(train_plain(nn_init(plain_net(spec), spec), seed, config))
    with np.errstate(all="ignore"):
        out = {k: np.array([r[k] for r in runs], dtype=float) for k in ("init_loss", "train_loss", "test_acc")}
        out["epoch_loss"] = np.stack([r["epoch_loss"] for r in runs])
    return out


def test_C3_verdict_from_nn_init(tmp_path):
    x, y, _ = inputs.probe_batch("upsampled_digits", None, 128)

    def statistics(init):
        spec = scheme("relu", init)
        runs = []
        for seed in range(12):
            torch.manual_seed(seed)
            runs.append(reference_statistics(nn_init(plain_net(spec), spec), "relu", x, y))
        return stacked(runs)

    config = replace(LAB_002_TRAIN, epochs=2)
    train = {init: nn_init_training(StackSpec(in_features=64, activation="relu", init=init), config, range(10))
             for init in ("he_normal", "glorot_normal")}
    rec = recorder("C3", tmp_path)
    he_holds_relu(rec, statistics("he_normal"), statistics("glorot_normal"), train["he_normal"], train["glorot_normal"])
    assert verdict(rec) == expected("C3"), "\n".join(p.message() for p in rec.parts)


def test_C6_verdict_from_nn_init(tmp_path):
    config = replace(C6_TRAIN, epochs=3)
    unclipped = nn_init_training(EXPLODING, config, range(10))
    clipped = nn_init_training(EXPLODING, replace(config, clip_norm=CLIP_NORM), range(10))
    rec = recorder("C6", tmp_path)
    clipping_tames(rec, unclipped, clipped)
    assert verdict(rec) == expected("C6"), "\n".join(p.message() for p in rec.parts)
