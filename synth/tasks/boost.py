"""BIGRoC: boosting a generator's images with a robust classifier (Alg. 2), label
de-biasing for the unconditional case, and the Linf radius comparable to an L2 run."""
from __future__ import annotations

import dataclasses

import torch

from ..objectives import class_score
from ._common import config, images, run, step_rate
from .results import BoostResult


@torch.no_grad()
def estimate_debias(model, generated: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """Per-class logit shifts d_c = a - mean_gen(logit_c) (BIGRoC §3, Fig. 3), with
    ``a`` the mean logit over classes, so that argmax(logits + d) spreads the generated
    images over the classes instead of piling them on a few.

    Args:
        generated: (N, 3, H, W) generated images in [0, 1].

    Returns:
        (K,) float shifts to add to the logits.
    """
    model.eval()
    logits = torch.cat([model(generated[i:i + batch_size].to(model.device)).float()
                        for i in range(0, len(generated), batch_size)])
    mean = logits.mean(0)
    return (mean.mean() - mean).cpu()


@torch.no_grad()
def assign_labels(model, x: torch.Tensor, debias: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) argmax of the logits, optionally shifted by ``debias`` (K,)."""
    logits = model(x).float()
    if debias is not None:
        logits = logits + debias.to(logits.device)
    return logits.argmax(1)


def boost(model, image, label=None, *, debias: torch.Tensor | None = None, preset=None, generator=None,
          callback=None, bf16=False, **overrides) -> BoostResult:
    """Post-process generated images toward their class inside a small ball (BIGRoC Alg. 2).

    ``x_boost = argmin_{x' in B_eps(x_gen)} CE(f(x'), y)`` by T PGD steps of size eps/T
    (the step size follows ``eps``/``steps`` unless ``step_size`` is given explicitly); a
    preset's ``max_prob`` stops each image once p(y) reaches it (see ``class_score``).

    Args:
        model: a robust ``RobustClassifier``.
        image: (N, 3, H, W) generated images in [0, 1] (or PIL).
        label: the intended classes (conditional generator); None = unconditional, the label
            is the model's (de-biased) prediction.
        debias: (K,) logit shifts from :func:`estimate_debias` (unconditional case).
        preset: default the model's data set's ``boost`` preset; ``norm="linf"`` for the Linf
            threat model (see :func:`comparable_linf_eps`).
        generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        BoostResult: ``x`` the boosted images, ``label`` the labels used, ``source`` the inputs, ``config``.

    Example:
        >>> res = synth.boost(model, vae_samples, labels, eps=1.0)
    """
    x = images(model, image)
    cfg = config("boost", model, preset, overrides)
    if cfg.eps > 0:  # Alg. 2: alpha = r * eps / T, r = 1 in BIGRoC (kept when eps or T are overridden)
        cfg = dataclasses.replace(cfg, step_size=step_rate("boost", model, preset, overrides, cfg) * cfg.eps / max(cfg.steps, 1))
    y = assign_labels(model, x, debias) if label is None else model.labels(label, len(x))
    res = run(model, x, class_score(y, max_prob=cfg.max_prob), cfg, generator=generator, callback=callback, bf16=bf16)
    return BoostResult.of(res, source=x, label=y, config=cfg)


def comparable_linf_eps(boosted: torch.Tensor, source: torch.Tensor, quantile: float = 0.7) -> float:
    """The Linf radius BIGRoC Fig. 4 compares with an L2 run: the ``quantile`` of the
    per-pixel absolute change the L2 run made."""
    return float(torch.quantile((boosted - source).abs().flatten().float()[:10_000_000], quantile))
