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

from .constraints import Constraint, l2_norm
from .presets import STEP_SCHEDULES
from .objectives import Objective
from .randomness import Generators, draw


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


def step_multipliers(name: str, steps: int) -> torch.Tensor:
    """(steps,) float64 multipliers of the step size, one per step, with mean 1, so that every schedule walks the same
    total path length ``steps * step_size`` (the 2.5 * eps / steps rule keeps its meaning):

    - ``constant``: 1 at every step (the papers' PGD);
    - ``linear``: from 2 down to 0 in equal decrements (large moves first, fine ones last);
    - ``cosine``: 1 + cos(pi * t / (steps - 1)) for t = 0 .. steps - 1, from 2 down to 0.

    Raises:
        ValueError: an unknown name.
    """
    if name not in STEP_SCHEDULES:
        raise ValueError(f"step schedule must be one of {STEP_SCHEDULES}, not {name!r}")
    steps = int(steps)
    if name == "constant" or steps <= 1:
        return torch.ones(steps, dtype=torch.float64)
    t = torch.arange(steps, dtype=torch.float64) / (steps - 1)
    m = 2 * (1 - t) if name == "linear" else 1 + torch.cos(torch.pi * t)
    return m / m.mean()


def noise_stds(noise: float, steps: int) -> torch.Tensor:
    """(steps,) float64 per-pixel standard deviation of the Gaussian noise added at each step: ``noise`` at the first
    step, falling linearly to 0 at the last (annealed Langevin dynamics: the final iterate is a noise-free ascent
    step)."""
    steps = int(steps)
    if steps <= 1:
        return torch.full((steps,), 0.0, dtype=torch.float64)
    return noise * (1 - torch.arange(steps, dtype=torch.float64) / (steps - 1))


def pgd(model, x0: torch.Tensor, objective: Objective, constraint: Constraint, *, steps: int,
        step_size: float, anchor: torch.Tensor | None = None, random_start: bool = False,
        keep_best: bool = False, generator: Generators = None, callback=None,
        bf16: bool = False, momentum: float = 0.0, noise: float = 0.0,
        step_schedule: str = "constant") -> PGDResult:
    """Maximise ``objective`` over the input by projected (normalised) gradient ascent.

    Per step t: one forward pass (``model.outputs``) -> per-sample score (N,) ->
    gradient of ``score.sum()`` w.r.t. the images only -> ``x + step_size * s_t *
    constraint.direction(v) + sigma_t * z`` -> ``constraint.project(x, anchor)`` (includes the
    clamp to [0, 1]), where ``v`` is the gradient (or, with ``momentum`` mu, the running sum
    ``v = mu * v + grad / ||grad||_2``, as MI-FGSM), ``s_t`` the step schedule's multiplier
    (:func:`step_multipliers`) and ``sigma_t * z`` Gaussian noise of per-pixel std
    ``sigma_t`` (:func:`noise_stds`: Langevin-style sampling). With the defaults
    (no momentum, no noise, constant steps) this is the papers' PGD. Samples never interact,
    so sample i is the same alone or in a batch.

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
        momentum: mu in [0, 1): weight of the previous steps' normalised gradients in the
            step direction (0: plain PGD).
        noise: per-pixel std (on images in [0, 1]) of the Gaussian noise added at the first
            step, annealed linearly to 0 at the last (0: none). Drawn from ``generator``.
        step_schedule: step-size schedule, one of :data:`STEP_SCHEDULES` (mean multiplier 1).

    Returns:
        :class:`PGDResult`.

    Raises:
        ValueError: bad shapes, values outside [0, 1], negative steps or step size, momentum
            outside [0, 1), negative noise, an unknown schedule.

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
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), not {momentum!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, not {noise!r}")
    multipliers = step_multipliers(step_schedule, steps).tolist()
    sigmas = noise_stds(noise, steps).tolist()
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
    history, best_x, best_score, velocity = [], None, None, None
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
            if momentum:
                unit = grad / l2_norm(grad).clamp_min(1e-12).view(-1, *([1] * (grad.dim() - 1)))
                velocity = unit if velocity is None else momentum * velocity + unit
                grad = velocity
            x = x + (step_size * multipliers[step - 1]) * constraint.direction(grad)
            if sigmas[step - 1]:
                x = x + sigmas[step - 1] * draw(torch.randn, tuple(x.shape), generator).to(x.device, x.dtype)
            x = constraint.project(x, anchor)
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
