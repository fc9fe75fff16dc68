"""Super-resolution (Santurkar et al. 2019, §3.4, eq. 4)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..constraints import BlockMeanConsistent, ball
from ..imageio import to_tensor
from ..metrics import psnr, ssim
from ..objectives import class_score
from ..presets import UPSAMPLINGS
from ._common import config, predict_labels, run
from .registry import BenchRow, ball_sweep, Option, Task, register
from .results import TaskResult


@dataclass(kw_only=True)
class SuperResolveResult(TaskResult):
    """``super_resolve``: ``upsampled`` (N, 3, H, W) the start (nearest or bicubic upsampling, back-projected when the
    setting is consistent) in [0, 1]; ``label`` (N,). With ``ground_truth``: ``psnr`` (N,) in dB and ``ssim`` (N,) of
    the results, ``psnr_init`` and ``ssim_init`` of the start; else None."""
    upsampled: torch.Tensor
    label: torch.Tensor
    psnr: torch.Tensor | None = None
    ssim: torch.Tensor | None = None
    psnr_init: torch.Tensor | None = None
    ssim_init: torch.Tensor | None = None


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Block-mean downsampling (the authors' code): (N, 3, H, W) -> (N, 3, H/k, W/k)."""
    return F.avg_pool2d(x, factor)


def upsample(x: torch.Tensor, factor: int, init: str = "nearest") -> torch.Tensor:
    """Nearest-neighbour (the paper) or bicubic (its suggestion) upsampling, clamped to [0, 1]."""
    if init not in UPSAMPLINGS:
        raise ValueError(f"init must be one of {UPSAMPLINGS}, not {init!r}")
    if init == "nearest":
        return F.interpolate(x, scale_factor=factor, mode="nearest")
    return F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False).clamp(0, 1)


def super_resolve(model, low_res, *, factor=None, label=None, init=None, consistent=None, ground_truth=None, preset=None,
                  generator=None, callback=None, bf16=False, **overrides) -> SuperResolveResult:
    """Upsample by ``factor`` and add the class's features with targeted PGD.

    ``x_H = argmin_{||x' - up(x_L)|| < eps} L(x', y)`` (eq. 4), ``up`` nearest neighbour
    (paper) or bicubic. With ``consistent`` the start and every iterate are projected onto
    the images whose k x k block means equal ``x_L`` (so the result always downsamples back
    to the input; for a bicubic start this is one back-projection step), and PGD only adds
    what the downsampling cannot see.

    Args:
        model: a ``RobustClassifier``.
        low_res: (N, 3, H/k, W/k) in [0, 1] or PIL image(s) of that size.
        factor: k (default: the preset's); H/k * k must equal the model's input size.
        label: class(es); default: the model's prediction on the upsampled image.
        init: ``nearest`` or ``bicubic`` (default: the preset's ``upsample``; the paper's
            presets use nearest, the ``synth.*`` ones bicubic).
        consistent: keep block means equal to ``low_res`` (default: the preset's).
        ground_truth: (N, 3, H, W) high-resolution originals; fills the result's ``psnr``, ``ssim``
            (of the result) and ``psnr_init``, ``ssim_init`` (of the start).
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Example:
        >>> res = synth.super_resolve(model, synth.downsample(x, 4), ground_truth=x)
        >>> res.psnr.mean()
    """
    named = {"factor": factor, "upsample": init, "consistent": consistent}  # None: the preset's (or an override's)
    cfg = config("super_resolve", model, preset, {**overrides, **{k: v for k, v in named.items() if v is not None}})
    k = cfg.factor
    h, w = model.input_size
    if h % k or w % k:
        raise ValueError(f"factor {k} does not divide the model's input size {model.input_size}")
    x_low = to_tensor(low_res, (h // k, w // k) if not isinstance(low_res, torch.Tensor) else None).to(model.device)
    if tuple(x_low.shape[-2:]) != (h // k, w // k):
        raise ValueError(f"low-resolution images must be {h // k}x{w // k} for factor {k}, got {tuple(x_low.shape[-2:])}")
    x_up = upsample(x_low, k, cfg.upsample)
    constraint = BlockMeanConsistent(ball(cfg.norm, cfg.eps), x_low, k) if cfg.consistent else None
    if constraint is not None:
        x_up = constraint.consistent(x_up)
    y = predict_labels(model, x_up) if label is None else model.labels(label, len(x_up))
    res = run(model, x_up, class_score(y, max_prob=cfg.max_prob), cfg, constraint=constraint, generator=generator,
              callback=callback, bf16=bf16)
    scores = {}
    if ground_truth is not None:
        gt = to_tensor(ground_truth, model.input_size).to(model.device)
        scores = dict(psnr=psnr(res.x, gt), ssim=ssim(res.x, gt), psnr_init=psnr(x_up, gt), ssim_init=ssim(x_up, gt))
    return SuperResolveResult.of(res, upsampled=x_up, label=y, config=cfg, **scores)


def _prepare(model, batch, options, cfg):
    factor = options.get("factor") or cfg.factor
    return {"low_res": downsample(batch.images, factor), "label": batch.labels, "ground_truth": batch.images,
            **({"factor": factor} if options.get("factor") else {})}


def _columns(res, options, batch):
    return {"factor": res.config.factor, "psnr": res.psnr.tolist(), "ssim": res.ssim.tolist()}


register(Task(
    "super_resolve", super_resolve, SuperResolveResult, "downsample each image by --factor and bring it back", _prepare,
    start="upsampled", start_title="bicubic", order=30, columns=_columns,
    options=(Option("factor", "2, 4 or 8 (default: the preset's)", int),),
    # x4 from 8 px, every result shrinking back to its input (block means kept): the radius says how much detail the
    # model may add; the default is chosen by the robust-vs-standard rule on these
    bench=(BenchRow(psnr=True, sweep=ball_sweep((2, 4, 5, 6, 8), steps=40)),)))
