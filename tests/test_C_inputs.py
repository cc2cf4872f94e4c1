"""Topic C's data loaders: what a configuration may name, and the stand-in a missing real
data set falls back to (which the results record, so a claim says what it read)."""
import numpy as np
import pytest

from claims.c_init.experiments import TIERS, mlp002_run, probe_plan, scheme
from claims.c_init.inputs import mlp002_data, probe_batch
from claims.c_init.runs import ProbeRun, probe_stack
from deepclaims.errors import ConfigError
from deepclaims.experiment import RunEnvironment


def test_unknown_data_sets_and_batch_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="accepted: mnist, upsampled_digits"):
        probe_batch("cifar10", None, 8)
    with pytest.raises(ConfigError, match="1 to 1797 images"):
        probe_batch("upsampled_digits", None, 2000)
    with pytest.raises(ConfigError, match="accepted: fashion_mnist, digits"):
        mlp002_data("mnist", None)


def test_missing_real_data_falls_back_to_the_stand_in(tmp_path):
    x, y, source = probe_batch("mnist", tmp_path, 16)
    assert x.shape == (16, 784) and y.shape == (16,) and "stand-in for MNIST" in source
    _, description = mlp002_data("fashion_mnist", tmp_path)
    assert description.startswith("embedded 8x8 digits")


def test_probe_records_the_batch_it_read():
    result = probe_stack(ProbeRun(spec=scheme("tanh", "glorot_normal"), images=16), [0, 1])
    assert result["source"].shape == (2,) and all("stand-in" in s for s in result["source"])
    assert np.isfinite(result["grad_norm"]).all()


def test_only_a_real_data_tier_reads_the_data_folder():
    """At lab the plans name MNIST / Fashion-MNIST and the folder; below lab, the stand-ins and no folder."""
    environment = RunEnvironment(data_dir="/data")
    stacks = {"s": scheme("relu", "he_normal")}
    lab = probe_plan(stacks, TIERS["lab"], environment, 2)["s"].config
    ci = probe_plan(stacks, TIERS["ci"], environment, 2)["s"].config
    assert (lab.dataset, lab.data_dir) == ("mnist", "/data") and (ci.dataset, ci.data_dir) == ("upsampled_digits", None)
    assert mlp002_run(True, TIERS["lab"], environment).data_dir == "/data"
    assert mlp002_run(True, TIERS["ci"], environment).data_dir is None
