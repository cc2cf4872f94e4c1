"""The lab time estimate: one shrunk step of each planned experiment, scaled up."""
from dataclasses import dataclass, replace

import numpy as np
import pytest

from deepclaims.estimate import Estimate, duration, estimate_run, total_wall_seconds
from deepclaims.experiment import Experiment, Planned, RunEnvironment


@dataclass(frozen=True)
class Toy:
    epochs: int
    device: str = "cpu"


CALLS = []


def _compute(config: Toy, seeds):
    CALLS.append((config, tuple(seeds)))
    return {"x": np.zeros(len(seeds))}


def toy_experiment(**options) -> Experiment:
    return Experiment("toy", _compute, one_step=lambda c: replace(c, epochs=1), size=lambda c: (2, c.epochs),
                      shard_size=8, **options)


def test_the_default_ratio_is_trainings_times_epochs_over_the_one_step_run():
    exp = toy_experiment()
    assert exp.work_ratio(Toy(epochs=50)) == 50
    assert Experiment("none", _compute, one_step=lambda c: c, size=lambda c: (0, 0)).work_ratio(Toy(3)) == 1.0
    assert toy_experiment(scale=lambda c: 7.5 * c.epochs).work_ratio(Toy(epochs=2)) == 15.0


def test_the_estimate_times_the_shrunk_run_on_one_shard_on_the_chosen_device(monkeypatch):
    import torch

    synchronised = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: synchronised.append(True))
    CALLS.clear()
    estimate = estimate_run(Planned(toy_experiment(), Toy(epochs=50), seeds=20), "cuda:1")
    # a warm-up call on one seed, then the timed call on one shard (8 of the 20 seeds)
    assert CALLS == [(Toy(1, "cuda:1"), (0,)), (Toy(1, "cuda:1"), tuple(range(8)))]
    assert synchronised, "a GPU step must be waited for before the clock stops"
    assert (estimate.shards, estimate.ratio) == (3, 50)
    assert estimate.serial_seconds == pytest.approx(estimate.shard_seconds * 50 * 3)


def test_workers_share_the_shards_but_never_beat_the_longest_experiment():
    long, short = Estimate("long", 10.0, 1, 6.0), Estimate("short", 1.0, 4, 5.0)   # 60 s, 4 x 5 s
    assert total_wall_seconds([long, short], 1) == 80
    assert total_wall_seconds([long, short], 2) == 60     # the single-shard 60 s run sets the floor
    assert total_wall_seconds([short], 2) == 10
    assert total_wall_seconds([], 4) == 0


@pytest.mark.parametrize("seconds, text", [(45, "45 s"), (720, "12 min"), (3 * 3600, "3.0 h"),
                                           (3 * 86400, "3.0 days")])
def test_durations_read_in_the_unit_that_fits(seconds, text):
    assert duration(seconds) == text


def test_expectations_differ_by_fidelity_only_where_an_entry_says_so():
    from claims.expected import AT_FIDELITY, EXPECTED, expectations

    assert expectations("ci") == EXPECTED
    lab = expectations("lab")
    assert set(lab) == set(EXPECTED) | set(AT_FIDELITY["lab"])
    for claim_id, expectation in AT_FIDELITY["lab"].items():
        assert lab[claim_id] is expectation and "lab" in expectation.evidence


def test_runs_whose_one_step_is_one_batch_scale_by_images_processed():
    """E's and F's one step trains one minibatch: their ratios count training images."""
    from claims.e_batchnorm_dropout.experiments import ARMS, TIERS as E_TIERS, arm_run
    from claims.e_batchnorm_dropout.runs import train_lenet
    from claims.f_learning_rates.experiments import TIERS as F_TIERS
    from claims.f_learning_rates.runs import lr_schedules

    # F at lab: 10 candidates x 5 epochs x 55000 images, a 100-step sweep of 64, and 30 epochs of the cyclic
    # and growing arms and of the fixed arm's search (up to 4 constant rates); its one step: 3 candidates,
    # 2 sweep steps, the two arms and 3 search rows, one batch of 64 each
    full = 10 * 5 * 55000 + 100 * 64 + (2 + 4) * 30 * 55000
    assert lr_schedules.work_ratio(F_TIERS["lab"].run) == full / (3 * 64 + 2 * 64 + 5 * 64)
    # E at lab: 10 epochs of all 60000 MNIST images, one step = one batch of 32
    spec, how = ARMS["bn"]
    lenet = arm_run(E_TIERS["lab"], RunEnvironment(), spec, how)
    assert train_lenet.work_ratio(lenet) == 10 * 60000 / 32


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_synthetic_stand_ins_load_at_the_published_shapes_and_counts(tmp_path, name):
    """An absent data set is timed on synthetic files: they must load as the real set would."""
    from deepclaims.data.real import COUNTS, load_arrays
    from deepclaims.data.synthetic import write_synthetic

    data = load_arrays(name, write_synthetic(name, tmp_path))     # published counts checked
    assert (len(data.y_train), len(data.y_test)) == COUNTS[name]
    assert data.x_train.shape[1:] == ((32, 32, 3) if name == "cifar10" else (28, 28))


def test_g_one_step_is_four_batches_and_scales_by_images():
    from claims.g_optimisers.experiments import TIERS as G_TIERS, g_run
    from claims.g_optimisers.runs import one_step, train_adaptive

    run = g_run("adam", "no_dropout", G_TIERS["lab"], RunEnvironment(), search=True)
    small = one_step(run)
    assert (small.epochs, small.subset, len(small.lr_grid)) == (1, 4 * run.batch_size, 1)
    search_epochs = len(run.lr_grid) * run.tuning_epochs
    assert train_adaptive.work_ratio(run) == 50000 * (run.epochs + search_epochs) / (4 * run.batch_size)


def test_a_two_step_calibration_scales_only_the_work_not_the_fixed_cost(monkeypatch):
    """Timed at one step (3 s) and at two (5 s): 2 s of work per step, 1 s fixed (data,
    nets, evaluation), so 50 steps' worth take 1 + 2 x 50 s per shard, not 3 x 50."""
    from deepclaims import estimate

    times = {1: 3.0, 2: 5.0}
    monkeypatch.setattr(estimate, "_timed", lambda exp, config, seeds, device: times[config.epochs])
    exp = toy_experiment(two_step=lambda c: replace(c, epochs=2))
    result = estimate.estimate_run(Planned(exp, Toy(epochs=50), seeds=16), "cpu")
    assert (result.fixed_seconds, result.full_shard_seconds, result.serial_seconds) == (1.0, 101.0, 202.0)


def test_a_one_epoch_training_is_timed_again_at_two_epochs():
    from deepclaims.estimate import _two_epochs
    from deepclaims.training import TrainConfig

    @dataclass(frozen=True)
    class Run:
        train: TrainConfig

    one = Run(TrainConfig(epochs=1, batch_size=32, lr=0.01))
    assert _two_epochs(one).train.epochs == 2
    assert _two_epochs(Run(replace(one.train, epochs=3))) is None and _two_epochs(Toy(1)) is None
