"""The task tests' shared inputs: the tiny seeded net and two seeded 16x16 images."""
import pytest
import torch

from ..conftest import make_tiny

FAST = dict(steps=4)  # enough steps to move an image on the tiny net, few enough for a fast suite


@pytest.fixture
def model():
    return make_tiny()


@pytest.fixture
def x():
    """(2, 3, 16, 16) in [0, 1]."""
    return torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
