"""Robust interpolation (BIGRoC eq. 3, Fig. 6): move a source image toward a target by
matching the target's features at several layers, inside growing balls."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..constraints import L2Ball, l2_norm
from ..objectives import feature_match
from ..pgd import pgd
from ._common import config, images, sampler_options, step_rate
from .registry import BenchRow, Option, Task, register
from .results import TaskResult

DEFAULT_FRACTIONS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(kw_only=True)
class InterpolateResult(TaskResult):
    """``interpolate``: ``x`` holds F frames. ``distance`` (F,) each frame's feature distance to the target, ``eps``
    (F,) the radius of each frame's ball, ``fractions`` (F,) where each frame lies between source (0) and target (1);
    ``source`` (1, 3, H, W) the source image."""
    source: torch.Tensor = field(metadata={"batch_dim": None})
    distance: torch.Tensor
    eps: torch.Tensor
    fractions: torch.Tensor


def interpolate(model, source, target, *, layers=None, weights=None, fractions=DEFAULT_FRACTIONS, preset=None,
                generator=None, callback=None, bf16=False, **overrides) -> InterpolateResult:
    """Frames from ``source`` to ``target``.

    Frame c solves ``argmin_{||d|| <= c * ||x_t - x_s||} sum_i w_i ||F_i(x_s + d) - F_i(x_t)||_2``
    (eq. 3) by PGD, each frame starting from the previous one. The radius comes from the fractions; the
    preset's ``eps`` and ``step_size`` give the step rule, ``step_k = (step_size / eps) * eps_k`` at the preset's
    ``steps`` T (the ``synth.*`` presets: 2.5 eps_k / T; BIGRoC's: eps_k / T); overriding ``steps`` keeps that
    rule, overriding ``step_size`` or ``eps`` sets it from the overridden values (``step_size`` relative to ``eps``).
    The norm is L2 (another is refused).

    Args:
        model: a ``RobustClassifier`` (a standard one shows the contrast).
        source, target: one image each, (1, 3, H, W) in [0, 1] or PIL.
        layers: feature layers to match (default: the last three stages plus R(x)).
        weights: {layer: w_i}; default 1 each.
        fractions: the c values in [0, 1], one frame each (0 = the source itself).
        preset, generator, callback, bf16, **overrides: as in ``generate``; ``steps`` is T.

    Returns:
        InterpolateResult with ``x`` the frames (F, 3, H, W); ``distance`` (F,) the
        feature distance to the target of each frame, ``eps`` the radii, ``fractions``, ``config``.
    """
    xs, xt = images(model, source), images(model, target)
    if len(xs) != 1 or len(xt) != 1:
        raise ValueError("interpolate takes one source and one target image")
    frac = torch.as_tensor(fractions, dtype=torch.float32)
    if frac.dim() != 1 or len(frac) == 0 or (frac < 0).any() or (frac > 1).any():
        raise ValueError("fractions must be values in [0, 1]")
    cfg = config("interpolate", model, preset, overrides)
    if cfg.norm != "l2":
        raise ValueError(f"interpolate works in L2 (its frame radii are L2 distances), not {cfg.norm}")
    # step_k = r * eps_k / T, r = step_size * T / eps: the preset's, kept when only steps is overridden
    rate = step_rate("interpolate", model, preset, overrides, cfg, kept=("steps",)) / max(cfg.steps, 1)
    stages = [n for n in model.layer_names() if n.split(".")[-1].startswith("layer")] or model.layer_names()
    layers = tuple(layers) if layers is not None else tuple(stages[-3:]) + ("rep",)
    with torch.no_grad():
        out = model.outputs(xt, [n for n in layers if n != "rep"])
    feats = {**out.features, "rep": out.rep}
    targets = {n: feats[n] for n in layers}
    eps = frac.to(xs.device) * l2_norm(xt - xs)
    objective = feature_match({n: t[:1] for n, t in targets.items()}, weights)
    # continuation: frame k starts from frame k-1 (feasible in its larger ball) and keeps its best
    # iterate, so the feature distance can only fall from frame to frame; step rate * eps_k
    frames, scores, histories, logits, x = [], [], [], [], xs
    for k in range(len(frac)):
        r = pgd(model, x, objective, L2Ball(eps[k]), steps=cfg.steps, step_size=rate * float(eps[k]),
                anchor=xs, keep_best=True, generator=generator, callback=callback, bf16=bf16, **sampler_options(cfg))
        x = r.x
        frames.append(r.x), scores.append(r.score), histories.append(r.history), logits.append(r.logits)
    score = torch.cat(scores)
    return InterpolateResult(x=torch.cat(frames), score=score, history=torch.cat(histories, 1), logits=torch.cat(logits),
                             distance=-score, eps=eps, fractions=frac, source=xs, config=cfg)



def _prepare(model, batch, options, cfg):
    frames = options.get("frames") or len(DEFAULT_FRACTIONS)
    if frames < 2:
        raise ValueError(f"frames must be at least 2, not {frames}")
    return {"source": batch.images, "target": batch.pairs, "fractions": torch.linspace(0, 1, frames).tolist()}


register(Task(
    "interpolate", interpolate, InterpolateResult, "frames from each --images image to the --targets image of the same index",
    _prepare, start="source", start_title="source", takes="pairs", strip=True, order=70,
    options=(Option("targets", "target images, paired with --images by index", required=True),
             Option("frames", "frames per pair (default 6)", int, default=6)),
    columns=lambda res, options, batch: {"fractions": res.fractions.tolist(), "distance": res.distance.tolist()},
    # the bench judges the frame at fraction 0.6 (the fourth of six)
    bench=(BenchRow(options={"frame": 3}, chooses=False),)))
