"""One smoke test per task on the tiny net: shapes, ranges, the constraint or penalty
holds, the unmasked region stays close, labels validated."""
import pytest
import torch
from PIL import Image

import synth
from synth.constraints import l2_norm
from synth.seeds import fit

from ..conftest import make_tiny

FAST = dict(steps=4)


@pytest.fixture
def model():
    return make_tiny()


@pytest.fixture
def x():
    return torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))


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


def test_translate_and_attack_grid(model, x):
    res = synth.translate(model, x, "d", preset="synth.translate.cifar10", **FAST)
    assert (res.history[-1] > res.history[0]).all()
    grid = synth.attack_grid(model, x, targets=["a", "b"], preset="synth.attack.cifar10", steps=2)
    assert grid.grid.shape == (2, 2, 3, 16, 16)
    assert grid.label.tolist() == [0, 1, 0, 1]


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


def test_sketch_any_size(model):
    sketch = Image.new("RGB", (50, 30), "white")
    res = synth.sketch_to_image(model, sketch, "a", preset="synth.sketch_to_image.cifar10", **FAST)
    assert res.x.shape == (1, 3, 16, 16)


def test_paint_features_raises_activation(model, x):
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    res = synth.paint_features(model, x, mask, 3, preset="synth.paint_features.cifar10", steps=10)
    before, after = res.activation
    assert (after > before).all()
    with pytest.raises(ValueError, match="feature must be"):
        synth.paint_features(model, x, mask, 10_000, **FAST)


def test_edge_sketch_draws_dark_lines_on_white():
    x = torch.zeros(2, 3, 32, 32)
    x[:, :, 8:24, 8:24] = 1.0  # a white square on black: its outline is the only edge
    s = synth.edge_sketch(x)
    assert s.shape == x.shape and 0 <= s.min() and s.max() <= 1
    assert torch.equal(s[:, 0], s[:, 2])                       # grey lines, the same on every channel
    assert s[:, 0, 0, 0].eq(1).all() and s[:, 0, 16, 16].eq(1).all()  # background and inside stay white
    assert s[:, 0, 16, 6:10].min() < 0.5                     # the square's left side is drawn
