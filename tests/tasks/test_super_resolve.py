"""Tests of synth.tasks.super_resolve on the tiny net: shapes, ranges, the constraint or penalty holds, the task moves its
start toward its class, bad input refused."""
import pytest

import synth
from synth.constraints import l2_norm

from .conftest import FAST


def test_super_resolve(model, x):
    low = synth.downsample(x, 4)
    for init in ("nearest", "bicubic"):
        for consistent in (False, True):
            res = synth.super_resolve(model, low, init=init, consistent=consistent, ground_truth=x,
                                      preset="synth.super_resolve.cifar10", eps=1.0, **FAST)
            assert res.x.shape == x.shape
            assert (l2_norm(res.x - res.upsampled) <= 1.0 + 1e-4).all()
            assert res.psnr.shape == (2,) and res.ssim.shape == (2,)
            moved = (res.x - res.upsampled).abs().max()
            assert moved > 1e-3
            if consistent:  # the result downsamples back to the input
                assert (synth.downsample(res.x, 4) - low).abs().max() < 2e-3
                assert (synth.downsample(res.upsampled, 4) - low).abs().max() < 2e-3
    with pytest.raises(ValueError, match="low-resolution"):
        synth.super_resolve(model, x[..., :3, :3], preset="synth.super_resolve.cifar10", **FAST)
    with pytest.raises(ValueError, match="divide"):
        synth.super_resolve(model, low, factor=3, preset="synth.super_resolve.cifar10", **FAST)
    with pytest.raises(ValueError, match="upsample must be"):
        synth.super_resolve(model, low, init="lanczos", **FAST)
