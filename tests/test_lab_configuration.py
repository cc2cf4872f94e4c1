"""The lab tier's configurations, as the plans build them, pinned to what the sources state.

Issue 19: "A configuration that drifts from its source cannot pass silently". Each test
builds a topic's lab plan (its ``experiments.PLANS`` entry with a ``RunEnvironment``), looks
the judged arms up by name, and checks what the planned configuration builds: the schedule
the runs module computes from it, the net the experiment constructs (captured where the
experiment constructs it), the optimiser ``make_optimizer`` makes from its training
configuration. Each docstring quotes the source; values a source leaves open and the suite
states (its docstrings) are pinned too and marked "the suite's".

Covered: F (lab 004 Problem 3, Smith 2017), G (lab 004 Problem 4, Kingma and Ba 2015), E
(lab 004 Problem 2, LeNet-5), C7/C8 (lab 002's MLP). Sensitivity arms other engineers add
are not pinned; only the arms the claims judge, by name.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deepclaims.experiment import RunEnvironment

ENV = RunEnvironment()


def _lab(experiments_module, plan_name: str) -> dict:
    return experiments_module.PLANS[plan_name](experiments_module.TIERS["lab"], ENV)


# ---------------------------------------------------------------------------------------- F

@pytest.fixture(scope="module")
def f_lab():
    from claims.f_learning_rates import experiments

    planned = _lab(experiments, "f_runs")["main"]
    return planned.config


FASHION_TRAIN = 55000        # Fashion-MNIST's 60000 training images less 5000 for validation
F_LAB_EPOCHS, F_LAB_STEP_EPOCHS = 30, 5   # the suite's (experiments.py): "30 epochs (step size 5 epochs, three cycles)"
F_FINAL_AMPLITUDE = 0.015    # the suite's (runs.py): "exp_range's gamma: the amplitude left at the last iteration"


def test_F_lab_range_test_is_the_labs():
    """Lab 004 Problem 3.1: "Fix batch size to 64 and start with 10 candidate learning rates
    between 10^-9 and 10^1 and train your model for 5 epochs." Catalogue F1: "LR range test
    (10 candidate LRs from 1e-9 to 1e1, a few epochs each, batch 64)". "You will work with the
    FashionMNIST dataset and MiniGoogLeNet"; catalogue F: "a public Keras LR-finder article
    trains MiniGoogLeNet on Fashion-MNIST (batch 64)" (32x32 inputs, SGD momentum 0.9: the
    article's, as runs.py states)."""
    from claims.f_learning_rates import experiments
    from claims.f_learning_rates.runs import lr_schedules
    from models.minigooglenet import MiniGoogLeNetSpec

    planned = _lab(experiments, "f_runs")["main"]
    run = planned.config
    assert planned.experiment is lr_schedules
    lrs = np.asarray(run.candidate_lrs)
    assert len(lrs) == 10 and np.isclose(lrs[0], 1e-9) and np.isclose(lrs[-1], 1e1)
    assert np.allclose(np.diff(np.log10(lrs)), 10 / 9)          # evenly spaced on a log scale
    assert run.batch_size == 64 and run.range_epochs == 5
    assert run.dataset == "fashion_mnist" and run.subset is None
    assert run.spec == MiniGoogLeNetSpec() and run.spec.image_size == 32 and run.spec.in_channels == 1
    assert run.momentum == 0.9


def _torch_clr(base_lr: float, max_lr: float, step_size_up: int, steps: int, mode: str, gamma: float) -> np.ndarray:
    """The lab's PyTorch "open source implementation" of the policy, stepped as a user would."""
    param = torch.zeros(1, requires_grad=True)
    sgd = torch.optim.SGD([param], lr=base_lr)
    clr = torch.optim.lr_scheduler.CyclicLR(sgd, base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                                            mode=mode, gamma=gamma, cycle_momentum=False)
    out = []
    for _ in range(steps):
        out.append(sgd.param_groups[0]["lr"])
        sgd.step()
        clr.step()
    return np.asarray(out)


