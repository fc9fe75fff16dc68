"""Shared plumbing of the task functions: input checking, preset resolution, and the
call into :func:`synth.pgd.pgd` (tasks never loop themselves)."""
from __future__ import annotations

import dataclasses

import torch

from .. import presets
from ..constraints import ball
from ..imageio import to_tensor
from ..pgd import PGDResult, pgd


def images(model, image, fit: str = "crop") -> torch.Tensor:
    """Task input -> (N, 3, H, W) float in [0, 1] at the model's size, on its device."""
    return to_tensor(image, model.input_size, fit).to(model.device)


def config(task: str, model, preset, overrides: dict, variant: str | None = None) -> presets.PGDConfig:
    """The preset (default: the model's data set's, for ``variant`` where it has one) with overrides applied.

    Raises:
        ValueError: the setting sets a field ``task`` does not read (``presets.TASK_FIELDS``), e.g. ``lam`` for
            ``translate``: refused rather than silently ignored.
    """
    cfg = presets.resolve(preset or presets.for_model(task, model, variant), **overrides)
    unused = presets.unused_fields(task, cfg)
    if unused:
        raise ValueError(f"{task} does not use {', '.join(unused)} (it reads {', '.join(presets.TASK_FIELDS[task])})")
    return cfg


def step_rate(task: str, model, preset, overrides: dict, cfg: presets.PGDConfig, kept=("eps", "steps")) -> float:
    """The step rule r of a task whose step is ``r * radius / steps`` (boost: BIGRoC's eps / T, r = 1; interpolate:
    r * eps_k / T per frame radius eps_k). It is the preset's r = step_size * steps / eps when the call overrides only
    fields in ``kept`` (so ``steps`` alone keeps the rule); otherwise the overridden setting's (an explicit
    ``step_size`` is used as given)."""
    given = {k for k in ("eps", "steps", "step_size") if overrides.get(k) is not None}
    base = presets.resolve(preset or presets.for_model(task, model)) if given <= set(kept) else cfg
    return base.step_size * base.steps / base.eps if base.eps > 0 else 1.0


@torch.no_grad()
def predict_labels(model, x: torch.Tensor) -> torch.Tensor:
    """(N,) the model's predicted class for each image (used when no label is given)."""
    return model.predict(x).argmax(1).to(x.device)


def run(model, x0, objective, cfg: presets.PGDConfig, *, anchor=None, constraint=None, generator=None,
        callback=None, bf16=False) -> PGDResult:
    """``pgd`` with the preset's norm, eps, steps, step size, random start and sampler options."""
    return pgd(model, x0, objective, constraint or ball(cfg.norm, cfg.eps), steps=cfg.steps,
               step_size=cfg.step_size, anchor=anchor, generator=generator, callback=callback, bf16=bf16,
               **sampler_options(cfg))


def run_phases(model, x0, phases, cfg: presets.PGDConfig, *, generator=None, callback=None, bf16=False) -> PGDResult:
    """:func:`run` in consecutive phases that share the ball around ``x0``: ``phases`` is a list of ``(objective,
    steps)``, each phase starting where the previous one stopped (the step schedule and the noise restart with each
    phase; a random start applies to the first only). The callback sees the steps numbered across phases; when it
    stops a phase early, the later ones do not run. The result's ``history`` has one row per step of all phases and
    the final score, each row scored with the objective of its phase."""
    x, histories, done, res = x0, [], 0, None
    for i, (objective, steps) in enumerate(phases):
        hook = None if callback is None else (lambda step, xs, score, done=done: callback(done + step, xs, score))
        phase = dataclasses.replace(cfg, steps=steps, random_start=cfg.random_start and i == 0)
        res = run(model, x, objective, phase, anchor=x0, generator=generator, callback=hook, bf16=bf16)
        histories.append(res.history[:-1])
        x, done = res.x, done + steps
        if res.history.shape[0] - 1 < steps:  # stopped early by the callback
            break
    return dataclasses.replace(res, history=torch.cat([*histories, res.history[-1:]]))


def sampler_options(cfg: presets.PGDConfig) -> dict:
    """The keyword arguments of ``pgd`` that a preset sets beyond the ball and the step: random start, momentum,
    Langevin noise, step schedule (one place, so that a task calling ``pgd`` itself passes them all)."""
    return {"random_start": cfg.random_start, "momentum": cfg.momentum, "noise": cfg.noise,
            "step_schedule": cfg.step_schedule}
