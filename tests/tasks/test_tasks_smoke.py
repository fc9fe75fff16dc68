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
    assert (l2_norm(res.x - res.extras["seeds"]) <= res.extras["config"].eps + 1e-4).all()
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


def test_inpaint_keeps_outside(model, x):
    mask = synth.random_patch_mask(2, (16, 16), 6, torch.Generator().manual_seed(0))
    res = synth.inpaint(model, x, mask, preset="synth.inpaint.cifar10", **FAST)
    corrupted = res.extras["corrupted"]
    # the patch starts at the per-channel mean of the known pixels
    keep = 1 - mask
    mean = (x * keep).sum((2, 3)) / keep.sum((2, 3))
    inside = (corrupted * mask).sum((2, 3)) / mask.sum((2, 3))
    assert torch.allclose(inside, mean, atol=1e-5)
    outside = ((res.x - x) * keep).abs().mean()
    assert outside < ((res.x - x) * mask).abs().mean() + 0.05
    assert res.extras["label"].shape == (2,)
    with pytest.raises(ValueError, match="empty"):
        synth.inpaint(model, x, torch.zeros(1, 1, 16, 16), **FAST)
    with pytest.raises(ValueError, match="covers everything"):
        synth.inpaint(model, x, torch.ones(1, 1, 16, 16), **FAST)


def test_translate_and_attack_grid(model, x):
    res = synth.translate(model, x, "d", preset="synth.translate.cifar10", **FAST)
    assert (res.history[-1] > res.history[0]).all()
    grid = synth.attack_grid(model, x, targets=["a", "b"], preset="synth.attack.cifar10", steps=2)
    assert grid.extras["grid"].shape == (2, 2, 3, 16, 16)
    assert grid.extras["label"].tolist() == [0, 1, 0, 1]


def test_super_resolve(model, x):
    low = synth.downsample(x, 4)
    for init in ("nearest", "bicubic"):
        res = synth.super_resolve(model, low, init=init, ground_truth=x, preset="synth.super_resolve.cifar10", **FAST)
        assert res.x.shape == x.shape
        assert (l2_norm(res.x - res.extras["upsampled"]) <= res.extras["config"].eps + 1e-4).all()
        assert res.extras["psnr"].shape == (2,) and res.extras["ssim"].shape == (2,)
    with pytest.raises(ValueError, match="low-resolution"):
        synth.super_resolve(model, x[..., :3, :3], preset="synth.super_resolve.cifar10", **FAST)
    with pytest.raises(ValueError, match="divide"):
        synth.super_resolve(model, low, factor=3, preset="synth.super_resolve.cifar10", **FAST)


def test_sketch_any_size(model):
    sketch = Image.new("RGB", (50, 30), "white")
    res = synth.sketch_to_image(model, sketch, "a", preset="synth.sketch_to_image.cifar10", **FAST)
    assert res.x.shape == (1, 3, 16, 16)


def test_paint_features_raises_activation(model, x):
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    res = synth.paint_features(model, x, mask, 3, preset="synth.paint_features.cifar10", steps=10)
    before, after = res.extras["activation"]
    assert (after > before).all()
    with pytest.raises(ValueError, match="feature must be"):
        synth.paint_features(model, x, mask, 10_000, **FAST)
