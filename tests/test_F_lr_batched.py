"""Learning rates batched like seeds (deepclaims.lr_batched) and MiniGoogLeNet (models.minigooglenet).

- a row of a (learning rate x seed) batched run equals that pair's solo run, written as a
  user would (``torch.optim.SGD`` with momentum on a one-row model, same minibatch order),
  with a constant rate and with ``torch.optim.lr_scheduler.CyclicLR`` (exp_range) driving
  the solo run; a solo run at another row's rate differs (the comparison can fail);
- gradient accumulation over k micro-batches equals one batch of k times the size (BN in
  eval mode, so samples do not interact), and adding the micro-batches' mean losses
  unweighted (``reduction="sum"``) does not;
- MiniGoogLeNet has the published shape (about 1.65M parameters at 32x32) and each row
  computes as a one-row net from the same seed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from claims.f_learning_rates.runs import LRScheduleRun, load_data
from deepclaims import seeding
from deepclaims.errors import ConfigError
from deepclaims.lr_batched import (RowSchedule, RowSGD, accumulate_gradients, cyclic_schedule, row_layout,
                                   total_steps, train_rows)
from deepclaims.training import per_seed_loss
from models.minigooglenet import CI_SPEC, MiniGoogLeNetSpec, build_minigooglenet, parameter_count

LRS = (1e-3, 0.05, 0.3)
SEEDS = (3, 11)
EPOCHS, BATCH, MOMENTUM = 2, 32, 0.9

# Rows against solo runs with per-seed convolutions: a row's arithmetic is then the solo
# run's exactly, so what is checked is the per-row learning rates. The default grouped
# convolution rounds differently at different row counts (deepclaims.batched_conv), which
# training at the range test's largest rates amplifies past any fixed tolerance.
ROW_EXACT_SPEC = replace(CI_SPEC, conv_mode="per_seed")


@pytest.fixture(scope="module")
def data():
    return load_data(LRScheduleRun(spec=CI_SPEC, train_size=96))[1]


def solo_run(data, lr: float, seed: int, scheduler=None) -> torch.nn.Module:
    """One (learning rate, seed) pair trained as a user would: torch's SGD on a one-row net."""
    model = build_minigooglenet(ROW_EXACT_SPEC, [seed])
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    schedule = scheduler(optimiser) if scheduler else None
    order = seeding.generator(seed, "order")
    n = len(data.y_train)
    for _ in range(EPOCHS):
        perm = torch.randperm(n, generator=order)
        for start in range(0, n, BATCH):
            idx = perm[start:start + BATCH]
            optimiser.zero_grad()
            per_seed_loss(model(data.x_train[idx].unsqueeze(0)), data.y_train[idx].unsqueeze(0), "ce").sum().backward()
            optimiser.step()
            if schedule:
                schedule.step()
    return model


def batched_run(data, table_rows: np.ndarray, row_seeds) -> torch.nn.Module:
    model = build_minigooglenet(ROW_EXACT_SPEC, row_seeds)
    steps = total_steps(len(data.y_train), (BATCH,) * EPOCHS)
    table = np.broadcast_to(table_rows, (steps, len(row_seeds))) if table_rows.ndim == 1 else table_rows
    train_rows(model, data, row_seeds, RowSchedule((BATCH,) * EPOCHS, np.ascontiguousarray(table)), MOMENTUM)
    return model


