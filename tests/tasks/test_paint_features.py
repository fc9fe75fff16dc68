"""Tests of synth.tasks.paint_features on the tiny net: shapes, ranges, the constraint or penalty holds, the task moves its
start toward its class, bad input refused."""
import pytest
import torch

import synth

from .conftest import FAST


def test_paint_features_raises_activation(model, x):
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    res = synth.paint_features(model, x, mask, 3, preset="synth.paint_features.cifar10", steps=10)
    before, after = res.activation
    assert (after > before).all()
    with pytest.raises(ValueError, match="feature must be"):
        synth.paint_features(model, x, mask, 10_000, **FAST)
