"""BIGRoC boosting and interpolation on the tiny net (real-model checks are in test_real_models.py)."""
import pytest
import torch

import synth
from synth.constraints import l2_norm

from ..conftest import make_tiny


def test_boost_within_eps_and_step_follows_eps():
    model = make_tiny()
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    res = synth.boost(model, x, [0, 1, 2, 3], preset="synth.boost.cifar10", eps=0.5, steps=5)
    assert (l2_norm(res.x - x) <= 0.5 + 1e-5).all()
    assert res.config.step_size == 0.1
    assert (res.history[-1] > res.history[0]).all()


def test_boost_linf_and_comparable_eps():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    l2 = synth.boost(model, x, 0, preset="synth.boost.cifar10", eps=1.0, steps=5)
    eps_inf = synth.comparable_linf_eps(l2.x, x)
    assert 0 < eps_inf <= float((l2.x - x).abs().max())
    linf = synth.boost(model, x, 0, preset="synth.boost.cifar10", norm="linf", eps=eps_inf, steps=5)
    assert (linf.x - x).abs().max() <= eps_inf + 1e-6


def test_debias_flattens_a_skewed_batch():
    torch.manual_seed(0)
    model = make_tiny()
    with torch.no_grad():
        model.net.fc.bias.copy_(torch.tensor([3.0, 0.0, 0.0, 0.0]))  # a model that prefers class 0
    x = torch.rand(200, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    plain = synth.assign_labels(model, x)
    d = synth.estimate_debias(model, x)
    fair = synth.assign_labels(model, x, d)
    hist = lambda y: torch.bincount(y, minlength=4).float()  # noqa: E731
    assert hist(plain).max() > hist(fair).max()
    assert hist(fair).std() < hist(plain).std()
    res = synth.boost(model, x[:4], debias=d, preset="synth.boost.cifar10", steps=2)
    assert torch.equal(res.label, fair[:4])


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