def test_F_lab_cyclic_arm_is_exp_range_between_the_read_bounds(f_lab):
    """Lab 004 Problem 3.2: "Use the cyclical learning rate policy (with exponential decay)
    and train your network using batch size 64 and lr_min and lr_max values obtained in part
    1." Catalogue F: Smith 2017's "triangular / triangular2 / exp_range policies, step size
    2-10 epochs' iterations"; the article "reads lr_min 1e-5, lr_max 1e-2 off the curve"
    (fed here as the bounds). Gamma and the step size are the suite's: "30 epochs (step size
    5 epochs, three cycles)", gamma leaving 1.5% of the amplitude at the last iteration.

    The whole table the runs module builds from the planned configuration must equal
    torch's CyclicLR in mode exp_range stepped here."""
    from claims.f_learning_rates.runs import cyclic_table

    run = f_lab
    assert run.clr_mode == "exp_range"
    per_epoch = math.ceil(FASHION_TRAIN / 64)
    steps = F_LAB_EPOCHS * per_epoch
    assert run.schedule_epochs == F_LAB_EPOCHS and run.cycle_epochs == F_LAB_STEP_EPOCHS
    assert 2 <= run.cycle_epochs <= 10                                   # Smith: 2-10 epochs' iterations
    assert run.schedule_epochs == 3 * 2 * run.cycle_epochs               # three whole cycles
    assert run.final_amplitude == F_FINAL_AMPLITUDE
    table = cyclic_table(run, np.array([1e-5]), np.array([1e-2]), FASHION_TRAIN)
    assert table.shape == (steps, 1)
    expected = _torch_clr(1e-5, 1e-2, F_LAB_STEP_EPOCHS * per_epoch, steps, "exp_range",
                          F_FINAL_AMPLITUDE ** (1 / steps))
    assert np.allclose(table[:, 0], expected, rtol=1e-9, atol=0)
    assert np.isclose(table[0, 0], 1e-5)                                 # starts at lr_min
    amplitude = (table[-per_epoch:, 0].max() - 1e-5) / (1e-2 - 1e-5)     # exponential decay of the amplitude
    assert amplitude < 2 * F_FINAL_AMPLITUDE


def test_F_lab_growing_arm_is_the_labs(f_lab):
    """Lab 004 Problem 3.3: "Fix learning rate to lr_max and train your network starting with
    batch size 32 and incrementally going up to 16384 (in increments of a factor of 2; like
    32, 64...)." Catalogue F3: "growing the batch size (32, 64, ... up to 16384, simulated by
    gradient accumulation where memory runs out)"."""
    from claims.f_learning_rates.runs import growing_table

    run = f_lab
    assert "growing" in run.arms
    batches, table = growing_table(run, np.array([1e-2]), FASHION_TRAIN)
    assert batches == run.growing_batches() and len(batches) == run.schedule_epochs
    assert sorted(set(batches)) == [32 * 2 ** k for k in range(10)]      # 32, 64, ..., 16384, each reached
    assert batches[0] == 32 and batches[-1] == 16384
    assert all(b in (a, 2 * a) for a, b in zip(batches, batches[1:]))   # a factor of 2 at a time
    assert np.all(table == 1e-2)                                         # lr_max throughout
    assert run.micro_batch < max(batches)                                # the largest batches are accumulated


def test_F_lab_fixed_arm_searches_up_to_lr_max(f_lab):
    """F2's comparator (issue 19; the lab states no fixed rate for part 2): the best constant
    rate among the range-test candidates from lr_min to lr_max, at batch 64 for the cyclic
    arm's epochs; lr_max itself is one of them (the sensitivity row)."""
    from claims.f_learning_rates.runs import fixed_search_rates

    run = f_lab
    assert "cyclic" in run.arms and "fixed" in run.arms
    assert run.fixed_schedule == "constant" and run.fixed_rate == "best" and run.fixed_candidates == 4
    lrs = np.asarray(run.candidate_lrs)
    (rates,) = fixed_search_rates(run, lrs, np.array([lrs[4]]), np.array([lrs[7]]))
    assert np.allclose(rates, lrs[4:8])


# ---------------------------------------------------------------------------------------- G

