import importlib

import pytest
import torch

from synth.constraints import L2Ball, LinfBall, Masked, Unconstrained, l2_norm
from synth.objectives import class_score, masked_distance
from synth.pgd import bf16_is_native, noise_stds, pgd, step_multipliers


def test_score_rises(tiny, batch):
    y = torch.tensor([0, 1, 2])
    res = pgd(tiny, batch, class_score(y), L2Ball(2.0), steps=10, step_size=0.3)
    assert res.history.shape == (11, 3)
    assert (res.history[-1] > res.history[0]).all()
    assert torch.allclose(res.score, res.history[-1])
    assert res.probs.shape == (3, 4)


@pytest.mark.parametrize("constraint", [L2Ball(torch.tensor([0.1, 1.0, 3.0])), LinfBall(0.05)])
def test_constraint_holds(tiny, batch, constraint):
    res = pgd(tiny, batch, class_score(1), constraint, steps=8, step_size=0.5, random_start=True,
              generator=torch.Generator().manual_seed(0))
    assert res.x.min() >= 0 and res.x.max() <= 1
    if isinstance(constraint, L2Ball):
        assert (l2_norm(res.x - batch) <= constraint.eps + 1e-5).all()
    else:
        assert (res.x - batch).abs().max() <= 0.05 + 1e-6


def test_mask_respected(tiny, batch):
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:9, 4:9] = 1
    res = pgd(tiny, batch, class_score(2), Masked(L2Ball(5.0), mask), steps=5, step_size=1.0)
    assert torch.equal(res.x * (1 - mask), batch * (1 - mask))
    assert (res.x * mask - batch * mask).abs().sum() > 0


def test_penalty_keeps_unmasked_close(tiny, batch):
    keep = torch.ones(1, 1, 16, 16)
    keep[..., 4:9, 4:9] = 0
    loose = pgd(tiny, batch, class_score(2), L2Ball(5.0), steps=10, step_size=0.5)
    tight = pgd(tiny, batch, class_score(2) - 100.0 * masked_distance(batch, keep), L2Ball(5.0), steps=10, step_size=0.5)
    outside = lambda r: ((r.x - batch) * keep).flatten(1).norm(dim=1)  # noqa: E731
    assert (outside(tight) < outside(loose)).all()


def test_deterministic_and_batch_independent(tiny, batch):
    kw = dict(steps=5, step_size=0.3, random_start=True)
    a = pgd(tiny, batch, class_score(1), L2Ball(1.0), generator=torch.Generator().manual_seed(7), **kw)
    b = pgd(tiny, batch, class_score(1), L2Ball(1.0), generator=torch.Generator().manual_seed(7), **kw)
    assert torch.equal(a.x, b.x)
    alone = pgd(tiny, batch[1:2], class_score(1), L2Ball(1.0), steps=5, step_size=0.3)
    together = pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=5, step_size=0.3)
    assert torch.allclose(alone.x[0], together.x[1], atol=1e-5)


def test_a_random_start_with_one_generator_per_sample_is_batch_independent(tiny, batch):
    """With one generator per sample (synth.randomness) sample i's random start, and so its result, is the same alone
    or in a batch; the start is really random (not the anchor) and depends on the sample's own stream only."""
    kw = dict(steps=0, step_size=0.3, random_start=True)
    streams = lambda seeds: [torch.Generator().manual_seed(s) for s in seeds]  # noqa: E731
    together = pgd(tiny, batch, class_score(1), L2Ball(1.0), generator=streams([5, 6, 7]), **kw)
    alone = pgd(tiny, batch[1:2], class_score(1), L2Ball(1.0), generator=streams([6]), **kw)
    assert torch.allclose(alone.x[0], together.x[1], atol=1e-6)
    assert (l2_norm(together.x - batch) > 1e-3).all()  # moved off the anchor
    other = pgd(tiny, batch, class_score(1), L2Ball(1.0), generator=streams([5, 9, 7]), **kw)
    assert torch.equal(other.x[0], together.x[0]) and not torch.equal(other.x[1], together.x[1])
    with pytest.raises(ValueError, match="generators"):
        pgd(tiny, batch, class_score(1), L2Ball(1.0), generator=streams([5]), **kw)