def row_parameters(model, row: int) -> list[torch.Tensor]:
    return [p.detach()[row] for p in model.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.allclose(x, y, rtol=1e-4, atol=1e-5) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def constant_rows(data):
    row_lrs, row_seeds = row_layout(LRS, SEEDS)
    return row_lrs, row_seeds, batched_run(data, np.asarray(row_lrs), row_seeds)


@pytest.mark.parametrize("row", range(len(LRS) * len(SEEDS)))
def test_each_row_of_the_range_test_equals_its_solo_run(data, constant_rows, row):
    row_lrs, row_seeds, model = constant_rows
    solo = solo_run(data, row_lrs[row], row_seeds[row])
    assert same(row_parameters(model, row), row_parameters(solo, 0))


def test_control_a_solo_run_at_another_rows_rate_differs(data, constant_rows):
    row_lrs, row_seeds, model = constant_rows
    row = row_lrs.index(0.3)          # 0.3 with seed SEEDS[0]; the solo run takes 0.05
    assert not same(row_parameters(model, row), row_parameters(solo_run(data, 0.05, row_seeds[row]), 0))


def test_a_cyclic_row_equals_the_solo_run_driven_by_torchs_CyclicLR(data):
    steps = total_steps(len(data.y_train), (BATCH,) * EPOCHS)
    cycle = dict(base_lr=1e-3, max_lr=0.2, step_size_up=2, mode="exp_range", gamma=0.95)
    table = np.stack([cyclic_schedule(cycle["base_lr"], cycle["max_lr"], cycle["step_size_up"], steps,
                                      cycle["mode"], cycle["gamma"]),
                      np.full(steps, 0.05)], 1)
    model = batched_run(data, table, [SEEDS[0], SEEDS[0]])
    solo = solo_run(data, cycle["base_lr"], SEEDS[0], lambda opt: torch.optim.lr_scheduler.CyclicLR(
        opt, cycle_momentum=False, **cycle))
    assert same(row_parameters(model, 0), row_parameters(solo, 0))
    assert not same(row_parameters(model, 1), row_parameters(solo, 0))


def _gradients(model) -> list[torch.Tensor]:
    return [p.grad.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("reduction, equal", [("mean", True), ("sum", False)])
def test_accumulating_micro_batches_equals_one_big_batch_only_when_averaged(data, reduction, equal):
    model = build_minigooglenet(CI_SPEC, [0, 1]).eval()    # BN aside: running statistics, no batch coupling
    x = data.x_train[:64].unsqueeze(0).expand(2, -1, -1)
    y = data.y_train[:64].unsqueeze(0).expand(2, -1)
    whole_loss, _ = accumulate_gradients(model, x, y, "ce", micro_batch=64)
    whole = _gradients(model)
    model.zero_grad(set_to_none=True)
    parts_loss, _ = accumulate_gradients(model, x, y, "ce", micro_batch=16, reduction=reduction)
    parts = _gradients(model)
    assert torch.allclose(whole_loss, parts_loss, atol=1e-6)
    matches = all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(whole, parts))
    assert matches == equal


def test_minigooglenet_has_the_published_size_and_rows_compute_alone():
    # Zhang et al.'s small Inception: about 1.65M parameters (ours: convolutions, BN, dense).
    assert 1.6e6 < parameter_count(MiniGoogLeNetSpec()) < 1.7e6
    spec = replace(CI_SPEC, dropout=0.5)
    x = torch.rand(3, 5, 100)
    batched = build_minigooglenet(spec, [7, 8, 9]).eval()
    for row, seed in enumerate((7, 8, 9)):
        alone = build_minigooglenet(spec, [seed]).eval()
        assert torch.allclose(batched(x)[row], alone(x[row:row + 1])[0], atol=1e-5)


def test_lab_shape_runs_forward_on_fashion_mnist_sized_input():
    model = build_minigooglenet(MiniGoogLeNetSpec(), [0])
    assert model(torch.rand(1, 2, 1024)).shape == (1, 2, 10)
    with pytest.raises(ConfigError, match="expects input"):
        model(torch.rand(1, 2, 784))


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="block"):
        MiniGoogLeNetSpec(blocks=(("inception", 4),))
    with pytest.raises(ConfigError, match="too small"):
        MiniGoogLeNetSpec(image_size=4)
    model = build_minigooglenet(CI_SPEC, [0, 1])
    with pytest.raises(ConfigError, match="row learning rates"):
        RowSGD(model.parameters(), torch.tensor([0.1, 0.2, 0.3]))
    with pytest.raises(ConfigError, match="reduction"):
        accumulate_gradients(model, torch.rand(2, 4, 100), torch.zeros(2, 4, dtype=torch.long), "ce", 2, "median")
    with pytest.raises(ConfigError, match="increasing"):
        LRScheduleRun(spec=CI_SPEC, candidate_lrs=(1.0, 0.1, 0.01))
