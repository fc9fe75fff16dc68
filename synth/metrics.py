"""Image-quality and sample-quality measures (per image where possible).

PSNR/SSIM come from torchmetrics. The Fréchet distance is computed in the feature
space of a network that is available offline: Inception through torchmetrics when its
weights are present, otherwise the penultimate features of a project classifier (e.g.
``cifar10-standard``), always labelled with the feature space used.
"""
from __future__ import annotations

from pathlib import Path

import torch

# torch-fidelity's FID Inception-v3 (the TF-FID weights), which torchmetrics' FID and IS load
# from GitHub into the torch hub cache; they cannot be downloaded on an offline machine.
INCEPTION_WEIGHTS = "weights-inception-2015-12-05-6726825d.pth"


def psnr(x: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) PSNR in dB of images in [0, 1] against references; with ``mask`` ((N or 1, 1, H, W)
    in {0, 1}) only over the masked pixels (e.g. an inpainted patch)."""
    if mask is None:
        from torchmetrics.functional.image import peak_signal_noise_ratio
        return peak_signal_noise_ratio(x.float(), ref.float(), data_range=1.0, reduction="none", dim=(1, 2, 3))
    m = mask.to(x.device, torch.float32).expand(len(x), 1, *x.shape[-2:])
    se = ((x.float() - ref.float()) ** 2 * m).flatten(1).sum(1) / (m.flatten(1).sum(1) * x.shape[1]).clamp_min(1)
    return 10 * torch.log10(1 / se.clamp_min(1e-12))


def ssim(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """(N,) SSIM of images in [0, 1] against references (Gaussian window 11, or smaller for tiny images)."""
    from torchmetrics.functional.image import structural_similarity_index_measure
    k = 11 if min(x.shape[-2:]) >= 16 else 3
    return structural_similarity_index_measure(x.float(), ref.float(), data_range=1.0, reduction="none", kernel_size=k)


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n, d), in float64."""
    a, b = feats_a.double(), feats_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # trace of sqrt(cov_a cov_b) from the eigenvalues of the product (real, >= 0 up to rounding)
    eig = torch.linalg.eigvals(cov_a @ cov_b).real.clamp_min(0)
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * eig.sqrt().sum())


@torch.no_grad()
def features(model, x: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """(N, D) penultimate features of ``model`` for images in [0, 1]."""
    model.eval()
    return torch.cat([model.representation(x[i:i + batch_size].to(model.device)).float().cpu()
                      for i in range(0, len(x), batch_size)])


@torch.no_grad()
def agreement(model, x: torch.Tensor, label: torch.Tensor, batch_size: int = 250) -> float:
    """Fraction (0..1) of images (N, 3, H, W) in [0, 1] the classifier assigns to the intended class (N,)."""
    hits = sum(int((model.predict(x[i:i + batch_size].to(model.device)).argmax(1).cpu() == label[i:i + batch_size].cpu()).sum())
               for i in range(0, len(x), batch_size))
    return hits / max(len(x), 1)


def inception_weights_path() -> Path:
    """Where torch-fidelity keeps the FID Inception-v3 weights (torch hub cache ``checkpoints/``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS


def inception_scores(fake: torch.Tensor, real: torch.Tensor, download: bool | None = None,
                     batch_size: int = 100) -> dict | None:
    """Inception Score of ``fake`` and FID between ``fake`` and ``real`` (torchmetrics on the
    FID Inception-v3, images resized to 299 px inside), the numbers the papers report.

    Args:
        fake, real: (N, 3, H, W) images in [0, 1] (FID wants a few thousand of each to be stable).
        download: fetch the weights when missing (also ``SYNTH_DOWNLOAD=1``); needs the network.
    Returns:
        ``{"inception_score": float, "inception_score_std": float, "fid": float}``, or None when the
        weights are not at :func:`inception_weights_path` and downloading was not asked for, so an
        offline machine never waits on the network.
    """
    from synth.data import download_allowed
    if not inception_weights_path().exists() and not download_allowed(download):
        return None
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.inception import InceptionScore
    fid, score = FrechetInceptionDistance(normalize=True), InceptionScore(normalize=True)
    for images, is_real in ((real, True), (fake, False)):
        for i in range(0, len(images), batch_size):
            batch = images[i:i + batch_size].float().clamp(0, 1).cpu()
            fid.update(batch, real=is_real)
            if not is_real:
                score.update(batch)
    mean, std = score.compute()
    return {"inception_score": float(mean), "inception_score_std": float(std), "fid": float(fid.compute())}