def test_no_parameter_gradients_and_mode_restored(tiny, batch):
    tiny.train()
    pgd(tiny, batch, class_score(0), L2Ball(1.0), steps=3, step_size=0.3)
    assert tiny.training
    assert all(p.grad is None for p in tiny.parameters())
    tiny.eval()
    pgd(tiny, batch, class_score(0), Unconstrained(), steps=2, step_size=0.1)
    assert not tiny.training


def test_callback_and_early_stop(tiny, batch):
    seen = []
    res = pgd(tiny, batch, class_score(0), L2Ball(1.0), steps=10, step_size=0.1,
              callback=lambda step, x, score: seen.append(step) or step == 4)
    assert seen == [1, 2, 3, 4]
    assert res.history.shape[0] == 5


def test_keep_best(tiny, batch):
    res = pgd(tiny, batch, class_score(0), L2Ball(3.0), steps=10, step_size=2.0, keep_best=True)
    assert (res.score >= res.history.max(0).values - 1e-5).all()


def test_no_hooks_left(tiny, batch):
    from synth.objectives import feature_match
    with torch.no_grad():
        target = tiny.outputs(batch, ("layer2",)).features["layer2"]
    pgd(tiny, batch.flip(0), feature_match({"layer2": target}), L2Ball(1.0), steps=2, step_size=0.1)
    assert all(not m._forward_hooks for m in tiny.modules())


def test_bf16_close_to_fp32(tiny, batch):
    if not bf16_is_native("cpu"):
        pytest.skip("this CPU has no native bfloat16 (pgd runs float32 here; see test_bf16_falls_back)")
    a = pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=3, step_size=0.2)
    b = pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=3, step_size=0.2, bf16=True)
    assert (a.x - b.x).abs().max() < 0.1
    assert not torch.equal(a.x, b.x)  # autocast really ran


def test_bf16_falls_back_to_float32_where_emulated(tiny, batch, monkeypatch):
    """Emulated bf16 is 10-30x slower than float32 on AVX2-only CPUs: pgd must not use it there."""
    pgd_module = importlib.import_module("synth.pgd")  # the package's ``pgd`` attribute is the function
    seen = []
    real_autocast = torch.autocast
    monkeypatch.setattr(pgd_module.torch, "autocast", lambda *a, **k: seen.append(k) or real_autocast(*a, **k))
    monkeypatch.setattr(pgd_module, "bf16_is_native", lambda device_type: False)
    a = pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=2, step_size=0.2)
    b = pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=2, step_size=0.2, bf16=True)
    assert torch.equal(a.x, b.x) and not seen
    monkeypatch.setattr(pgd_module, "bf16_is_native", lambda device_type: True)
    pgd(tiny, batch, class_score(1), L2Ball(1.0), steps=1, step_size=0.2, bf16=True)
    assert seen and seen[0]["dtype"] == torch.bfloat16


@pytest.mark.parametrize("name", ["constant", "linear", "cosine"])
def test_every_step_schedule_walks_the_same_path_length_from_large_to_small_steps(name):
    m = step_multipliers(name, 60)
    assert m.shape == (60,) and torch.isclose(m.mean(), torch.tensor(1.0, dtype=m.dtype))
    assert (m[:-1] >= m[1:] - 1e-12).all() and (m >= 0).all()
    if name != "constant":
        assert m[0] > 1.9 and m[-1] < 1e-9
    assert step_multipliers(name, 1).tolist() == [1.0] and step_multipliers(name, 0).numel() == 0


def test_a_scheduled_run_takes_its_large_steps_first(tiny, batch):
    """With the linear schedule the first step moves about twice as far as a constant run's, the last nearly not at all."""
    moves, inner = {}, 0.3 + 0.4 * batch  # away from 0 and 1: no clamping shortens a step
    for name in ("constant", "linear"):
        xs = [inner]
        pgd(tiny, inner, class_score(1), Unconstrained(), steps=6, step_size=0.1, step_schedule=name,
            callback=lambda step, x, score: xs.append(x.detach().clone()))
        moves[name] = torch.stack([l2_norm(b - a) for a, b in zip(xs, xs[1:])])  # (steps, N)
    assert torch.allclose(moves["constant"], torch.full_like(moves["constant"], 0.1), atol=1e-3)
    assert torch.allclose(moves["linear"][0], torch.full((3,), 0.2), atol=2e-3)
    assert (moves["linear"][-1] < 1e-4).all()


