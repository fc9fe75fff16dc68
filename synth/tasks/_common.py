"""Shared plumbing of the task functions: input checking, preset resolution, and the
call into :func:`synth.pgd.pgd` (tasks never loop themselves)."""
from __future__ import annotations

import torch

from .. import presets
from ..constraints import ball
from ..imageio import to_tensor
from ..pgd import PGDResult, pgd


def images(model, image, fit: str = "crop") -> torch.Tensor:
    """Task input -> (N, 3, H, W) float in [0, 1] at the model's size, on its device."""
    return to_tensor(image, model.input_size, fit).to(model.device)


def config(task: str, model, preset, overrides: dict, variant: str | None = None) -> presets.PGDConfig:
    """The preset (default: the model's data set's, for ``variant`` where it has one) with overrides applied."""
    return presets.resolve(preset or presets.for_model(task, model, variant), **overrides)


@torch.no_grad()
def predict_labels(model, x: torch.Tensor) -> torch.Tensor:
    """(N,) the model's predicted class for each image (used when no label is given)."""
    return model.predict(x).argmax(1).to(x.device)


def run(model, x0, objective, cfg: presets.PGDConfig, *, anchor=None, constraint=None, generator=None,
        callback=None, bf16=False) -> PGDResult:
    """``pgd`` with the preset's norm, eps, steps, step size and random start."""
    return pgd(model, x0, objective, constraint or ball(cfg.norm, cfg.eps), steps=cfg.steps,
               step_size=cfg.step_size, anchor=anchor, random_start=cfg.random_start, generator=generator,
               callback=callback, bf16=bf16)
