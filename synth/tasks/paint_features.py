"""Feature painting (Santurkar et al. 2019, §3.5, eq. 5, Fig. 8)."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..imageio import to_mask
from ..objectives import activation, masked_distance
from ._common import config, images, predict_labels, run
from .registry import BenchRow, Option, Task, register
from .results import TaskResult


@dataclass(kw_only=True)
class PaintResult(TaskResult):
    """``paint_features``: ``source`` (N, 3, H, W) the images painted on; ``mask`` (N or 1, 1, H, W), 1 = painted;
    ``feature`` (N,) the unit of R(x) painted; ``activation`` (2, N) R(x)_feature before and after."""
    source: torch.Tensor
    mask: torch.Tensor
    feature: torch.Tensor
    activation: torch.Tensor = field(metadata={"batch_dim": 1})


def paint_features(model, image, mask, feature=None, *, label=None, preset=None, generator=None, callback=None, bf16=False,
                   **overrides) -> PaintResult:
    """Paint one representation component into the masked region.

    ``x_I = argmax_x' R(x')_f - lam * ||(x - x') * (1 - m)||`` (eq. 5), R the penultimate
    layer through a straight-through ReLU, inside an L2 ball around the image.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s).
        mask: (N or 1, 1, H, W) or PIL; 1 = where to paint.
        feature: index f of R(x) (0 <= f < D), or one per image; or None with ``label``.
        label: class(es): paint the unit of R(x) that votes most for the class (its largest weight in the last
            linear layer), when ``feature`` is None (and no label: the model's predicted class).
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
    if feature is None:  # the strongest unit of the given class, else of the model's prediction
        y = predict_labels(model, x) if label is None else model.labels(label, len(x))
        feature = strongest_unit(model, y)
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
    return PaintResult.of(res, source=x, mask=m, feature=f, activation=torch.stack([before, after]), config=cfg)


def strongest_unit(model, label: torch.Tensor) -> torch.Tensor:
    """(N,) for (N,) classes: the unit of R(x) with the largest weight for each class in the model's last linear layer."""
    linear = [m for m in model.net.modules() if isinstance(m, torch.nn.Linear)]
    if not linear:
        raise ValueError(f"{model.name} has no linear last layer: give the feature index")
    return linear[-1].weight.argmax(1)[label.to(linear[-1].weight.device)].cpu()


def centre_mask(size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W): ones on the centre quarter (the default region to paint)."""
    h, w = size
    mask = torch.zeros(1, 1, h, w)
    mask[..., h // 4: h - h // 4, w // 4: w - w // 4] = 1
    return mask


def _prepare(model, batch, options, cfg):
    feature = options.get("feature")
    return {"image": batch.images, "mask": centre_mask(model.input_size).to(batch.images.device), "feature": feature,
            "label": batch.labels if feature is None else None}


register(Task(
    "paint_features", paint_features, PaintResult, "paint one representation unit into the centre quarter", _prepare,
    start="source", start_title="image", target=True, order=50, aliases=("paint",),
    options=(Option("feature", "index of the unit of R(x) (default: the strongest unit of --label's class, else of the "
                               "predicted class)", int),),
    columns=lambda res, options, batch: {"feature": res.feature.tolist()},
    # judged on the painted centre quarter (cut out and resized); radii at the preset's step ratio eps / 15
    bench=(BenchRow(sweep=tuple({"eps": float(e), "step_size": round(e / 15, 4)} for e in (3, 6, 10)), region="mask"),)))
