"""Sketch-to-image (Santurkar et al. 2019, §3.5, Fig. 7)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..objectives import class_score
from ._common import config, images, run
from .registry import BenchRow, Option, Task, ball_sweep, register
from .results import TaskResult


@dataclass(kw_only=True)
class SketchResult(TaskResult):
    """``sketch_to_image``: ``sketch`` (N, 3, H, W) the drawings at the model's size in [0, 1]; ``label`` (N,)."""
    sketch: torch.Tensor
    label: torch.Tensor


def sketch_to_image(model, sketch, label, *, preset=None, generator=None, callback=None, bf16=False,
                    **overrides) -> SketchResult:
    """Turn a hand drawing into an image of ``label``: targeted PGD starting at the sketch.

    Args:
        model: a ``RobustClassifier``.
        sketch: PIL image(s) of any size (scaled to the model's input, white padding keeps
            the whole drawing) or (N, 3, H, W) in [0, 1].
        label: class name/index, or one per sketch.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Example:
        >>> res = synth.sketch_to_image(model, Image.open("dog.png"), "dog")
    """
    x = images(model, sketch, fit="pad")
    y = model.labels(label, len(x))
    cfg = config("sketch_to_image", model, preset, overrides)
    res = run(model, x, class_score(y, max_prob=cfg.max_prob), cfg, generator=generator, callback=callback, bf16=bf16)
    return SketchResult.of(res, sketch=x, label=y, config=cfg)


def edge_sketch(image: torch.Tensor, scale: int = 4, low: int = 40, high: int = 120) -> torch.Tensor:
    """A line drawing of each image: dark Canny edges (OpenCV) on white, the sketch-to-image input
    this project can make for any data set (the papers' hand-drawn sketches exist only at 224 px).

    The image is enlarged ``scale`` times (bicubic) before edge detection, so that edges of a
    32-px image are thin lines, then reduced back with area averaging (anti-aliased lines).

    Args:
        image: (N, 3, H, W) float in [0, 1].
        scale: enlargement for edge detection; low, high: Canny's hysteresis thresholds (0-255).

    Returns:
        (N, 3, H, W) float in [0, 1]: white background, dark lines, the same on all channels.
    """
    import cv2
    import numpy as np
    h, w = image.shape[-2:]
    big = F.interpolate(image.float().cpu(), scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)
    gray = (big.mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy() @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    pen = np.ones((3, 3), np.uint8)  # a 3-px pen at the enlarged size: lines about one pixel wide after reduction
    edges = np.stack([cv2.dilate(cv2.Canny(cv2.GaussianBlur(g, (5, 5), 0), low, high), pen) for g in gray])
    edges = edges.astype(np.float32) / 255
    lines = F.interpolate(torch.from_numpy(edges).unsqueeze(1), size=(h, w), mode="area")
    return (1 - (2 * lines).clamp(max=1)).expand(-1, 3, -1, -1).contiguous().to(image.device)


def _prepare(model, batch, options, cfg):
    return {"sketch": edge_sketch(batch.images) if options.get("edges") else batch.images, "label": batch.labels}


register(Task(
    "sketch_to_image", sketch_to_image, SketchResult, "turn sketches (or --edges of images) into class images", _prepare,
    start="sketch", start_title="sketch", needs_label=True, order=40, aliases=("sketch",),
    options=(Option("edges", "make edge sketches of the inputs first", bool),),
    bench=(BenchRow(options={"edges": True},
                    sweep=ball_sweep((6, 10, 15))),)))
