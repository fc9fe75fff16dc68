"""Tests of synth.tasks.colorize and its constraint: every pixel keeps its luminance, the colours stay in the ball
around the grey image, the tiny net moves toward its class, and a robust CIFAR-10 model paints class colours that its
standard twin does not."""
import pytest
import torch

import synth
from synth.constraints import L2Ball, LuminanceKept, l2_norm, luminance

from ..conftest import bundled_or_skip, make_tiny, shared_data_or_skip


def test_the_constraint_keeps_luminance_exactly_and_the_ball():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 8, 8, generator=g)
    lum = luminance(x)
    grey = lum.expand(-1, 3, -1, -1)
    c = LuminanceKept(L2Ball(2.0), lum)
    for scale in (0.1, 1.0, 10.0):  # small moves, and moves that the [0, 1] box clips
        p = c.project(grey + scale * torch.randn(x.shape, generator=g), grey)
        assert (luminance(p) - lum).abs().max() < 1e-5
        assert p.min() >= 0 and p.max() <= 1
        assert (l2_norm(p - grey) <= 2.0 + 1e-4).all()
    d = c.direction(torch.randn(x.shape, generator=g))
    assert luminance(d).abs().max() < 1e-5  # steps change colour, never brightness
    start = c.random_start(grey, grey, torch.Generator().manual_seed(1))
    assert (luminance(start) - lum).abs().max() < 1e-5 and (l2_norm(start - grey) > 1e-3).all()


def test_colorize_keeps_luminance_and_moves_toward_the_class():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    res = synth.colorize(model, x, ["b", "c"], preset="synth.colorize.cifar10", steps=6)
    assert res.x.shape == res.grey.shape == x.shape
    assert torch.equal(res.grey[:, 0], res.grey[:, 1])  # the start is grey
    assert (luminance(res.x) - luminance(x)).abs().max() < 1e-4
    assert (res.history[-1] > res.history[0]).all()
    assert (l2_norm(res.x - res.grey) > 1e-3).all() and (l2_norm(res.x - res.grey) <= res.config.eps + 1e-4).all()
    assert res.label.tolist() == [1, 2]
    predicted = synth.colorize(model, x, preset="synth.colorize.cifar10", steps=1)
    assert predicted.label.shape == (2,)
    with pytest.raises(ValueError, match="unknown class"):
        synth.colorize(model, x, "zebra", steps=1)
    with pytest.raises(ValueError, match="does not use lam"):
        synth.colorize(model, x, "b", lam=1.0)


@pytest.mark.slow
def test_the_robust_model_paints_class_colours_the_standard_one_does_not():
    """On 40 grey CIFAR-10 test images at the default, the robust model's colours make the independent robust evaluator
    see the true class more often than in the grey images, by far more than the standard twin's colours do."""
    shared_data_or_skip("cifar10-jpg.tar.gz")
    robust, standard = bundled_or_skip("cifar10-l2"), bundled_or_skip("cifar10-standard")
    judge = bundled_or_skip("cifar10-evaluator")
    from synth import data as datasets
    data = datasets.cifar10("test")
    x, y = data.images[:40].float() / 255, data.labels[:40]
    agree = lambda imgs: float((judge.predict(imgs).argmax(1) == y).float().mean())  # noqa: E731
    robust_res, standard_res = synth.colorize(robust, x, y, bf16=True), synth.colorize(standard, x, y, bf16=True)
    grey = agree(robust_res.grey)
    gain_robust, gain_standard = agree(robust_res.x) - grey, agree(standard_res.x) - grey
    assert gain_robust >= 0.15 and gain_robust >= gain_standard + 0.1, (grey, gain_robust, gain_standard)
