"""Inpainting (Santurkar et al. 2019, §3.2, eq. 3)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..constraints import Masked, ball
from ..imageio import to_mask, to_pil, to_tensor
from ..objectives import class_score, masked_distance
from ._common import config, images, predict_labels, run
from ..randomness import Generators, draw
from .registry import BenchRow, ball_sweep, Option, Task, register
from .results import TaskResult


@dataclass(kw_only=True)
class InpaintResult(TaskResult):
    """``inpaint``: ``corrupted`` (N, 3, H, W) the filled start (mean or harmonic fill) in [0, 1]; ``mask`` (N or 1, 1,
    H, W), 1 = filled; ``label`` (N,) the class filled in."""
    corrupted: torch.Tensor
    mask: torch.Tensor
    label: torch.Tensor


def random_patch_mask(n: int, size: tuple[int, int], patch: int, generator: Generators = None,
                      centre: bool = False) -> torch.Tensor:
    """(n, 1, H, W) masks with one ``patch`` x ``patch`` square of ones at a random place each (``generator``: one,
    or one per mask); with ``centre``, near the centre (within a quarter of the patch of it), where the object of a
    photo usually is."""
    h, w = size
    if not 0 < patch <= min(h, w):
        raise ValueError(f"patch must be in 1..{min(h, w)}, not {patch}")

    def place(side):
        lo, hi = ((side - patch) // 2 - patch // 4, (side - patch) // 2 + patch // 4) if centre else (0, side - patch)
        lo, hi = max(0, lo), min(side - patch, hi)
        return lambda shape, generator: torch.randint(lo, hi + 1, shape, generator=generator)
    top = draw(place(h), (n,), generator)
    left = draw(place(w), (n,), generator)
    mask = torch.zeros(n, 1, h, w)
    for i in range(n):
        mask[i, :, top[i]:top[i] + patch, left[i]:left[i] + patch] = 1
    return mask


def corrupt(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Fill the masked region with each image's per-channel mean of the known pixels
    (the paper uses the whole image's mean, which an inpainter cannot know)."""
    keep = 1 - mask
    mean = (image * keep).sum((2, 3), keepdim=True) / keep.sum((2, 3), keepdim=True).clamp_min(1)
    return image * keep + mean * mask


@torch.no_grad()
def harmonic_fill(image: torch.Tensor, mask: torch.Tensor, tol: float = 1e-4, max_iterations: int = 5000) -> torch.Tensor:
    """Fill the masked region with the smooth (harmonic) interpolation of its border.

    Solves Laplace's equation inside the mask with the known pixels as boundary values
    (Jacobi iterations from the mean fill, stopped when no pixel moves by more than ``tol``),
    the classical diffusion fill behind PDE inpainting methods such as OpenCV's.

    Args:
        image: (N, C, H, W) in [0, 1]; masked pixels are ignored.
        mask: (N or 1, 1, H, W) in {0, 1}; 1 = pixels to fill.

    Returns:
        (N, C, H, W) in [0, 1], equal to ``image`` outside the mask.
    """
    x = corrupt(image, mask)
    m = mask.to(x).expand(len(x), 1, *x.shape[-2:])
    c = x.shape[1]
    kernel = torch.tensor([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]], dtype=x.dtype, device=x.device)
    kernel = kernel.view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    for i in range(max_iterations):
        avg = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)
        new = torch.where(m > 0, avg, x)
        if i % 50 == 0 and (new - x).abs().max() < tol:
            return new
        x = new
    return x


