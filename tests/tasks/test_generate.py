"""Tests of synth.tasks.generate on the tiny net: shapes, ranges, the constraint or penalty holds, the task moves its
start toward its class, bad input refused."""
import pytest
import torch

import synth
from synth.constraints import l2_norm
from synth.seeds import fit

from ..conftest import make_tiny
from .conftest import FAST


def test_generate_from_fitted_seeds(model):
    imgs = (torch.rand(20, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)
    dist = fit(imgs, torch.arange(20) % 4, model.classes, "multivariate", rank=4)
    res = synth.generate(model, ["a", "c", 2], seeds=dist, preset="synth.generate.cifar10",
                         generator=torch.Generator().manual_seed(0), **FAST)
    assert res.x.shape == (3, 3, 16, 16) and res.history.shape == (5, 3)
    assert (l2_norm(res.x - res.seeds) <= res.config.eps + 1e-4).all()
    again = synth.generate(model, ["a", "c", 2], seeds=dist, preset="synth.generate.cifar10",
                           generator=torch.Generator().manual_seed(0), **FAST)
    assert torch.equal(res.x, again.x)


def test_generate_uniform_and_bad_class(model):
    res = synth.generate(model, "b", seeds="uniform", preset="synth.generate.cifar10", **FAST)
    assert res.x.shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="unknown class"):
        synth.generate(model, "zebra", seeds="uniform", preset="synth.generate.cifar10", **FAST)
    with pytest.raises(ValueError, match="out of range"):
        synth.generate(model, 9, seeds="uniform", preset="synth.generate.cifar10", **FAST)
    with pytest.raises(TypeError):
        synth.generate(model, "b", seeds="uniform", preset="synth.generate.cifar10", iterations=3)


def test_generate_uses_the_seed_kinds_preset():
    """Without a preset, each seed kind gets its own CIFAR-10 default (``synth.generate.cifar10_<kind>``, multivariate
    seeds ``synth.generate.cifar10``); an explicit max_prob still wins."""
    model = make_tiny(dataset="cifar10")
    presets = synth.presets.PRESETS
    cfg = {kind: synth.generate(model, "b", seeds=kind, **FAST).config for kind in ("uniform", "multivariate")}
    assert "uniform" in cfg["uniform"].source
    for kind, name in (("uniform", "synth.generate.cifar10_uniform"), ("multivariate", "synth.generate.cifar10")):
        assert (cfg[kind].eps, cfg[kind].max_prob, cfg[kind].seed_kind) == (presets[name].eps, presets[name].max_prob, kind)
    assert synth.generate(model, "b", seeds="uniform", max_prob=0.5, **FAST).config.max_prob == 0.5
