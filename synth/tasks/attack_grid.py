"""The targeted-attack grid of Santurkar et al. 2019, Fig. 2 (and BIGRoC Fig. 2):
large-eps targeted PGD from real images toward every class."""
from __future__ import annotations

import torch

from dataclasses import dataclass


from ..objectives import class_score
from ._common import config, images, run
from .results import TaskResult


@dataclass(kw_only=True)
class AttackGridResult(TaskResult):
    """``attack_grid``: ``x`` (N * K, 3, H, W), image i toward target j at ``x[i * K + j]``; ``grid`` the same as
    (N, K, 3, H, W); ``source`` (N, 3, H, W) the inputs; ``label`` (N * K,) the target of each output."""
    grid: torch.Tensor
    source: torch.Tensor
    label: torch.Tensor


def attack_grid(model, image, *, targets=None, preset=None, generator=None, callback=None, bf16=False,
                **overrides) -> AttackGridResult:
    """Targeted PGD from each image toward each target class.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s).
        targets: class names/indices (default: every class, K of them).
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        AttackGridResult with ``x`` of shape (N * K, 3, H, W), row-major: image i toward target j
        is ``x[i * K + j]``; ``grid`` is (N, K, 3, H, W).
    """
    x = images(model, image)
    targets = list(range(len(model.classes))) if targets is None else list(targets)
    y = model.labels(targets, len(targets))
    n, k = len(x), len(y)
    cfg = config("attack", model, preset, overrides)
    res = run(model, x.repeat_interleave(k, 0), class_score(y.repeat(n), max_prob=cfg.max_prob), cfg, generator=generator,
              callback=callback, bf16=bf16)
    return AttackGridResult.of(res, grid=res.x.view(n, k, *x.shape[1:]), source=x, label=y.repeat(n), config=cfg)
