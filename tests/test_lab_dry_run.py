"""The lab dry run: every experiment a ``--fidelity lab`` run would make, built at its real
data shape and run for one step on the CPU, so a GPU run cannot fail on a shape or a typo.

The real data sets are stood in for by small files in their published formats (IDX for
MNIST and Fashion-MNIST, python batches for CIFAR-10) at their real image shapes, with
the loaders' expected counts lowered to the files' (the only thing not as on a GPU box).
Each planned run is shrunk by its experiment's ``one_step`` and run for one seed.
"""
import numpy as np
import pytest

from claims.registry import TOPICS, planned_runs
from deepclaims.data import cifar, idx, real
from deepclaims.experiment import RunEnvironment

# Images per split in the stand-in files: enough for the lab's own splits (lab 002 holds out
# Fashion-MNIST's first 5000 training images for validation), small enough to write quickly.
TRAIN, TEST = 6000, 1000
CIFAR_TRAIN = 250
IDX_FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}


def _write_idx_set(folder, rng) -> None:
    folder.mkdir(parents=True)
    for split, n in (("train", TRAIN), ("t10k", TEST)):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(idx.idx_bytes(rng.integers(0, 256, (n, 28, 28), np.uint8)))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(idx.idx_bytes(rng.integers(0, 10, n).astype(np.uint8)))


def _write_cifar(folder, rng) -> None:
    folder.mkdir(parents=True)
    per_batch = CIFAR_TRAIN // len(cifar.TRAIN_BATCHES)
    for name, n in [(b, per_batch) for b in cifar.TRAIN_BATCHES] + [(cifar.TEST_BATCH, per_batch)]:
        images = rng.integers(0, 256, (n, 32, 32, 3), np.uint8)
        (folder / name).write_bytes(cifar.batch_bytes(images, rng.integers(0, 10, n).tolist()))


@pytest.fixture(scope="module")
def lab_data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab_data")
    rng = np.random.default_rng(0)
    for name, folder in IDX_FOLDERS.items():
        _write_idx_set(root / folder, rng)
    _write_cifar(root / "cifar-10-batches-py", rng)
    return root


@pytest.fixture(autouse=True)
def small_published_counts(monkeypatch):
    monkeypatch.setattr(real, "COUNTS", {name: (TRAIN, TEST) for name in real.COUNTS})
    monkeypatch.setattr(cifar, "BATCH_SIZE", CIFAR_TRAIN // len(cifar.TRAIN_BATCHES))


def _lab_runs():
    """(test id, planned run) for every distinct run of the lab tier, data read from a
    placeholder folder (the configurations only carry its path)."""
    out = []
    for topic in TOPICS:
        for key, planned in topic.planned("lab", RunEnvironment("cpu", "LAB_DATA")).items():
            out.append(pytest.param(planned, id=f"{topic.letter}:{key}"))
    return out


@pytest.mark.parametrize("planned", _lab_runs())
def test_every_lab_configuration_runs_one_step_at_its_real_shape(planned, lab_data_dir):
    config = planned.config
    if getattr(config, "data_dir", None) == "LAB_DATA":
        from dataclasses import replace
        config = replace(config, data_dir=str(lab_data_dir))
    small = planned.experiment.one_step(config)
    result = planned.experiment(small, [0])
    assert result, f"{planned.experiment.name} returned nothing"
    for name, values in result.items():
        assert np.asarray(values).shape[:1] == (1,), f"{name} lacks the seed axis"


def test_the_lab_plan_covers_every_topic_with_training_and_reads_real_data():
    trained = {t.letter for t in TOPICS if t.plans}
    assert trained and all(planned_runs("lab", RunEnvironment(), {letter}) for letter in trained)
    readers = [p for p in planned_runs("lab", RunEnvironment("cpu", "LAB_DATA")) if getattr(p.config, "data_dir", None)]
    assert readers, "no lab configuration reads --data-dir, so the dry run would not test the real shapes"
