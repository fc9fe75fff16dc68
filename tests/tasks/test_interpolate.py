"""BIGRoC interpolation on the tiny net (real-model checks are in test_real_models.py)."""
import pytest
import torch

import synth
from synth.constraints import l2_norm

from ..conftest import make_tiny


def test_interpolation_frames_move_toward_target():
    model = make_tiny()
    g = torch.Generator().manual_seed(3)
    xs, xt = torch.rand(1, 3, 16, 16, generator=g), torch.rand(1, 3, 16, 16, generator=g)
    res = synth.interpolate(model, xs, xt, preset="synth.interpolate.cifar10", steps=20,
                            fractions=(0.0, 0.25, 0.5, 0.75, 1.0))
    assert res.x.shape == (5, 3, 16, 16)
    assert torch.allclose(res.x[0], xs[0])
    assert (l2_norm(res.x - xs) <= res.eps + 1e-4).all()
    d = res.distance
    assert (d[1:] <= d[:-1] + 1e-4).all() and d[-1] < d[0]


@pytest.mark.parametrize("preset,overrides,rate", [
    ("synth.interpolate.cifar10", {}, 2.5 / 20),  # the preset's own rule, 2.5 eps_k / T
    ("synth.interpolate.cifar10", {"steps": 40}, 2.5 / 40),  # more steps keep the rule
    ("synth.interpolate.cifar10", {"step_size": 0.3}, 0.3),  # explicit: relative to eps (1)
    ("bigroc.interpolate.cifar10", {"steps": 10}, 1.0 / 10),  # BIGRoC: eps_k / T
])
def test_interpolation_step_follows_the_preset(preset, overrides, rate):
    """The first step of the one frame moves by rate * eps_k (images mid-range, so the clamp does not bind)."""
    model = make_tiny()
    g = torch.Generator().manual_seed(4)
    xs, xt = 0.4 + 0.2 * torch.rand(1, 3, 16, 16, generator=g), 0.4 + 0.2 * torch.rand(1, 3, 16, 16, generator=g)
    moved = []
    synth.interpolate(model, xs, xt, preset=preset, fractions=(1.0,),
                      callback=lambda step, x, score: moved.append(float(l2_norm(x - xs))) if step == 1 else None, **overrides)
    assert abs(moved[0] - rate * float(l2_norm(xt - xs))) < 1e-3
