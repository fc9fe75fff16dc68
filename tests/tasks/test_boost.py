"""BIGRoC boosting on the tiny net (real-model checks are in test_real_models.py)."""
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
