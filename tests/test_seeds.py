import pytest
import torch

from synth import seeds
from synth.seeds import LowRankGaussian


def _data(n=60, d=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g) * 0.3
    return torch.randn(n, d, generator=g) @ a + 0.5


def test_lowrank_exact_when_rank_covers_data():
    x = _data(n=8, d=12)  # fewer images than dimensions: rank n-1 is exact
    g = LowRankGaussian.fit(x, rank=64)
    assert torch.allclose(g.covariance(), torch.cov(x.T).float(), atol=1e-5)
    assert torch.allclose(g.mean, x.mean(0), atol=1e-6)


def test_lowrank_truncated_keeps_variances():
    x = _data(n=200, d=12)
    g = LowRankGaussian.fit(x, rank=3)
    assert torch.allclose(torch.diagonal(g.covariance()), x.var(0), atol=1e-5)
    full = LowRankGaussian.fit(x, rank=12)
    assert torch.allclose(full.covariance(), torch.cov(x.T).float(), atol=1e-5)


def test_samples_match_statistics():
    x = _data(n=300, d=6)
    g = LowRankGaussian.fit(x, rank=6)
    s = g.sample(20000, torch.Generator().manual_seed(0))
    assert torch.allclose(s.mean(0), x.mean(0), atol=0.03)
    assert torch.allclose(torch.cov(s.T), torch.cov(x.T).float(), atol=0.03)


@pytest.mark.parametrize("kind", seeds.KINDS)
def test_fit_sample_save_load(tmp_path, kind):
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(40, 3, 16, 16, generator=g) * 255).to(torch.uint8)
    labels = torch.arange(40) % 2
    dist = seeds.fit(images, labels, ("a", "b"), kind, fit_size=8, rank=4, components=2, component_rank=2)
    y = torch.tensor([0, 1, 1])
    a = dist.sample(y, torch.Generator().manual_seed(5))
    b = dist.sample(y, torch.Generator().manual_seed(5))
    assert a.shape == (3, 3, 16, 16) and torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    if kind != "uniform":
        # nearest-neighbour upsampling from the fit size: 2x2 blocks are constant
        assert torch.equal(a[..., ::2, ::2], a[..., 1::2, 1::2])
        dist.save(tmp_path / "s.safetensors")
        back = seeds.SeedDistribution.load(tmp_path / "s.safetensors")
        c = back.sample(y, torch.Generator().manual_seed(5))
        assert (c - a).abs().max() < 0.02  # float16 factors


def test_class_means_fitted():
    images = torch.zeros(20, 3, 4, 4)
    images[10:] = 0.8
    labels = torch.tensor([0] * 10 + [1] * 10)
    dist = seeds.fit(images, labels, ("dark", "bright"), "univariate")
    assert torch.allclose(dist.components[1][0][1].mean, torch.full((48,), 0.8))


def test_unknown_kind():
    with pytest.raises(ValueError):
        seeds.fit(torch.zeros(4, 3, 4, 4), torch.zeros(4, dtype=torch.long), ("a",), "gamma")


def test_a_model_without_statistics_falls_back_to_uniform_seeds(tmp_path, monkeypatch):
    """A wrapped or added model has no seed statistics: generation still works, on uniform seeds, and says so;
    the benches can ask for the real thing (fallback=False) and get a clear error."""
    import warnings

    import synth
    from tests.conftest import make_tiny
    monkeypatch.setenv("SYNTH_SEEDS_DIR", str(tmp_path))
    model = make_tiny(0, dataset="my-own-data")
    with pytest.warns(UserWarning, match="uniform seeds used instead"):
        dist = synth.seeds.for_model(model, "multivariate")
    assert dist.kind == "uniform" and "my-own-data" in dist.info["fallback"]
    with pytest.raises(FileNotFoundError, match="no multivariate seed statistics"):
        synth.seeds.for_model(model, "multivariate", fallback=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = synth.generate(model, [0, 1], steps=2, generator=torch.Generator().manual_seed(0))
    assert res.x.shape == (2, 3, *model.input_size) and res.seeds.std() > 0.2  # uniform noise, not a blank start


def test_fitted_statistics_go_to_the_user_folder_and_are_found_there(tmp_path, monkeypatch):
    import synth
    from tests.conftest import make_tiny
    monkeypatch.setenv("SYNTH_SEEDS_DIR", str(tmp_path))
    model = make_tiny(0, dataset="my-own-data")
    images = (torch.rand(40, 3, *model.input_size) * 255).to(torch.uint8)
    labels = torch.arange(len(model.classes)).repeat(10)[:40]
    dist = synth.seeds.fit(images, labels, model.classes, "univariate", dataset="my-own-data")
    dist.save(synth.seeds.user_dir() / "my-own-data-univariate.safetensors")
    found = synth.seeds.for_model(model, "univariate")  # no warning: the user's statistics
    assert found.kind == "univariate" and "fallback" not in found.info
    assert synth.seeds.path_for("my-own-data", "univariate").parent == tmp_path
