import pytest
import torch

from synth.constraints import BlockMeanConsistent, L2Ball, LinfBall, Masked, Unconstrained, ball, l2_norm


def _far(n=4):
    g = torch.Generator().manual_seed(0)
    anchor = torch.rand(n, 3, 8, 8, generator=g)
    # mixed norms per sample: robustness #32 was a wrong-dim per-sample norm
    x = anchor + torch.randn(n, 3, 8, 8, generator=g) * torch.tensor([0.01, 1.0, 5.0, 20.0]).view(-1, 1, 1, 1)
    return x, anchor


def test_l2_projection_per_sample():
    x, anchor = _far()
    p = L2Ball(0.5).project(x, anchor)
    assert (l2_norm(p - anchor) <= 0.5 + 1e-5).all()
    assert p.min() >= 0 and p.max() <= 1
    # a sample already inside the ball (and the box) is unchanged
    inside = anchor[:1] + 0.001
    assert torch.allclose(L2Ball(0.5).project(inside.clamp(0, 1), anchor[:1]), inside.clamp(0, 1))


def test_per_sample_eps_tensor():
    x, anchor = _far()
    eps = torch.tensor([0.1, 0.2, 0.3, 0.4])
    p = L2Ball(eps).project(x, anchor)
    assert (l2_norm(p - anchor) <= eps + 1e-5).all()


def test_linf_projection():
    x, anchor = _far()
    p = LinfBall(0.03).project(x, anchor)
    assert ((p - anchor).abs().flatten(1).amax(1) <= 0.03 + 1e-6).all()


def test_directions():
    g = torch.randn(4, 3, 8, 8)
    assert torch.allclose(l2_norm(L2Ball(1).direction(g)), torch.ones(4))
    assert set(LinfBall(1).direction(g).unique().tolist()) <= {-1.0, 0.0, 1.0}
    assert torch.isfinite(L2Ball(1).direction(torch.zeros(2, 3, 4, 4))).all()


def test_random_start_inside_ball_and_seeded():
    x, anchor = _far()
    for c in (L2Ball(0.5), LinfBall(0.1)):
        a = c.random_start(anchor, anchor, torch.Generator().manual_seed(3))
        b = c.random_start(anchor, anchor, torch.Generator().manual_seed(3))
        assert torch.equal(a, b)
        assert torch.equal(c.project(a, anchor), a)


def test_masked_only_changes_mask():
    x, anchor = _far()
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 2:5, 2:5] = 1
    p = Masked(L2Ball(100.0), mask).project(x, anchor)
    assert torch.equal(p * (1 - mask), anchor * (1 - mask))
    assert not torch.equal(p * mask, anchor * mask)


def test_block_mean_consistent_projection_and_direction():
    g = torch.Generator().manual_seed(0)
    low = torch.rand(2, 3, 4, 4, generator=g) * 0.8 + 0.1
    anchor = torch.nn.functional.interpolate(low, scale_factor=2, mode="nearest")
    c = BlockMeanConsistent(L2Ball(1.0), low, 2)
    x = (anchor + 0.3 * torch.randn(anchor.shape, generator=g)).clamp(0, 1)
    p = c.project(x, anchor)
    assert (torch.nn.functional.avg_pool2d(p, 2) - low).abs().max() < 1e-5  # exact, saturated pixels too
    assert (l2_norm(p - anchor) <= 1.0 + 1e-4).all()
    assert p.min() >= 0 and p.max() <= 1
    # steps lie in the null space of block-mean downsampling: they never change block means
    d = c.direction(torch.randn(anchor.shape, generator=g))
    assert torch.nn.functional.avg_pool2d(d, 2).abs().max() < 1e-6
    assert torch.allclose(l2_norm(d), torch.ones(2))


def test_block_means_are_exact_where_pixels_saturate():
    """A dark block with one bright pixel: removing the excess mean pushes its other pixels below 0, the clamp puts
    the excess back (alternating projection and clamp leaves ~0.05 after 3 rounds); the projection is exact."""
    low = torch.full((1, 3, 2, 2), 0.01)
    anchor = torch.full((1, 3, 4, 4), 0.01)
    x = anchor.clone()
    x[..., ::2, ::2] = 0.51  # the top-left pixel of every 2x2 block
    p = BlockMeanConsistent(L2Ball(10.0), low, 2).project(x, anchor)
    assert (torch.nn.functional.avg_pool2d(p, 2) - low).abs().max() < 1e-6
    assert p.min() >= 0 and (p[..., ::2, ::2] > p[..., 1::2, 1::2]).all()  # the nearest point keeps the bright pixel


def test_unconstrained_box_only():
    x, anchor = _far()
    p = Unconstrained().project(x, anchor)
    assert torch.equal(p, x.clamp(0, 1))


def test_ball_factory():
    assert isinstance(ball("l2", 1.0), L2Ball)
    assert isinstance(ball("linf", 1.0), LinfBall)
    assert isinstance(ball(None, None), Unconstrained)
    with pytest.raises(ValueError):
        ball("l3", 1.0)
    with pytest.raises(ValueError):
        L2Ball(-1.0)
