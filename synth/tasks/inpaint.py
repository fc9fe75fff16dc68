"""Inpainting (Santurkar et al. 2019, §3.2, eq. 3)."""
from __future__ import annotations

import torch

from ..imageio import to_mask
from ..objectives import class_score, masked_distance
from ..pgd import PGDResult
from ._common import config, images, predict_labels, run


def random_patch_mask(n: int, size: tuple[int, int], patch: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, 1, H, W) masks with one ``patch`` x ``patch`` square of ones at a random place each."""
    h, w = size
    if not 0 < patch <= min(h, w):
        raise ValueError(f"patch must be in 1..{min(h, w)}, not {patch}")
    top = torch.randint(0, h - patch + 1, (n,), generator=generator)
    left = torch.randint(0, w - patch + 1, (n,), generator=generator)
    mask = torch.zeros(n, 1, h, w)
    for i in range(n):
        mask[i, :, top[i]:top[i] + patch, left[i]:left[i] + patch] = 1
    return mask


def corrupt(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Fill the masked region with each image's per-channel mean of the known pixels
    (the paper uses the whole image's mean, which an inpainter cannot know)."""
    keep = 1 - mask
    mean = (image * keep).sum((2, 3), keepdim=True) / keep.sum((2, 3), keepdim=True).clamp_min(1)
    return image * keep + mean * mask


def inpaint(model, image, mask, *, label=None, preset=None, generator=None, callback=None, bf16=False,
            **overrides) -> PGDResult:
    """Fill the masked region so the image looks like its class.

    ``x_I = argmin_x' L(x', y) + lam * ||(x - x') * (1 - m)||`` (eq. 3; the notebook preset
    uses the mean squared difference), inside an L2 ball around the corrupted image,
    whose masked pixels are first set to the per-channel mean.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s) (the masked pixels are ignored).
        mask: (N or 1, 1, H, W) tensor or PIL mask; 1 (white) = pixels to fill.
        label: class(es) to fill in; default: the model's prediction on the corrupted image.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        PGDResult; ``extras["corrupted"]`` the mean-filled input, ``extras["label"]``.

    Raises:
        ValueError: an empty or full mask, or mismatched sizes.

    Example:
        >>> mask = synth.random_patch_mask(4, (32, 32), 10)
        >>> res = synth.inpaint(model, x, mask)
    """
    x = images(model, image)
    m = to_mask(mask, model.input_size).to(x.device)
    if len(m) not in (1, len(x)):
        raise ValueError(f"got {len(m)} masks for {len(x)} images")
    area = m.flatten(1).mean(1)
    if (area == 0).any() or (area == 1).any():
        raise ValueError("the mask must cover part of the image: it is empty or covers everything")
    cfg = config("inpaint", model, preset, overrides)
    x_corrupt = corrupt(x, m)
    y = predict_labels(model, x_corrupt) if label is None else model.labels(label, len(x))
    penalty = masked_distance(x_corrupt, keep=1 - m, mean_squared=cfg.penalty == "mean_squared")
    res = run(model, x_corrupt, class_score(y) - (cfg.lam or 0.0) * penalty, cfg, generator=generator,
              callback=callback, bf16=bf16)
    res.extras.update(corrupted=x_corrupt, mask=m, label=y, config=cfg)
    return res
