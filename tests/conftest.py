"""Shared test fixtures and the small model sizes every test file builds."""

import os
import sys

import pytest
import torch

# Environment a test may set by running code a student runs (the Colab setup cell and
# aminet.colab.mark_colab write AMINET_COLAB=1 straight into os.environ). Restored after every
# test, so a later test, or a notebook kernel started later by nbval in the same worker, is not
# taken for Colab.
_RESTORED_ENV = (
    "AMINET_COLAB",
    "AMINET_RUNS",
    "AMINET_DRIVE",
    "AMINET_DOWNLOAD",
    "COLAB_RELEASE_TAG",
    "COLAB_GPU",
    "COLAB_BACKEND_VERSION",
)


@pytest.fixture(autouse=True)
def _restore_environment():
    saved = {name: os.environ.get(name) for name in _RESTORED_ENV}
    colab_module = sys.modules.get("google.colab")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if colab_module is None:
        sys.modules.pop("google.colab", None)


@pytest.fixture(autouse=True)
def _restore_torch_hub_dir():
    """torch.hub.set_dir() is global and outranks $TORCH_HOME for the rest of the process: a test
    that sets it (even back to the value get_dir() printed) would send a later test's downloads
    and cache lookups to ~/.cache/torch/hub. Restore torch's own unset state after every test."""
    saved = torch.hub._hub_dir
    yield
    torch.hub._hub_dir = saved


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    yield


@pytest.fixture
def one_thread():
    """One torch intra-op thread during the test: on a shared 2-core machine two OpenMP threads
    wait on each other and a test runs many times slower. Files that want it for every test set
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# A narrow AMINet (every part kept, 8 channels at the first stage, one head).
TINY = dict(base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1))
# The same with one-level hourglasses, for tests that train it.
TINY_SHALLOW = {**TINY, "hourglass_depths": (1, 1, 1, 1)}
# A narrow SPARNet for 32x32 faces.
TINY_SPARNET = dict(
    size=32, min_channels=8, max_channels=16, num_body_blocks=1, hourglass_channels=8
)
