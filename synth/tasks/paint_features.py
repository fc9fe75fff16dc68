"""Feature painting (Santurkar et al. 2019, §3.5, eq. 5, Fig. 8)."""
from __future__ import annotations

import torch

from ..imageio import to_mask
from ..objectives import activation, masked_distance
from ._common import config, images, run
from .results import PaintResult


def paint_features(model, image, mask, feature, *, preset=None, generator=None, callback=None, bf16=False,
                   **overrides) -> PaintResult:
    """Paint one representation component into the masked region.

    ``x_I = argmax_x' R(x')_f - lam * ||(x - x') * (1 - m)||`` (eq. 5), R the penultimate
    layer through a straight-through ReLU, inside an L2 ball around the image.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s).
        mask: (N or 1, 1, H, W) or PIL; 1 = where to paint.
        feature: index f of R(x) (0 <= f < D), or one per image.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        PaintResult: ``x``, ``activation`` R(x)_f before and after (2, N), ``mask``, ``feature``, ``config``.
    """
    x = images(model, image)
    m = to_mask(mask, model.input_size).to(x.device)
    area = m.flatten(1).mean(1)
    if (area == 0).any():
        raise ValueError("the mask is empty: draw where the feature should be painted")
    with torch.no_grad():
        dim = model.representation(x[:1]).shape[1]
    f = torch.as_tensor(feature, dtype=torch.long).flatten()
    if ((f < 0) | (f >= dim)).any():
        raise ValueError(f"feature must be in 0..{dim - 1}")
    f = f.expand(len(x)).to(x.device) if f.numel() == 1 else f.to(x.device)
    cfg = config("paint_features", model, preset, overrides)
    penalty = masked_distance(x, keep=1 - m, mean_squared=cfg.penalty == "mean_squared")
    objective = activation(f, cfg.activation_scale) - (cfg.lam or 0.0) * penalty
    res = run(model, x, objective, cfg, generator=generator, callback=callback, bf16=bf16)
    with torch.no_grad():
        before = model.representation(x).gather(1, f.view(-1, 1)).squeeze(1)
        after = model.representation(res.x).gather(1, f.view(-1, 1)).squeeze(1)
    return PaintResult.of(res, mask=m, feature=f, activation=torch.stack([before, after]), config=cfg)