def test_langevin_noise_is_annealed_drawn_from_the_generator_and_stays_in_the_ball(tiny, batch):
    stds = noise_stds(0.1, 5)
    assert torch.allclose(stds, torch.tensor([0.1, 0.075, 0.05, 0.025, 0.0], dtype=stds.dtype))
    kw = dict(steps=5, step_size=0.1, noise=0.1)
    a = pgd(tiny, batch, class_score(1), L2Ball(2.0), generator=torch.Generator().manual_seed(1), **kw)
    b = pgd(tiny, batch, class_score(1), L2Ball(2.0), generator=torch.Generator().manual_seed(1), **kw)
    c = pgd(tiny, batch, class_score(1), L2Ball(2.0), generator=torch.Generator().manual_seed(2), **kw)
    plain = pgd(tiny, batch, class_score(1), L2Ball(2.0), steps=5, step_size=0.1)
    assert torch.equal(a.x, b.x) and not torch.allclose(a.x, c.x, atol=1e-3)
    # the noise really moves the samples: far more than 5 plain steps of 0.1 can (per-pixel std 0.1 over 768 values)
    assert (l2_norm(a.x - plain.x) > 0.5).all()
    assert (l2_norm(a.x - batch) <= 2.0 + 1e-5).all() and a.x.min() >= 0 and a.x.max() <= 1
    streams = lambda seeds: [torch.Generator().manual_seed(s) for s in seeds]  # noqa: E731
    together = pgd(tiny, batch, class_score(1), L2Ball(2.0), generator=streams([5, 6, 7]), **kw)
    alone = pgd(tiny, batch[1:2], class_score(1), L2Ball(2.0), generator=streams([6]), **kw)
    assert torch.allclose(alone.x[0], together.x[1], atol=1e-5)


def test_noise_never_leaves_a_mask(tiny, batch):
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:9, 4:9] = 1
    res = pgd(tiny, batch, class_score(2), Masked(L2Ball(5.0), mask), steps=4, step_size=0.5, noise=0.2,
              generator=torch.Generator().manual_seed(0))
    assert torch.equal(res.x * (1 - mask), batch * (1 - mask))


def test_momentum_keeps_the_step_length_and_carries_the_previous_direction(tiny, batch):
    xs, inner = {}, 0.3 + 0.4 * batch
    for mu in (0.0, 0.9):
        seen = [inner]
        pgd(tiny, inner, class_score(1), Unconstrained(), steps=4, step_size=0.1, momentum=mu,
            callback=lambda step, x, score: seen.append(x.detach().clone()))
        xs[mu] = seen
    for seen in xs.values():  # every step is step_size long in L2, with or without momentum
        assert all(torch.allclose(l2_norm(b - a), torch.full((3,), 0.1), atol=1e-3) for a, b in zip(seen, seen[1:]))
    assert torch.allclose(xs[0.0][1], xs[0.9][1], atol=1e-6)  # the first step is the gradient's
    assert not torch.allclose(xs[0.0][-1], xs[0.9][-1], atol=1e-4)
    # with mu = 0.9, step 2 leans toward step 1: their cosine is higher than plain PGD's
    cos = lambda s: torch.nn.functional.cosine_similarity((s[1] - s[0]).flatten(1), (s[2] - s[1]).flatten(1))  # noqa: E731
    assert (cos(xs[0.9]) > cos(xs[0.0])).all()


@pytest.mark.parametrize("kw,msg", [(dict(steps=-1), "steps"), (dict(steps=2.5), "steps"), (dict(step_size=-1.0), "step_size"),
                                    (dict(momentum=1.0), "momentum"), (dict(momentum=-0.1), "momentum"),
                                    (dict(noise=-0.1), "noise"), (dict(step_schedule="exponential"), "schedule")])
def test_bad_arguments(tiny, batch, kw, msg):
    args = dict(steps=2, step_size=0.1) | kw
    with pytest.raises(ValueError, match=msg):
        pgd(tiny, batch, class_score(0), L2Ball(1.0), **args)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pgd(tiny, batch * 3, class_score(0), L2Ball(1.0), steps=1, step_size=0.1)
