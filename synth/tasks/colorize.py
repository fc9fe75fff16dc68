"""Colorization: a task none of the papers has, built from the same primitive. A greyscale image gets the colours a
robust classifier finds consistent with its class: targeted PGD from the grey image, every iterate keeping each
pixel's luminance (``LuminanceKept``, composed with the L2 ball), so only hue and saturation can change."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..constraints import LuminanceKept, ball, luminance
from ..objectives import class_score
from ._common import config, images, predict_labels, run
from .registry import BenchRow, Task, ball_sweep, register
from .results import TaskResult


@dataclass(kw_only=True)
class ColorizeResult(TaskResult):
    """``colorize``: ``grey`` (N, 3, H, W) the start in [0, 1] (R = G = B = the luminance); ``label`` (N,) the class
    coloured toward. ``x`` has the start's luminance at every pixel (to about 1e-6)."""
    grey: torch.Tensor
    label: torch.Tensor


def colorize(model, image, label=None, *, preset=None, generator=None, callback=None, bf16=False,
             **overrides) -> ColorizeResult:
    """Colour greyscale images toward their class: maximise log p(label | x') over the colours of the same luminance
    inside an L2 ball around the grey image.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s); colour inputs are turned grey first (their luminance is what
            is kept).
        label: class(es) to colour toward; default: the model's prediction on the grey image.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        ColorizeResult: ``x`` the coloured images, ``grey`` the start, ``label``, ``config``.

    Example:
        >>> res = synth.colorize(model, grey_photo, "frog")
    """
    x = images(model, image)
    lum = luminance(x)
    grey = lum.expand(-1, 3, -1, -1).contiguous()
    cfg = config("colorize", model, preset, overrides)
    y = predict_labels(model, grey) if label is None else model.labels(label, len(x))
    constraint = LuminanceKept(ball(cfg.norm, cfg.eps), lum)
    res = run(model, grey, class_score(y, max_prob=cfg.max_prob), cfg, constraint=constraint, generator=generator,
              callback=callback, bf16=bf16)
    return ColorizeResult.of(res, grey=grey, label=y, config=cfg)


def _prepare(model, batch, options, cfg):
    return {"image": batch.images, "label": batch.labels}


register(Task(
    "colorize", colorize, ColorizeResult, "colour greyscale images (colour inputs are made grey first)", _prepare,
    start="grey", start_title="grey", order=25,
    # judged against the colour originals too: PSNR of the grey starts and of the coloured results
    bench=(BenchRow(sweep=ball_sweep((5, 8, 12)), psnr=True),)))