def telea_fill(image: torch.Tensor, mask: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """The classical baseline: OpenCV's Telea inpainting (``cv2.INPAINT_TELEA``) of the masked
    region, image by image on 8-bit copies.

    Args:
        image: (N, 3, H, W) in [0, 1]; masked pixels are ignored.
        mask: (N or 1, 1, H, W) in {0, 1}; 1 = pixels to fill.
        radius: OpenCV's neighbourhood radius.

    Returns:
        (N, 3, H, W) float in [0, 1] on ``image``'s device.
    """
    import cv2
    import numpy as np
    masks = mask.expand(len(image), 1, *image.shape[-2:]).cpu().numpy()
    filled = [cv2.inpaint(np.asarray(img), (m[0] > 0.5).astype(np.uint8), radius, cv2.INPAINT_TELEA)
              for img, m in zip(to_pil(image), masks)]
    return to_tensor(filled).to(image.device)


def inpaint(model, image, mask, *, label=None, preset=None, generator=None, callback=None, bf16=False,
            **overrides) -> InpaintResult:
    """Fill the masked region so the image looks like its class.

    ``x_I = argmin_x' L(x', y) + lam * ||(x - x') * (1 - m)||`` (eq. 3; the notebook preset
    uses the mean squared difference), inside an L2 ball around the corrupted image,
    whose masked pixels are first set to the per-channel mean (the paper's presets).
    The ``synth.*`` presets start from the harmonic fill instead and let only the masked
    pixels move (``masked``), so the known pixels are kept exactly.

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s) (the masked pixels are ignored).
        mask: (N or 1, 1, H, W) tensor or PIL mask; 1 (white) = pixels to fill.
        label: class(es) to fill in; default: the model's prediction on the corrupted image.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        InpaintResult: ``x`` the filled images, ``corrupted`` the filled start, ``mask``, ``label``, ``config``.

    Raises:
        ValueError: an empty or full mask, or mismatched sizes.

    Example:
        >>> mask = synth.random_patch_mask(4, (32, 32), 10)
        >>> res = synth.inpaint(model, x, mask)
    """
    x = images(model, image)
    m = to_mask(mask, model.input_size).to(x.device)
    if len(m) not in (1, len(x)):
        raise ValueError(f"got {len(m)} masks for {len(x)} images")
    area = m.flatten(1).mean(1)
    if (area == 0).any() or (area == 1).any():
        raise ValueError("the mask must cover part of the image: it is empty or covers everything")
    cfg = config("inpaint", model, preset, overrides)
    x_corrupt = harmonic_fill(x, m) if cfg.fill == "harmonic" else corrupt(x, m)
    y = predict_labels(model, x_corrupt) if label is None else model.labels(label, len(x))
    objective = class_score(y, max_prob=cfg.max_prob)
    if cfg.lam:
        objective = objective - cfg.lam * masked_distance(x_corrupt, keep=1 - m, mean_squared=cfg.penalty == "mean_squared")
    constraint = Masked(ball(cfg.norm, cfg.eps), m) if cfg.masked else None
    res = run(model, x_corrupt, objective, cfg, constraint=constraint, generator=generator, callback=callback, bf16=bf16)
    return InpaintResult.of(res, corrupted=x_corrupt, mask=m, label=y, config=cfg)


def default_patch(size: tuple[int, int]) -> int:
    """The hole's side when none is given: 30% of the image side (10 px at 32, 38 at 128)."""
    return max(2, round(0.3 * min(size)))


def _prepare(model, batch, options, cfg):
    fraction = options.get("patch_fraction")  # the bench's hole size, relative to the side
    patch = options.get("patch") or (round(fraction * min(model.input_size)) if fraction else default_patch(model.input_size))
    mask = random_patch_mask(len(batch), model.input_size, patch, batch.generator, centre=bool(options.get("centre")))
    mask = mask.to(batch.images.device)
    return {"image": batch.images, "mask": mask, "label": batch.labels}


register(Task(
    "inpaint", inpaint, InpaintResult, "fill a random square hole of each image", _prepare, start="corrupted",
    start_title="harmonic fill", order=10,
    options=(Option("patch", "side of the square hole in px (default: 30% of the side)", int),
             Option("centre", "put each hole near the centre, over the object (default: anywhere)", bool)),
    columns=lambda res, options, batch: {"patch": int(res.mask[0].sum().sqrt())},
    # the default is chosen on holes of half the side over the object, judged on the filled region
    bench=(BenchRow(options={"patch_fraction": 0.5, "centre": True}, region="mask", psnr=True,
                    sweep=ball_sweep((1, 2, 4, 6, 8), steps=40)),)))