G_METHODS = ("adagrad", "rmsprop", "rmsprop_nesterov", "adadelta", "adam")
G_ARMS = {"no_dropout": (0.0, 0.0), "dropout": (0.2, 0.5)}


@pytest.fixture(scope="module")
def g_lab():
    from claims.g_optimisers import experiments

    return _lab(experiments, "g_runs")


class _Captured(Exception):
    pass


def _g_built(run, monkeypatch):
    """(model, TrainConfig) that topic G's experiment builds for ``run``, on data shaped as
    CIFAR-10's (3072 features): ``_fit`` is called as the experiment calls it and stopped
    where training would start."""
    from claims.g_optimisers import runs as g_runs
    from deepclaims.training import Split

    seen = {}

    def capture(model, data, config, seeds, *args, **kwargs):
        seen.update(model=model, config=config)
        raise _Captured

    monkeypatch.setattr(g_runs, "train", capture)
    x = torch.zeros(8, 3072)
    y = torch.arange(8) % 10
    with pytest.raises(_Captured):
        g_runs._fit(run, run.lr, [0], Split(x, y, x + 1, y))
    return seen["model"], seen["config"]


@pytest.mark.parametrize("arm", list(G_ARMS))
@pytest.mark.parametrize("method", G_METHODS)
def test_G_lab_net_data_budget_and_dropout(g_lab, method, arm, monkeypatch):
    """Lab 004 Problem 4: "five methods, AdaGrad, RMSProp, RMSProp+Nesterov, AdaDelta, Adam
    ... using the CIFAR-10 dataset ... a multi-layer neural network model with two fully
    connected hidden layers with 1000 hidden units each and ReLU activation with a minibatch
    size of 128"; "Train the neural network using all the five methods with L2-regularization
    for 200 epochs"; "Add dropout (probability 0.2 for input layer and 0.5 for hidden
    layers)". Catalogue G: "an MLP with two hidden layers of 1000 ReLU units, minibatch 128
    ... The lab uses CIFAR-10, L2 regularisation, 200 epochs". So 3072-1000-1000-10."""
    from deepclaims.dropout import dropout_layers

    run = g_lab[f"{method}_{arm}"].config
    assert run.method == method and run.dataset == "cifar10" and run.subset is None
    assert (run.width, run.batch_size, run.epochs) == (1000, 128, 200)
    assert (run.input_rate, run.hidden_rate) == G_ARMS[arm]
    assert run.weight_decay > 0
    model, config = _g_built(run, monkeypatch)
    linears = [(layer.in_features, layer.out_features) for _, layer in model.dense_layers()]
    assert linears == [(3072, 1000), (1000, 1000), (1000, 10)]
    drops = [layer.rate for layer in dropout_layers(model)]
    assert drops == ([] if arm == "no_dropout" else [0.2, 0.5, 0.5])    # input, then each hidden layer
    assert (config.epochs, config.batch_size, config.optimizer, config.loss) == (200, 128, method, "ce")
    assert config.weight_decay == run.weight_decay


# Each method's hyper-parameters other than the learning rate (searched, as Kingma and Ba did).
G_HYPER = {
    # Kingma and Ba 2015, Algorithm 1: "Good default settings ... beta1 = 0.9, beta2 = 0.999 and epsilon = 1e-8"
    "adam": ("Adam", {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False}),
    # Hinton, lecture 6e: "MeanSquare(w, t) = 0.9 MeanSquare(w, t-1) + 0.1 (dE/dw)^2"
    "rmsprop": ("RMSprop", {"alpha": 0.9, "eps": 1e-8, "momentum": 0, "centered": False}),
    # RMSProp's decay with Nesterov momentum (Goodfellow et al. 2016, Algorithm 8.6); the suite's momentum 0.9
    "rmsprop_nesterov": ("RMSPropNesterov", {"rho": 0.9, "eps": 1e-8, "momentum": 0.9}),
    # Zeiler 2012, section 4: "rho = 0.95 and epsilon = 1e-6"
    "adadelta": ("Adadelta", {"rho": 0.95, "eps": 1e-6}),
    # Duchi et al. 2011: the accumulator starts at 0, no learning-rate decay; the suite's eps 1e-10
    "adagrad": ("Adagrad", {"eps": 1e-10, "initial_accumulator_value": 0, "lr_decay": 0}),
}


