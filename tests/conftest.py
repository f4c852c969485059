import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    yield


TINY = dict(base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1))
