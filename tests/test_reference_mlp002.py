"""Cross-check of the lab 002 MLP trainings (C7, C8) against plain PyTorch: one
``nn.Sequential`` with ``nn.BatchNorm1d`` per seed, ``torch.optim.SGD``, a loop over
minibatches, ``model.eval()`` for every evaluation.

1. Given the same initial weights and minibatch order, the reference reaches the same
   per-seed loss history, validation accuracy per epoch, and scaled / unscaled (x255)
   validation scores as the seed-batched engine (``claims.c_init.runs.train_mlp002``), with
   and without BN. Both in float64, for the reason given in test_reference_digits_training.
   Since the reference evaluates with ``nn.BatchNorm1d`` in eval mode, this pins the
   engine's evaluation to running statistics.
2. From ``nn.init``'s own draws, one seed at a time, the C7 and C8 judges reach the
   verdicts the claim tests expect.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from claims.c_init import inputs
from claims.c_init.experiments import LAB_002_TRAIN, UNSCALED_FACTOR
from claims.c_init.judges import bn_faster_and_better, unscaled_inputs_degrade
from claims.c_init.runs import MLP002Run, train_mlp002
from deepclaims import seeding
from deepclaims.training import Split, TrainConfig
from models.mlp002 import MLP002Spec, build_mlp002
from models.plain_reference import copy_seed_weights, sgd_epochs
from tests.controls import recorder, verdict
from tests.test_reference_init_stacks import expected
from tests.init_stack_fixtures import one_thread  # noqa: F401 (fixtures)


def plain_mlp002(in_features: int, batch_norm: bool) -> nn.Sequential:
    """The lab's Keras model as a PyTorch user writes it (BN after each ReLU, Keras' BN
    epsilon 1e-3 and decay 0.99, i.e. PyTorch momentum 0.01)."""
    bn = (lambda n: nn.BatchNorm1d(n, eps=1e-3, momentum=0.01)) if batch_norm else (lambda n: nn.Identity())
    return nn.Sequential(nn.Linear(in_features, 600), nn.ReLU(), bn(600),
                         nn.Linear(600, 200), nn.ReLU(), bn(200),
                         nn.Linear(200, 10))


def dense(net: nn.Sequential) -> list[nn.Linear]:
    return [m for m in net if isinstance(m, nn.Linear)]


def scores(net, x, y) -> tuple[float, float]:
    net.eval()
    with torch.no_grad():
        logits = net(x)
        out = float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())
    net.train()
    return out


def train_plain(net, seed: int, data: Split, config: TrainConfig) -> dict:
    val_curve = []
    history = sgd_epochs(net, data.x_train, data.y_train, lambda m, xb, yb: F.cross_entropy(m(xb), yb),
                         epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, momentum=config.momentum,
                         shuffle=seeding.generator(seed, "order"),
                         on_epoch_end=lambda m: val_curve.append(scores(m, data.x_test, data.y_test)[1]))
    val_loss, val_acc = scores(net, data.x_test, data.y_test)
    raw_loss, raw_acc = scores(net, data.x_test * UNSCALED_FACTOR, data.y_test)
    return {"epoch_loss": history, "val_acc_curve": np.array(val_curve), "val_loss": val_loss,
            "val_acc": val_acc, "unscaled_loss": raw_loss, "unscaled_acc": raw_acc}


@pytest.fixture
def float64_digits(monkeypatch):
    """The digits split in float64, served to the engine's training too, and float64 weights."""
    data, desc = inputs.mlp002_data("digits", None)
    wide = Split(data.x_train.double(), data.y_train, data.x_test.double(), data.y_test)
    monkeypatch.setattr(inputs, "mlp002_data", lambda dataset, data_dir: (wide, desc))
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield wide
    torch.set_default_dtype(before)


@pytest.mark.parametrize("batch_norm", [True, False], ids=["with BN", "without BN"])
def test_engine_matches_plain_pytorch_given_the_same_weights_and_batches(batch_norm, float64_digits):
    data = float64_digits
    seeds = [0, 3]
    config = replace(LAB_002_TRAIN, epochs=2)
    engine = train_mlp002(MLP002Run(dataset="digits", batch_norm=batch_norm, train=config,
                                    mismatch_scale=UNSCALED_FACTOR), seeds)
    batched = build_mlp002(MLP002Spec(in_features=64, batch_norm=batch_norm), seeding.generators(seeds, "init"))
    for i, seed in enumerate(seeds):
        ref = train_plain(copy_seed_weights(plain_mlp002(64, batch_norm), batched, i), seed, data, config)
        for key, value in ref.items():
            np.testing.assert_allclose(engine[key][i], value, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{'with' if batch_norm else 'without'} BN, seed {seed}: {key}")


# ------------------------------------------------ nn.init's own draws, same verdicts

def nn_init_mlp002(batch_norm: bool) -> nn.Sequential:
    net = plain_mlp002(64, batch_norm)
    linears = dense(net)
    for layer in linears[:-1]:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")   # Keras he_normal: std sqrt(2 / fan_in)
    nn.init.xavier_uniform_(linears[-1].weight)                      # Keras' default kernel initialiser
    for layer in linears:
        nn.init.zeros_(layer.bias)
    return net


def test_C7_C8_verdicts_from_nn_init(tmp_path):
    data, _ = inputs.mlp002_data("digits", None)
    runs = {True: [], False: []}
    for batch_norm in runs:
        for seed in range(6):
            torch.manual_seed(seed)
            runs[batch_norm].append(train_plain(nn_init_mlp002(batch_norm), seed, data, LAB_002_TRAIN))
    bn, plain = ({k: np.array([r[k] for r in runs[arm]]) for k in runs[arm][0]} for arm in (True, False))
    rec = recorder("C7", tmp_path)
    bn_faster_and_better(rec, bn, plain)
    assert verdict(rec) == expected("C7"), "\n".join(p.message() for p in rec.parts)
    rec = recorder("C8", tmp_path)
    unscaled_inputs_degrade(rec, bn)
    assert verdict(rec) == expected("C8"), "\n".join(p.message() for p in rec.parts)