@pytest.mark.parametrize("method", G_METHODS)
def test_G_lab_optimiser_hyper_parameters(g_lab, method, monkeypatch):
    """Lab 004 Problem 4.1: "What are the hyperparameters in each policy?" Each method's
    optimiser, as ``make_optimizer`` builds it from the training configuration the experiment
    makes, carries its paper's values (see G_HYPER's comments) and L2 added to the gradient
    ("with L2-regularization": not decoupled weight decay)."""
    from deepclaims.training import make_optimizer

    for arm in G_ARMS:
        run = g_lab[f"{method}_{arm}"].config
        model, config = _g_built(run, monkeypatch)
        optimiser = make_optimizer(model.parameters(), config)
        name, values = G_HYPER[method]
        assert type(optimiser).__name__ == name
        group = optimiser.param_groups[0]
        for key, value in values.items():
            assert group[key] == value, (method, key, group[key])
        assert group["weight_decay"] == run.weight_decay > 0
        assert not group.get("decoupled_weight_decay", False)


# ---------------------------------------------------------------------------------------- E

E_JUDGED = ("bn", "input_bn", "dropout", "bn_dropout")     # E1, E2, E3 (and E5), E4


@pytest.fixture(scope="module")
def e_lab():
    from claims.e_batchnorm_dropout import experiments

    return _lab(experiments, "e_arms")


@pytest.mark.parametrize("arm", E_JUDGED)
def test_E_lab_lenet5_shape(e_lab, arm):
    """Lab 004 Problem 2: "compare batch normalization, dropout, and their conjunction using
    MNIST and LeNet-5". LeNet-5 (LeCun et al. 1998, as models/lenet.py cites it): "C1 conv
    6@5x5, S2 subsampling 2x2, C3 conv 16@5x5, S4 subsampling 2x2, C5/F5 120 units, F6 84
    units, output 10" on 28x28 MNIST images (C1 padded by 2, so 400 features reach F5)."""
    from models.lenet import build_lenet

    run = e_lab[arm].config
    assert run.dataset == "mnist" and run.spec.image_size == 28 and run.spec.in_channels == 1
    model = build_lenet(run.spec, [0])
    convs = [tuple(layer.weight.shape[1:]) for _, layer in model.conv_layers()]
    assert convs == [(6, 1, 5, 5), (16, 6, 5, 5)]
    dense = [(layer.in_features, layer.out_features) for _, layer in model.dense_layers()]
    assert dense == [(400, 120), (120, 84), (84, 10)]
    out = model.eval()(torch.zeros(1, 2, 784))
    assert out.shape == (1, 2, 10)


@pytest.mark.parametrize("arm", ("dropout", "bn_dropout"))
def test_E_lab_dropout_rates(e_lab, arm):
    """Lab 004 Problem 2.4: "For hidden layers use a dropout probability of 0.5 and for
    input, layer take it to be 0.2". Catalogue E3: "Dropout (0.2 on the input, 0.5 on hidden
    layers)"; E4 "BN and dropout together". Where the hidden layers' dropout sits (all four,
    or the dense ones only) is a set-up choice the lab leaves open; the rates are not: the
    input's is 0.2, every hidden dropout layer's 0.5, and the dense hidden layers have one."""
    from models.lenet import build_lenet

    run = e_lab[arm].config
    model = build_lenet(run.spec, [0])
    rates = {name: layer.rate for name, layer in model.drops.items()}
    assert rates.pop("input") == 0.2
    assert {"fc1", "fc2"} <= set(rates) and set(rates.values()) == {0.5}
    assert run.spec.batch_norm == (arm == "bn_dropout")


# ------------------------------------------------------------------------------------- C7/C8

@pytest.fixture(scope="module")
def c_lab():
    from claims.c_init import experiments

    return _lab(experiments, "c_mlp002")


