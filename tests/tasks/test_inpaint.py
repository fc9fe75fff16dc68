"""Tests of synth.tasks.inpaint (and its classical fills) on the tiny net:
shapes, ranges, the constraint or penalty holds, the task moves its start toward its class, bad input refused."""
import pytest
import torch

import synth
from synth.constraints import l2_norm

from .conftest import FAST


def test_inpaint_paper_objective_keeps_outside(model, x):
    mask = synth.random_patch_mask(2, (16, 16), 6, torch.Generator().manual_seed(0))
    res = synth.inpaint(model, x, mask, preset="synth.inpaint.cifar10_paper", **FAST)
    corrupted = res.corrupted
    # the paper's start: the patch at the per-channel mean of the known pixels
    keep = 1 - mask
    mean = (x * keep).sum((2, 3)) / keep.sum((2, 3))
    inside = (corrupted * mask).sum((2, 3)) / mask.sum((2, 3))
    assert torch.allclose(inside, mean, atol=1e-5)
    outside = ((res.x - x) * keep).abs().mean()
    assert outside < ((res.x - x) * mask).abs().mean() + 0.05
    assert res.label.shape == (2,)
    with pytest.raises(ValueError, match="empty"):
        synth.inpaint(model, x, torch.zeros(1, 1, 16, 16), **FAST)
    with pytest.raises(ValueError, match="covers everything"):
        synth.inpaint(model, x, torch.ones(1, 1, 16, 16), **FAST)
    with pytest.raises(ValueError, match="fill must be"):
        synth.inpaint(model, x, mask, fill="telea", **FAST)


def test_inpaint_default_moves_only_the_mask(model, x):
    mask = synth.random_patch_mask(2, (16, 16), 6, torch.Generator().manual_seed(1))
    res = synth.inpaint(model, x, mask, preset="synth.inpaint.cifar10", eps=2.0, **FAST)
    keep = 1 - mask
    assert torch.equal(res.x * keep, x * keep)  # known pixels exactly kept
    assert torch.equal(res.corrupted, synth.harmonic_fill(x, mask))
    assert ((res.x - res.corrupted) * mask).abs().sum() > 0  # PGD moved the patch
    assert (l2_norm(res.x - res.corrupted) <= 2.0 + 1e-4).all()


def test_harmonic_fill_is_smooth_and_exact_on_linear_images():
    # a linear ramp is harmonic: the fill must reproduce it inside any hole
    ramp = torch.linspace(0, 1, 16).view(1, 1, 1, 16).expand(1, 3, 16, 16).clone()
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 5:11] = 1
    filled = synth.harmonic_fill(ramp, mask, tol=1e-7)
    assert (filled - ramp).abs().max() < 1e-3
    assert torch.equal(filled * (1 - mask), ramp * (1 - mask))


def test_telea_fill_changes_only_the_hole(x):
    mask = synth.random_patch_mask(2, (16, 16), 6, torch.Generator().manual_seed(2))
    filled = synth.telea_fill(synth.corrupt(x, mask), mask)
    keep = 1 - mask
    assert filled.shape == x.shape and filled.min() >= 0 and filled.max() <= 1
    # outside the hole only the 8-bit round trip of OpenCV
    assert ((filled - x).abs() * keep).max() <= 0.5 / 255 + 1e-6
    assert ((filled - synth.corrupt(x, mask)).abs() * mask).max() > 1e-3
