"""Where the demo computes: the GPU when there is one, and Hugging Face ZeroGPU.

On a ZeroGPU Space (``SPACES_ZERO_GPU`` set by the platform), a GPU is attached only while a function
decorated with ``spaces.GPU`` runs, for at most its ``duration``; :func:`on_gpu` wraps the tabs' callbacks
so, with a duration sized to the request (steps, frames, compare). The models are moved to CUDA when the
app starts (:func:`device` is "cuda" there), as ZeroGPU requires. Elsewhere ``spaces.GPU`` returns the
function itself (and without the ``spaces`` package :func:`on_gpu` does), so nothing changes on a CPU.
"""
from __future__ import annotations

import inspect
import os
from typing import Callable

import torch

SECONDS_PER_STEP = 0.15  # a PGD step of a demo batch on a shared GPU, generous (a 128-px ResNet-18: ~0.02 s on an A100)
BASE_SECONDS, MAX_SECONDS = 10, 120  # start-up of the GPU worker; ZeroGPU's longest allowed call for free users


def zero_gpu() -> bool:
    """Whether this process runs on a ZeroGPU Space."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")


def device() -> str:
    """The device the demo's models live on: "cuda" when available (on ZeroGPU, at start-up too), else "cpu"."""
    if zero_gpu():
        import spaces  # noqa: F401 - must be imported before CUDA is touched on ZeroGPU
    return "cuda" if torch.cuda.is_available() else "cpu"


def duration_for(fn: Callable) -> Callable[..., int]:
    """A ``spaces.GPU`` duration function for a tab callback: seconds from its ``steps``/``steps_v`` argument, times
    ``frames_v`` (interpolation) and two when ``compare_v`` is on, plus a start-up allowance, capped."""
    signature = inspect.signature(fn)

    def duration(*args, **kwargs) -> int:
        bound = signature.bind_partial(*args, **kwargs).arguments
        try:
            steps = int(bound.get("steps", bound.get("steps_v")) or 60)
            frames = int(bound.get("frames_v") or 1)
        except (TypeError, ValueError):
            return MAX_SECONDS
        models = 2 if bound.get("compare_v") else 1
        return int(min(MAX_SECONDS, BASE_SECONDS + SECONDS_PER_STEP * steps * frames * models))

    return duration


def on_gpu(fn: Callable) -> Callable:
    """``spaces.GPU(fn, duration=...)`` when the ``spaces`` package is importable (a no-op off ZeroGPU), else ``fn``."""
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(fn, duration=duration_for(fn))
