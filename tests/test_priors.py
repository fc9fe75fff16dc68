"""synth.priors: a model's class-conditional Gaussians over R(x): fitted, sampled, saved, found by model name, and used
by generation (the sampled-feature prior moves each sample's representation toward its own target)."""
import pytest
import torch

import synth
from synth import priors
from synth.constraints import l2_norm

from .conftest import make_tiny


def _fitted(model, n=40):
    images = torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    return priors.fit(model, images, torch.arange(n) % 4, rank=3)


def test_a_prior_fits_per_class_samples_deterministically_and_round_trips(tmp_path):
    model = make_tiny()
    prior = _fitted(model)
    assert prior.model == "tiny" and len(prior.gaussians) == 4 and prior.info["rank"] == 3
    dim = model.representation(torch.rand(1, 3, 16, 16)).shape[1]
    y = torch.tensor([0, 3, 3, 1])
    a = prior.sample(y, torch.Generator().manual_seed(1))
    assert a.shape == (4, dim) and (a >= 0).all()
    assert torch.equal(a, prior.sample(y, torch.Generator().manual_seed(1)))
    # one generator per sample: sample i is the same alone or in a batch
    streams = lambda seeds: [torch.Generator().manual_seed(s) for s in seeds]  # noqa: E731
    assert torch.equal(prior.sample(y[1:2], streams([6]))[0], prior.sample(y, streams([5, 6, 7, 8]))[1])
    # each class's targets centre on that class's mean representation
    many = prior.sample(torch.full((400,), 2), torch.Generator().manual_seed(0))
    assert (many.mean(0) - prior.gaussians[2].mean.clamp_min(0)).abs().max() < 0.5 * prior.gaussians[2].mean.abs().max() + 0.05
    prior.save(tmp_path / "tiny.safetensors")
    back = priors.FeaturePrior.load(tmp_path / "tiny.safetensors")
    assert back.classes == prior.classes and back.info == prior.info
    assert torch.allclose(back.sample(y, torch.Generator().manual_seed(1)), a, atol=1e-2)  # float16 factors
    with pytest.raises(ValueError, match="labels"):
        prior.sample(torch.tensor([4]))


def test_generation_with_a_prior_moves_each_sample_toward_its_own_target(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_SEEDS_DIR", str(tmp_path))
    model = make_tiny(dataset="cifar10")
    _fitted(model).save(tmp_path / "priors" / "tiny.safetensors")
    assert priors.for_model(model) is not None
    y, g = ["a", "b", "c", "d"], lambda: torch.Generator().manual_seed(0)  # noqa: E731
    kw = dict(preset="synth.generate.cifar10_prior", steps=20)
    with_prior = synth.generate(model, y, generator=g(), **kw)
    without = synth.generate(model, y, generator=g(), **kw, feature_prior=1e-9)
    assert with_prior.config.feature_prior > 0 and with_prior.history.shape == (21, 4)
    assert torch.equal(with_prior.seeds, without.seeds)
    targets = priors.for_model(model).sample(torch.arange(4), torch.Generator().manual_seed(0))
    # the same targets given explicitly give the same samples (drawn after the seeds from the same generator)
    g2 = g()
    seeds = synth.seeds.for_model(model, "multivariate").sample(torch.arange(4), g2)
    explicit = synth.generate(model, y, seeds=seeds, targets=priors.for_model(model).sample(torch.arange(4), g2), **kw)
    assert torch.allclose(explicit.x, with_prior.x, atol=1e-5)
    dist = lambda res: l2_norm(model.representation(res.x).detach() - targets)  # noqa: E731
    assert dist(with_prior).mean() < dist(without).mean()
    assert (l2_norm(with_prior.x - with_prior.seeds) <= with_prior.config.eps + 1e-4).all()
    with pytest.raises(ValueError, match="targets"):
        synth.generate(model, y, targets=torch.zeros(3, 8), **kw)


def test_a_model_without_a_prior_generates_without_it_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_SEEDS_DIR", str(tmp_path))
    model = make_tiny(dataset="cifar10")
    assert priors.for_model(model) is None
    with pytest.warns(UserWarning, match="no feature prior"):
        res = synth.generate(model, ["a"], preset="synth.generate.cifar10_prior", steps=4)
    assert res.config.feature_prior == 0 and "no feature prior" in res.config.source


@pytest.mark.parametrize("bad", [dict(feature_prior=-1.0), dict(feature_prior_start=1.0), dict(feature_prior_start=-0.1)])
def test_bad_prior_settings_are_refused(bad):
    with pytest.raises(ValueError, match="feature_prior"):
        synth.presets.resolve("synth.generate.cifar10_prior", **bad)


@pytest.mark.parametrize("name,images", [("cifar10-l2", 50_000), ("cifar10-standard", 50_000), ("imagenette-l2", 9_469),
                                         ("imagenette-standard", 9_469)])
def test_the_shipped_priors_belong_to_their_models(name, images):
    """Each bundled robust model and its standard twin has a prior of its own, fitted on its whole training split."""
    prior = priors.FeaturePrior.load(priors.PRIORS_DIR / f"{name}.safetensors")
    assert prior.model == name and prior.info["images"] == images and len(prior.classes) == 10
    assert prior.sample(torch.arange(10), torch.Generator().manual_seed(0)).shape == (10, prior.dim)


def test_the_two_phases_count_steps_as_one_run_and_an_early_stop_ends_both(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_SEEDS_DIR", str(tmp_path))
    model = make_tiny(dataset="cifar10")
    _fitted(model).save(tmp_path / "priors" / "tiny.safetensors")
    seen = []
    res = synth.generate(model, ["a", "b"], preset="synth.generate.cifar10_prior", steps=8,
                         callback=lambda step, x, score: seen.append(step))
    assert seen == list(range(1, 9)) and res.history.shape == (9, 2)
    seen.clear()
    res = synth.generate(model, ["a", "b"], preset="synth.generate.cifar10_prior", steps=8,
                         callback=lambda step, x, score: seen.append(step) or step == 3)
    assert seen == [1, 2, 3] and res.history.shape == (4, 2)  # stopped in the first phase: the prior's never ran
