"""Class-conditional generation (Santurkar et al. 2019, §3.1)."""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import torch

from .. import priors
from .. import seeds as seeds_mod
from ..objectives import class_score, feature_match
from ._common import config, run, run_phases
from .registry import BenchRow, Option, Task, ball_sweep, register
from .results import TaskResult


@dataclass(kw_only=True)
class GenerateResult(TaskResult):
    """``generate``: ``seeds`` (N, 3, H, W) the starting images in [0, 1]; ``label`` (N,) the target classes."""
    seeds: torch.Tensor
    label: torch.Tensor


def generate(model, label, *, seeds=None, targets=None, preset=None, generator=None, callback=None,
             bf16=False, **overrides) -> GenerateResult:
    """Generate images of the given classes from seeds, by targeted PGD.

    ``x = argmin_{||x' - x0||_2 <= eps} L(x', y)`` with ``x0 ~ G_y`` (eq. 2), i.e. maximise
    log p(y | x') inside an L2 ball around a seed drawn from the class's seed distribution
    (capped at ``max_prob`` when the preset sets it, see ``class_score``; ``max_prob=1``
    switches the cap off, ``None`` keeps the preset's).

    With a preset whose ``feature_prior`` weight lam is set, the steps after the first ``feature_prior_start`` of them
    maximise ``log p(y | x') - lam * ||R(x') - r||`` instead, ``r`` a target representation drawn per sample from the
    model's feature prior (``synth.priors``); a model without one (a wrapped or added model) runs without it, with a
    warning, and the result's ``config`` says so.

    Args:
        model: a ``RobustClassifier``.
        label: class name or index, or a list of them (one image per entry).
        seeds: seed kind (``multivariate``, ``univariate``, ``uniform``, ``mixture``), a
            ``SeedDistribution``, or a (N, 3, H, W) tensor of starting images in [0, 1];
            default: the preset's ``seed_kind`` (multivariate when it sets none).
        targets: (N, D) target representations for the feature prior (default: drawn from the model's prior with
            ``generator``, after the seeds); unused without a prior weight.
        preset: preset name (default: the model's data set's ``generate`` preset, or its
            ``<preset>_<seed kind>`` variant when ``seeds`` names a kind that has one).
        generator: ``torch.Generator`` for the seeds, the prior's targets, a random start and Langevin noise.
        callback: per-step hook, see ``pgd``.
        bf16: bfloat16 autocast.
        **overrides: ``eps``, ``steps``, ``step_size`` ... (see ``PGDConfig``).

    Returns:
        GenerateResult: ``x`` the samples, ``seeds`` the starting images, ``label``, ``config``.

    Example:
        >>> model = synth.load_model("cifar10-l2")
        >>> res = synth.generate(model, ["cat", "ship"], generator=torch.Generator().manual_seed(0))
        >>> res.x.shape
        torch.Size([2, 3, 32, 32])
    """
    names = label if isinstance(label, (list, tuple, torch.Tensor)) else [label]
    y = model.labels(names, len(names))
    cfg = config("generate", model, preset, overrides, variant=seeds if isinstance(seeds, str) else None)
    if isinstance(seeds, torch.Tensor):
        x0 = seeds.to(model.device, torch.float32)
        if x0.shape[1:] != (3, *model.input_size) or len(x0) != len(y):
            raise ValueError(f"seed images must be ({len(y)}, 3, {model.input_size[0]}, {model.input_size[1]})")
    else:
        kind = seeds if seeds is not None else cfg.seed_kind or "multivariate"
        dist = seeds if isinstance(seeds, seeds_mod.SeedDistribution) else seeds_mod.for_model(model, kind)
        x0 = dist.sample(y.cpu(), generator).to(model.device)
    score = class_score(y, max_prob=cfg.max_prob)
    first = round(cfg.feature_prior_start * cfg.steps)  # steps with the class score alone
    if cfg.feature_prior and targets is None:
        prior = priors.for_model(model)
        if prior is None:
            note = (f"no feature prior for {model.name!r}: generated without it (fit one with python -m synth.priors "
                    f"--model {model.name})")
            warnings.warn(note, stacklevel=2)
            cfg = dataclasses.replace(cfg, feature_prior=0.0, source=f"{cfg.source} ({note})")
        else:
            targets = prior.sample(y.cpu(), generator)
    if cfg.feature_prior:
        targets = torch.as_tensor(targets, dtype=torch.float32).to(model.device)
        if targets.dim() != 2 or len(targets) != len(y):
            raise ValueError(f"targets must be ({len(y)}, D) representations, got shape {tuple(targets.shape)}")
        prior_score = score + cfg.feature_prior * feature_match({"rep": targets})
        res = run_phases(model, x0, [(score, first), (prior_score, cfg.steps - first)], cfg, generator=generator,
                         callback=callback, bf16=bf16)
    else:
        res = run(model, x0, score, cfg, generator=generator, callback=callback, bf16=bf16)
    return GenerateResult.of(res, seeds=x0, label=y, config=cfg)


SEED_KINDS = ("multivariate", "univariate", "uniform", "mixture")


def _prepare(model, batch, options, cfg):
    kind = options.get("seeds") or cfg.seed_kind or "multivariate"
    dist = seeds_mod.for_model(model, kind, fallback=options.get("fallback", True))
    return {"label": batch.labels, "seeds": dist.sample(batch.labels.cpu(), batch.generator).to(model.device)}


# the bench's sweeps: multivariate and mixture seeds start close to the class (smaller radii; multivariate also the
# confidence caps and the former default, eps 30 with cap 0.99), univariate and uniform seeds far from it
_SWEEPS = {"multivariate": ball_sweep((6, 10, 20), caps=(1, 0.999), extra=[(30, 0.99)]), "mixture": ball_sweep((6, 10, 20)),
           "univariate": ball_sweep((10, 20, 30)), "uniform": ball_sweep((10, 20, 30, 40))}

register(Task(
    "generate", generate, GenerateResult, "class-conditional samples from seeds", _prepare, start="seeds", start_title="seed",
    takes="classes", order=0, variant_option="seeds",
    options=(Option("seeds", f"seed kind: {', '.join(SEED_KINDS)} (default: the preset's)"),),
    columns=lambda res, options, batch: {"seed_kind": options.get("seeds") or res.config.seed_kind or "multivariate"},
    bench=tuple(BenchRow(suffix=kind, options={"seeds": kind, "fallback": False}, sweep=_SWEEPS[kind], variant=kind)
                for kind in SEED_KINDS)))
