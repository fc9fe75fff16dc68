import pytest
import torch

from synth import metrics


def test_psnr_full_and_masked():
    ref = torch.zeros(2, 3, 8, 8)
    x = ref.clone()
    x[0, :, :4] = 0.1          # error only in the top half of image 0
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    full, region = metrics.psnr(x, ref), metrics.psnr(x, ref, mask)
    # MSE 0.01 on the region -> 20 dB; over the whole image it is halved -> +3 dB
    assert torch.allclose(region[0], torch.tensor(20.0), atol=1e-3)
    assert torch.allclose(full[0], torch.tensor(20.0 + 10 * torch.log10(torch.tensor(2.0)).item()), atol=1e-3)
    assert region[1] > 100 and full[1] > 100  # identical images


def test_inception_scores_offline_without_weights_returns_none(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.delenv("SYNTH_DOWNLOAD", raising=False)
    assert metrics.inception_weights_path() == tmp_path / "checkpoints" / metrics.INCEPTION_WEIGHTS
    assert metrics.inception_scores(torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)) is None


def test_inception_scores_with_cached_weights():
    if not metrics.inception_weights_path().exists():
        pytest.skip(f"FID Inception weights not at {metrics.inception_weights_path()} (offline machine)")
    pytest.importorskip("torch_fidelity")
    g = torch.Generator().manual_seed(0)
    real = torch.rand(40, 3, 32, 32, generator=g)
    same = metrics.inception_scores(real, real)
    noise = metrics.inception_scores(torch.zeros(40, 3, 32, 32), real)
    assert same["fid"] < 1.0 < noise["fid"]
    assert 1.0 <= same["inception_score"] <= 1000
