"""What every task returns: a :class:`~synth.pgd.PGDResult` with the task's own typed fields (each task's result
type lives beside its function, e.g. ``synth.tasks.generate.GenerateResult``; here are their bases).

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
from dataclasses import dataclass

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
class ImageToImageResult(TaskResult):
    """A task that moves given images toward classes: ``source`` (N, 3, H, W) the inputs in [0, 1]; ``label`` (N,)
    the classes."""
    source: torch.Tensor
    label: torch.Tensor
