"""Shared fixtures: a tiny seeded network (no downloads), and helpers that skip with a
reason when real weights or ../shared/data are absent."""
from __future__ import annotations

import pytest
import torch

from synth.architectures import CifarResNet
from synth.data import shared_dir
from synth.model import RobustClassifier
from synth.sources import ASSETS

CLASSES = ("a", "b", "c", "d")


def make_tiny(seed: int = 0, num_classes: int = 4, width: int = 4, dataset: str = "tiny") -> RobustClassifier:
    """A randomly initialised CIFAR ResNet-18 of width 4 on 16x16 images (fast, deterministic).
    ``dataset="cifar10"`` lets it use the shipped CIFAR-10 seed statistics (downsampled)."""
    torch.manual_seed(seed)
    net = CifarResNet((1, 1, 1, 1), num_classes, width)
    return RobustClassifier(net, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), CLASSES[:num_classes], (16, 16),
                            dataset, None, "tiny")


@pytest.fixture
def tiny():
    return make_tiny()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(3, 3, 16, 16, generator=g)


def bundled_or_skip(name: str):
    """Load a bundled model, or skip when its weights are not in the checkout."""
    if not (ASSETS / f"{name}.safetensors").exists():
        pytest.skip(f"bundled model {name} not trained yet (assets/models/{name}.safetensors missing)")
    from synth import load_model
    return load_model(name)


def shared_data_or_skip(filename: str):
    path = shared_dir() / filename
    if not path.exists():
        pytest.skip(f"offline data copy {path} is absent (CI and dev machines have ../shared/data)")
    return path
