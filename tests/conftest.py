"""Shared test fixtures and the small model sizes every test file builds."""

import pytest
import torch


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
