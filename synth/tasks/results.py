"""What each task returns: a :class:`~synth.pgd.PGDResult` with the task's own typed fields.

Every result has ``x``, ``score``, ``history``, ``logits`` and ``probs`` (from the PGD loop)
and ``config``, the setting used (the preset with the call's overrides). Each task adds what a
caller needs to show or judge its output, e.g. ``generate(...).seeds`` or
``super_resolve(...).psnr``. Shapes use N for the images of the call.

A field's ``metadata["batch_dim"]`` says along which dimension it holds one entry per image
(``synth.app.runs.split_result`` cuts a merged request's result along it); without it, a tensor
whose first dimension has N entries is per image and anything else is shared by all images.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from ..pgd import PGDResult
from ..presets import PGDConfig


@dataclass(kw_only=True)
class TaskResult(PGDResult):
    """A task's result. ``config``: the :class:`~synth.presets.PGDConfig` used."""
    config: PGDConfig

    @classmethod
    def of(cls, res: PGDResult, **fields):
        """The loop's result ``res`` with the task's ``fields``."""
        return cls(**{f.name: getattr(res, f.name) for f in dataclasses.fields(PGDResult)}, **fields)


def batch_dim(f: dataclasses.Field, value, n: int) -> int | None:
    """The dimension of ``value`` (the field ``f`` of a result of ``n`` images) with one entry per image, or None
    when it is shared by all of them."""
    if not isinstance(value, torch.Tensor):
        return None
    if "batch_dim" in f.metadata:
        return f.metadata["batch_dim"]
    return 0 if value.dim() >= 1 and value.shape[0] == n else None


@dataclass(kw_only=True)
class GenerateResult(TaskResult):
    """``generate``: ``seeds`` (N, 3, H, W) the starting images in [0, 1]; ``label`` (N,) the target classes."""
    seeds: torch.Tensor
    label: torch.Tensor


@dataclass(kw_only=True)
class ImageToImageResult(TaskResult):
    """A task that moves given images toward classes: ``source`` (N, 3, H, W) the inputs in [0, 1]; ``label`` (N,)
    the classes."""
    source: torch.Tensor
    label: torch.Tensor


class TranslateResult(ImageToImageResult):
    """``translate``: ``source`` the input images, ``label`` the target classes."""


@dataclass(kw_only=True)
class SketchResult(TaskResult):
    """``sketch_to_image``: ``sketch`` (N, 3, H, W) the drawings at the model's size in [0, 1]; ``label`` (N,)."""
    sketch: torch.Tensor
    label: torch.Tensor


class BoostResult(ImageToImageResult):
    """``boost``: ``source`` the generator's images; ``label`` the classes boosted toward (given, or assigned by the
    model)."""


@dataclass(kw_only=True)
class InpaintResult(TaskResult):
    """``inpaint``: ``corrupted`` (N, 3, H, W) the filled start (mean or harmonic fill) in [0, 1]; ``mask`` (N or 1, 1,
    H, W), 1 = filled; ``label`` (N,) the class filled in."""
    corrupted: torch.Tensor
    mask: torch.Tensor
    label: torch.Tensor


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


@dataclass(kw_only=True)
class PaintResult(TaskResult):
    """``paint_features``: ``source`` (N, 3, H, W) the images painted on; ``mask`` (N or 1, 1, H, W), 1 = painted;
    ``feature`` (N,) the unit of R(x) painted; ``activation`` (2, N) R(x)_feature before and after."""
    source: torch.Tensor
    mask: torch.Tensor
    feature: torch.Tensor
    activation: torch.Tensor = field(metadata={"batch_dim": 1})


@dataclass(kw_only=True)
class InterpolateResult(TaskResult):
    """``interpolate``: ``x`` holds F frames. ``distance`` (F,) each frame's feature distance to the target, ``eps``
    (F,) the radius of each frame's ball, ``fractions`` (F,) where each frame lies between source (0) and target (1);
    ``source`` (1, 3, H, W) the source image."""
    source: torch.Tensor = field(metadata={"batch_dim": None})
    distance: torch.Tensor
    eps: torch.Tensor
    fractions: torch.Tensor


@dataclass(kw_only=True)
class AttackGridResult(TaskResult):
    """``attack_grid``: ``x`` (N * K, 3, H, W), image i toward target j at ``x[i * K + j]``; ``grid`` the same as
    (N, K, 3, H, W); ``source`` (N, 3, H, W) the inputs; ``label`` (N * K,) the target of each output."""
    grid: torch.Tensor
    source: torch.Tensor
    label: torch.Tensor
