"""Fixtures shared by the topic-C test modules (imported by name into each, so they stay
local to the modules that use them rather than applying to every test)."""
import pytest

from claims.c_init.inputs import probe_batch
from deepclaims.training import one_cpu_thread


@pytest.fixture(autouse=True)
def one_thread():
    """Small nets: one intra-op thread, as the engine's experiments run (a second thread's
    per-op barrier makes them many times slower on a busy 2-core machine)."""
    with one_cpu_thread():
        yield


@pytest.fixture(scope="module")
def batch():
    """The first 128 probe images of C1-C5's fixed batch (the embedded stand-in)."""
    x, y, _ = probe_batch("upsampled_digits", None, 128)
    return x, y
