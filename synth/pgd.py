"""The one optimisation loop of the package: batched projected gradient ascent on the
input of a classifier.

Every task (generation, inpainting, translation, super-resolution, sketch-to-image,
feature painting, boosting, interpolation) and the adversarial training attack call
:func:`pgd`; none of them has a step loop of its own. What to maximise is an
``Objective`` (``synth.objectives``); where the iterate may go is a ``Constraint``
(``synth.constraints``).
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

import torch

from .constraints import Constraint
from .objectives import Objective
from .randomness import Generators


@dataclass
class PGDResult:
    """Result of :func:`pgd`.

    Attributes:
        x: (N, C, H, W) final (or, with ``keep_best``, best) images in [0, 1], detached.
        score: (N,) objective at ``x``.
        history: (steps + 1, N) objective per step; row i is the score before step i+1,
            the last row the score of the returned images' final iterate.
        logits: (N, K) the classifier's logits at ``x``.

    The tasks return subclasses with their own typed fields (each beside its task's function, on ``synth.tasks.results.TaskResult``).
    """
    x: torch.Tensor
    score: torch.Tensor
    history: torch.Tensor = field(metadata={"batch_dim": 1})
    logits: torch.Tensor

    @property
    def probs(self) -> torch.Tensor:
        """(N, K) class probabilities at ``x``."""
        return self.logits.float().softmax(1)


@functools.lru_cache(maxsize=None)
def bf16_is_native(device_type: str = "cpu") -> bool:
    """Whether ``device_type`` ("cpu" / "cuda") computes bfloat16 in hardware.

    CPUs without AVX512-BF16 or AMX (e.g. AVX2-only machines) emulate bfloat16
    convolutions, which makes autocast 10-30x *slower* than float32 there.
    """
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def autocast(x: torch.Tensor, bf16: bool):
    """Context: bfloat16 autocast if asked for and native on ``x``'s device; float32 otherwise.
    The one place that decides (``pgd`` and the training step use it)."""
    if not bf16 or not bf16_is_native(x.device.type):
        return contextlib.nullcontext()
    return torch.autocast(x.device.type, dtype=torch.bfloat16)


def pgd(model, x0: torch.Tensor, objective: Objective, constraint: Constraint, *, steps: int,
        step_size: float, anchor: torch.Tensor | None = None, random_start: bool = False,
        keep_best: bool = False, generator: Generators = None, callback=None,
        bf16: bool = False) -> PGDResult:
    """Maximise ``objective`` over the input by projected (normalised) gradient ascent.

    Per step: one forward pass (``model.outputs``) -> per-sample score (N,) ->
    gradient of ``score.sum()`` w.r.t. the images only -> ``x + step_size *
    constraint.direction(grad)`` -> ``constraint.project(x, anchor)`` (includes the clamp
    to [0, 1]). Samples never interact, so sample i is the same alone or in a batch.

    Args:
        model: a ``RobustClassifier`` (anything with ``outputs(x, layers, straight_through)``).
        x0: (N, C, H, W) float starting images in [0, 1]; device and dtype are used as is.
        objective: per-sample score to maximise.
        constraint: ``L2Ball``, ``LinfBall``, ``Unconstrained`` or ``Masked(...)``.
        steps: number of gradient steps, >= 0.
        step_size: step length in the constraint's norm (L2 or per-pixel for Linf): a float
            or a (N,) tensor, one per sample.
        anchor: (N, C, H, W) centre of the ball; default ``x0``.
        random_start: start at a random point of the constraint set (needs ``generator``
            for determinism).
        keep_best: return each sample's best iterate instead of the last one.
        generator: the only source of randomness: one ``torch.Generator`` for the batch, or a sequence of
            them, one per sample (``synth.randomness``: sample i's random start is then the same in any batch).
        callback: ``callback(step, x, score) -> bool | None`` after every step (1-based);
            returning True stops early.
        bf16: run the model under bfloat16 autocast (scores are still float32) where the
            device has native bfloat16 (:func:`bf16_is_native`); plain float32 elsewhere.

    Returns:
        :class:`PGDResult`.

    Raises:
        ValueError: bad shapes, values outside [0, 1], negative steps or step size.

    Example:
        >>> res = pgd(model, x, class_score(y), L2Ball(30.0), steps=60, step_size=0.5)
        >>> res.x.shape == x.shape
        True
    """
    if x0.dim() != 4:
        raise ValueError(f"x0 must be (N, C, H, W), got shape {tuple(x0.shape)}")
    if x0.numel() and (x0.min() < 0 or x0.max() > 1):
        raise ValueError("x0 must be in [0, 1]")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, not {steps!r}")
    step_size = torch.as_tensor(step_size, dtype=x0.dtype, device=x0.device)
    if (step_size < 0).any():
        raise ValueError(f"step_size must be >= 0, not {step_size!r}")
    step_size = step_size.view(-1, *([1] * (x0.dim() - 1)))  # a float, or one per sample
    anchor = (x0 if anchor is None else anchor).detach()
    if anchor.shape != x0.shape:
        raise ValueError(f"anchor shape {tuple(anchor.shape)} != x0 shape {tuple(x0.shape)}")
    layers, straight = objective.layers, objective.straight_through
    was_training = model.training
    model.eval()
    x = x0.detach().clone()
    if random_start:
        x = constraint.random_start(x, anchor, generator)
    x = constraint.project(x, anchor)
    if x.device.type == "cpu" and x.shape[1] in (1, 3, 4):
        x = x.contiguous(memory_format=torch.channels_last)
    history, best_x, best_score = [], None, None
    try:
        for step in range(1, int(steps) + 1):
            x.requires_grad_(True)
            with autocast(x, bf16):
                out = model.outputs(x, layers, straight)
            score = objective(out).float()
            # gradients w.r.t. the images only: parameters never accumulate .grad
            (grad,) = torch.autograd.grad(score.sum(), x)
            score = score.detach()
            history.append(score)
            x = x.detach()
            if keep_best:
                best_x, best_score = _update_best(best_x, best_score, x, score)
            x = constraint.project(x + step_size * constraint.direction(grad), anchor)
            if callback is not None and callback(step, x, score):
                break
        with torch.no_grad(), autocast(x, bf16):
            out = model.outputs(x, layers, straight)
            score = objective(out).float()
        history.append(score)
        logits = out.logits.float()
        if keep_best:
            x, score = _update_best(best_x, best_score, x, score)
            if best_x is not None:
                with torch.no_grad(), autocast(x, bf16):
                    logits = model(x).float()
    finally:
        model.train(was_training)
    return PGDResult(x=x.contiguous(), score=score, history=torch.stack(history), logits=logits)


def _update_best(best_x, best_score, x, score):
    if best_x is None:
        return x.clone(), score.clone()
    better = score > best_score
    best_x = torch.where(better.view(-1, 1, 1, 1), x, best_x)
    return best_x, torch.where(better, score, best_score)
