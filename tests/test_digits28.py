"""The 28x28 digits stand-in for topic E (deepclaims/data/digits28.py)."""
import pytest
import torch

from deepclaims.data.digits28 import digits28, standardised
from deepclaims.errors import ConfigError


def test_shapes_range_and_disjoint_splits():
    data = digits28(train_size=300)
    assert data.x_train.shape == (300, 784) and data.x_test.shape == (1497, 784)
    assert float(data.x_train.min()) >= 0 and float(data.x_train.max()) <= 1
    assert set(data.y_train.tolist()) == set(range(10))
    data.check_disjoint()


def test_standardisation_uses_the_training_split_statistics():
    data = digits28(train_size=300, test_size=200)
    z = standardised(data)
    assert abs(float(z.x_train.mean())) < 1e-5 and abs(float(z.x_train.std()) - 1) < 1e-5
    mean, std = data.x_train.mean(), data.x_train.std()
    assert torch.allclose(z.x_test, (data.x_test - mean) / std)
    assert abs(float(z.x_test.mean())) > 1e-4, "the test split is not standardised by its own statistics"


@pytest.mark.parametrize("train_size, test_size", [(0, 10), (1700, 200), (300, 0)])
def test_impossible_sizes_are_config_errors(train_size, test_size):
    with pytest.raises(ConfigError, match="digits28 needs"):
        digits28(train_size, test_size)