def _c_built(run, monkeypatch):
    """(model, TrainConfig) that C7's experiment builds for ``run`` on data shaped as
    Fashion-MNIST's (28x28 flattened to 784), stopped where training would start."""
    from claims.c_init import runs as c_runs
    from deepclaims.training import Split

    seen = {}

    def capture(model, data, config, seeds, *args, **kwargs):
        seen.update(model=model, config=config)
        raise _Captured

    x = torch.rand(8, 784)
    y = torch.arange(8) % 10
    monkeypatch.setattr(c_runs.inputs, "mlp002_data", lambda dataset, data_dir: (Split(x, y, x, y), "784 features"))
    monkeypatch.setattr(c_runs, "train", capture)
    with pytest.raises(_Captured):
        c_runs.train_mlp002.compute(run, [0])
    return seen["model"], seen["config"]


@pytest.mark.parametrize("arm, batch_norm", [("bn", True), ("plain", False)])
def test_C7_lab_mlp002_and_its_optimiser(c_lab, arm, batch_norm, monkeypatch):
    """Catalogue C7: "the 002 MLP (Flatten, Dense 600 relu He-normal, BN, Dense 200 relu
    He-normal, BN, Dense 10 softmax; SGD; 15 epochs) trains faster and better than the same
    net without BN". Lab 002: ``Flatten(input_shape = (28,28))``, ``Dense(600, activation =
    "relu", kernel_initializer="he_normal")``, ``BatchNormalization()``, ``Dense(200, ...)``,
    ``BatchNormalization()``, ``Dense(10, activation="softmax")``; ``model.compile(loss=
    'sparse_categorical_crossentropy', optimizer="sgd")`` (Keras' SGD: learning rate 0.01,
    no momentum); ``model.fit(X_train, y_train, epochs=15, ...)`` (Keras' batch 32), on
    fashion_mnist. C8: "fed unscaled test images (0..255) to a net trained on 0..1 inputs"."""
    run = c_lab[arm].config
    assert run.batch_norm is batch_norm and run.dataset == "fashion_mnist" and run.mismatch_scale == 255
    model, config = _c_built(run, monkeypatch)
    dense = [(m.in_features, m.out_features) for _, m in model.dense_layers()]
    assert dense == [(784, 600), (600, 200), (200, 10)]
    norms = [type(m).__name__ for m in model.norms]
    assert norms == (["SeedBatchNorm", "SeedBatchNorm"] if batch_norm else ["Identity", "Identity"])
    if batch_norm:
        assert [m.weight.numel() for m in model.norms] == [600, 200]
    # He-normal hidden kernels: standard deviation sqrt(2 / fan_in); Keras' default Glorot-uniform output
    for layer, fan_in in zip(model.hidden, (784, 600)):
        std = layer.weight.std().item()
        assert abs(std / math.sqrt(2 / fan_in) - 1) < 0.03
        assert layer.weight.abs().max().item() > 2 * std      # a normal draw, not He-uniform (bounded at 1.73 std)
    bound = math.sqrt(6 / (200 + 10))
    assert model.output.weight.abs().max().item() <= bound
    assert abs(model.output.weight.std().item() / (bound / math.sqrt(3)) - 1) < 0.05
    assert (config.optimizer, config.lr, config.momentum) == ("sgd", 0.01, 0.0)
    assert (config.epochs, config.batch_size, config.loss, config.weight_decay) == (15, 32, "ce", 0.0)


def test_C7_lab_data_is_the_labs_split(tmp_path):
    """Lab 002: ``X_valid, X_train = X_train_full[:5000]/255.0, X_train_full[5000:]/255.0``
    (on synthetic Fashion-MNIST files written in the published format)."""
    from claims.c_init.inputs import mlp002_data
    from deepclaims.data.real import load_arrays
    from deepclaims.data.synthetic import write_synthetic

    folder = write_synthetic("fashion_mnist", tmp_path)
    raw = load_arrays("fashion_mnist", folder)
    split, _ = mlp002_data("fashion_mnist", folder)
    assert (len(split.y_train), len(split.y_test)) == (55000, 5000)
    full = torch.as_tensor(raw.x_train.reshape(60000, -1), dtype=torch.float32)
    assert torch.equal(split.x_test, full[:5000] / 255.0) and torch.equal(split.x_train, full[5000:] / 255.0)
