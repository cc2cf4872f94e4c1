"""Cross-check of the vectorised spirals FFNet and ResNet against plain PyTorch.

``models.plain_reference`` writes the notebook's nets the way a user would (nn.Linear,
nn.Tanh, nn.init.xavier_uniform_, zero biases, torch.optim.SGD(momentum=0.9),
BCEWithLogitsLoss, one seed at a time).

1. Given the engine's initial weights and minibatch order, the reference reaches the same
   training loss and the same weights after the first epoch (16 SGD steps), in float64.
   Longer agreement cannot be asked of any two implementations: they compute the same
   sums in different orders (batched column matmuls against nn.Linear's row matmuls), and
   these deep tanh nets trained with momentum amplify a rounding difference by about two
   per step in their early phase (measured in float64: seeds 0-3 agree to 1e-7 for 2 to 9
   epochs, then drift apart to 1e-2; in float32 one ResNet seed drifts within the first
   epoch). A companion test shows the tolerance catches a real difference.
2. From its own initialisation (torch.manual_seed, nn.init) the reference reaches the same
   verdict direction as A1/A2: most FFNet-32 runs stay near chance, most ResNet runs learn.
"""
from dataclasses import replace

import numpy as np
import pytest

from claims.a_depth.experiments import LAB_FFNET, LAB_RESNET, LAB_TRAIN, TIERS
from claims.a_depth.judges import LEARNED_ACCURACY
from claims.runs import PlainRun, train_plain_reference
from deepclaims import seeding
from deepclaims.experiment import Planned
from deepclaims.data.embedded import embedded
from deepclaims.training import Split, one_cpu_thread, train
from models.mlp import build
from models.plain_reference import PlainResNet, copy_seed_weights, fit, linears, plain_ffnet
from tests.plan_runs import run_plan

SEEDS = [0, 1, 2, 3]
FAMILIES = {  # model: (engine spec, reference constructor)
    "ffnet": (LAB_FFNET, lambda: plain_ffnet(2, 5, 31, 1)),
    "resnet": (LAB_RESNET, lambda: PlainResNet(2, 5, 20, 1)),
}
EPOCHS = 1
LOSS_TOLERANCE = 1e-6      # the engine sums an epoch's losses in float32 (about 1e-7 of rounding)
WEIGHT_TOLERANCE = 1e-6    # float64 weights after 16 steps (measured differences: up to 9e-8)


def engine_and_reference(model: str, epochs: int = EPOCHS, reference=None, **fit_options):
    """Per-seed epoch losses and final weights of the engine and of the reference started
    from the engine's initial weights and shuffled by the engine's per-seed order generators
    (both in float64)."""
    spec, make_reference = FAMILIES[model]
    d = embedded("spirals")
    data = Split(d.x_train.double(), d.y_train.double(), d.x_test.double(), d.y_test.double())
    with one_cpu_thread():
        engine = build(model, len(SEEDS), spec, seeding.generators(SEEDS, "init")).double()
        nets = []
        for i in range(len(SEEDS)):
            net = (reference or make_reference)().double()
            copy_seed_weights(net, engine, i)
            nets.append(net)
        engine_loss = train(engine, data, replace(LAB_TRAIN, epochs=epochs), SEEDS)["epoch_loss"]
        options = dict(epochs=epochs, batch_size=LAB_TRAIN.batch_size, lr=LAB_TRAIN.lr,
                       momentum=LAB_TRAIN.momentum, loss="bce") | fit_options
        reference_loss = np.stack([
            fit(net, data.x_train, data.y_train, data.x_test, data.y_test,
                shuffle=seeding.generator(seed, "order"), **options).epoch_loss
            for net, seed in zip(nets, SEEDS)])
    weight_gap = max(float((seeded.weight[i] - layer.weight).detach().abs().max())
                     for i, net in enumerate(nets)
                     for (_, seeded), layer in zip(engine.dense_layers(), linears(net)))
    return engine_loss, reference_loss, weight_gap


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_reference_matches_the_engine_from_the_same_weights_and_batches(model):
    engine_loss, reference_loss, weight_gap = engine_and_reference(model)
    np.testing.assert_allclose(reference_loss, engine_loss, rtol=0, atol=LOSS_TOLERANCE)
    assert weight_gap < WEIGHT_TOLERANCE


@pytest.mark.parametrize("model, planted", [
    ("ffnet", {"momentum": 0.0}),                        # plain SGD instead of momentum
    ("ffnet", {"lr": LAB_TRAIN.lr * 1.1}),             # a learning rate 10% off
    ("resnet", {"reference": lambda: _NoSkipResNet()}),  # the reference without its skips
])
def test_the_comparison_catches_a_planted_difference(model, planted):
    """The tolerances above are tight enough to see a real difference in that epoch."""
    engine_loss, reference_loss, weight_gap = engine_and_reference(model, **planted)
    assert np.abs(reference_loss - engine_loss).max() > 10 * LOSS_TOLERANCE
    assert weight_gap > 10 * WEIGHT_TOLERANCE


class _NoSkipResNet(PlainResNet):
    def __init__(self):
        super().__init__(2, 5, 20, 1)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.output(self.head(x))


@pytest.fixture(scope="module")
def own_init_outcomes(result_cache):
    """Test accuracies of the reference trained from its own draws, 8 seeds, 100 epochs (A's ci budget)."""
    budget = replace(LAB_TRAIN, epochs=TIERS["ci"].epochs)
    plan = {model: Planned(train_plain_reference, PlainRun(dataset="spirals", model=model, spec=spec, train=budget), 8)
            for model, (spec, _) in FAMILIES.items()}
    return {model: result["test_acc"] for model, result in run_plan(plan, result_cache).items()}


def test_reference_from_its_own_init_agrees_in_direction_with_A1_and_A2(own_init_outcomes):
    ffnet_learned = (own_init_outcomes["ffnet"] >= LEARNED_ACCURACY).mean()
    resnet_learned = (own_init_outcomes["resnet"] >= LEARNED_ACCURACY).mean()
    assert ffnet_learned < 0.5, f"reference FFNet-32: {ffnet_learned:.2f} of runs learned (A1: under half)"
    assert resnet_learned > 0.5, f"reference ResNet: {resnet_learned:.2f} of runs learned (A2: over half)"
    assert own_init_outcomes["resnet"].mean() > own_init_outcomes["ffnet"].mean()
