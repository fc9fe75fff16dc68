"""Constraint sets for :func:`synth.pgd.pgd`: the step direction and the projection.

A constraint knows three things: how to turn a gradient into a step direction
(L2: per-sample unit norm; Linf: sign), how to project an iterate back onto the
feasible set around an anchor (which always includes the clamp to [0, 1]), and how to
draw a random start inside the set. Every reduction is per sample (``flatten(1)``), so
samples in a batch never interact. ``eps`` may be a float or a (N,) tensor (one radius
per sample, used by interpolation sweeps). What to optimise lives in ``objectives``.
"""
from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F

from .randomness import Generators, draw

__all__ = ["Constraint", "L2Ball", "LinfBall", "Unconstrained", "Masked", "BlockMeanConsistent", "LuminanceKept", "ball",
           "l2_norm", "luminance", "shift_to_target"]

_TINY = 1e-12  # guards the division of an all-zero gradient (e.g. a saturated class score)


def _per_sample(v: float | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Broadcast a float or (N,) tensor to (N, 1, 1, 1) on ``x``'s device and dtype."""
    v = torch.as_tensor(v, dtype=x.dtype, device=x.device)
    return v.reshape(-1, *([1] * (x.dim() - 1)))


def l2_norm(v: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 norm: (N, ...) -> (N,)."""
    return v.flatten(1).norm(dim=1)


def _check_eps(eps):
    if torch.is_tensor(eps):
        if (eps < 0).any():
            raise ValueError("eps must be >= 0")
    elif eps is None or eps < 0:
        raise ValueError(f"eps must be a number >= 0, not {eps!r}")
    return eps


class Constraint(Protocol):
    def direction(self, grad: torch.Tensor) -> torch.Tensor: ...
    def project(self, x: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor: ...
    def random_start(self, x: torch.Tensor, anchor: torch.Tensor, generator: Generators) -> torch.Tensor: ...


class L2Ball:
    """``||x - anchor||_2 <= eps`` per sample, x in [0, 1]; L2-normalised steps."""

    def __init__(self, eps: float | torch.Tensor):
        self.eps = _check_eps(eps)

    def direction(self, grad):
        return grad / (l2_norm(grad).clamp_min(_TINY).view(-1, *([1] * (grad.dim() - 1))))

    def project(self, x, anchor):
        delta = x - anchor
        eps = _per_sample(self.eps, x)
        norm = l2_norm(delta).view(-1, *([1] * (x.dim() - 1)))
        delta = delta * torch.clamp(eps / norm.clamp_min(_TINY), max=1.0)
        # clamping to the box cannot leave the ball: the anchor is inside the box
        return (anchor + delta).clamp(0, 1)

    def random_start(self, x, anchor, generator):
        noise = draw(torch.randn, tuple(x.shape), generator).to(x)
        radius = draw(torch.rand, (x.shape[0],), generator).to(x)
        step = self.direction(noise) * _per_sample(self.eps, x) * radius.view(-1, *([1] * (x.dim() - 1)))
        return self.project(x + step, anchor)

    def __repr__(self):
        return f"L2Ball(eps={self.eps})"


class LinfBall:
    """``max |x - anchor| <= eps`` per sample, x in [0, 1]; sign steps."""

    def __init__(self, eps: float | torch.Tensor):
        self.eps = _check_eps(eps)

    def direction(self, grad):
        return grad.sign()

    def project(self, x, anchor):
        eps = _per_sample(self.eps, x)
        return torch.max(torch.min(x, anchor + eps), anchor - eps).clamp(0, 1)

    def random_start(self, x, anchor, generator):
        u = draw(torch.rand, tuple(x.shape), generator).to(x) * 2 - 1
        return self.project(x + u * _per_sample(self.eps, x), anchor)

    def __repr__(self):
        return f"LinfBall(eps={self.eps})"


class Unconstrained:
    """Only the [0, 1] box; L2-normalised steps (``normalize=False``: raw gradient steps)."""

    def __init__(self, normalize: bool = True):
        self.normalize = normalize

    def direction(self, grad):
        return L2Ball.direction(self, grad) if self.normalize else grad

    def project(self, x, anchor):
        return x.clamp(0, 1)

    def random_start(self, x, anchor, generator):
        return x

    def __repr__(self):
        return "Unconstrained()"


class Masked:
    """Wrap a constraint so only pixels where ``mask == 1`` change; the rest stay at the anchor.

    Args:
        constraint: the inner constraint (its ball is measured on the masked change).
        mask: (N or 1, 1 or C, H, W) float in {0, 1}; 1 = pixels that may change.
    """

    def __init__(self, constraint: Constraint, mask: torch.Tensor):
        self.constraint, self.mask = constraint, mask

    def direction(self, grad):
        return self.constraint.direction(grad * self.mask.to(grad))

    def project(self, x, anchor):
        m = self.mask.to(x)
        return self.constraint.project(anchor + m * (x - anchor), anchor)

    def random_start(self, x, anchor, generator):
        return self.project(self.constraint.random_start(x, anchor, generator), anchor)

    def __repr__(self):
        return f"Masked({self.constraint!r})"


def shift_to_target(x: torch.Tensor, direction: float | torch.Tensor, measure, expand, target: torch.Tensor,
                    bound: float, iterations: int = 30) -> torch.Tensor:
    """``clamp(x + expand(t) * direction, 0, 1)`` with the scalar ``t`` of each group (a pixel, a block) for which
    ``measure`` of it equals ``target``: the exact Euclidean projection of ``x`` onto {c in [0, 1]: measure(c) = target}
    when ``measure`` is a weighted sum over the group with weights proportional to ``direction`` (KKT). Found by bisection on
    ``t`` in [-bound, bound], over which ``measure`` rises monotonically from its value at 0 to its value at 1.

    Args:
        x: (N, C, H, W) images in [0, 1].
        direction: a number or a tensor broadcastable to ``x``, non-negative: how much each value moves per unit of ``t``.
        measure: images -> (N, ...) the constrained quantity per group, the shape of ``target``.
        expand: (N, ...) group scalars -> broadcastable to ``x``.
        target: the values to reach, in the range ``measure`` takes over [0, 1] images.
        bound: ``t`` is searched in [-bound, bound]; large enough that ``x + bound * direction`` is white and
            ``x - bound * direction`` black.
        iterations: bisection steps (30: ``t`` to ``2 * bound / 2**30``).
    """
    lo = torch.full_like(target, -bound).expand(len(x), *target.shape[1:]).contiguous()
    hi = torch.full_like(lo, bound)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        below = measure((x + expand(mid) * direction).clamp(0, 1)) < target
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
    return (x + expand((lo + hi) / 2) * direction).clamp(0, 1)


class BlockMeanConsistent:
    """Wrap a constraint so the result's k x k block means stay equal to ``low_res``.

    Super-resolution's data consistency: ``avg_pool(x, k) == low_res``. Steps are taken in its null space
    (gradients with their block means removed); after the inner projection (ball + [0, 1] clamp) each block is
    projected exactly onto the images in [0, 1] with its mean: ``clamp(x + t, 0, 1)`` with one shift ``t`` per block
    and channel, found by bisection (:func:`shift_to_target`). The anchor (the start, itself consistent) is in that
    set, so the projection never leaves the ball around it.

    Args:
        constraint: the inner constraint (ball around the anchor).
        low_res: (N, C, H/k, W/k) in [0, 1], the observed low-resolution images.
        factor: k.
        iterations: bisection steps.
    """

    def __init__(self, constraint: Constraint, low_res: torch.Tensor, factor: int, iterations: int = 30):
        self.constraint, self.low_res, self.factor, self.iterations = constraint, low_res, factor, iterations

    def _down(self, v):
        return F.avg_pool2d(v, self.factor)

    def _up(self, t):
        return F.interpolate(t, scale_factor=self.factor, mode="nearest")

    def _block_mean_up(self, v):
        return self._up(self._down(v))

    def direction(self, grad):
        return self.constraint.direction(grad - self._block_mean_up(grad))

    def consistent(self, x: torch.Tensor) -> torch.Tensor:
        """Project (N, C, H, W) images in [0, 1] onto ``avg_pool(x, k) == low_res`` within [0, 1], block by block."""
        return shift_to_target(x, 1.0, self._down, self._up, self.low_res.to(x), 1.0, self.iterations)

    def project(self, x, anchor):
        return self.consistent(self.constraint.project(x, anchor))

    def random_start(self, x, anchor, generator):
        return self.project(self.constraint.random_start(x, anchor, generator), anchor)

    def __repr__(self):
        return f"BlockMeanConsistent({self.constraint!r}, factor={self.factor})"


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights of R, G, B (they sum to 1)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] -> (N, 1, H, W) luminance Y = 0.299 R + 0.587 G + 0.114 B in [0, 1]."""
    return (x * torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)


class LuminanceKept:
    """Wrap a constraint so every pixel keeps its luminance: ``luminance(x) == luminance`` (colorization).

    Per pixel the feasible colours are the plane ``w . c = Y`` (w the BT.601 weights) inside the cube [0, 1]^3.
    Steps are taken in the plane (the gradient's luminance component removed); after the inner projection (ball
    + clamp) each pixel is projected exactly onto plane-within-cube: ``c = clamp(x + t * w, 0, 1)`` with t
    found by bisection (:func:`shift_to_target`). The grey image (R = G = B = Y) is feasible, so when
    the anchor is grey the projection never leaves the ball (a projection onto a convex set holding the anchor
    is non-expansive towards it).

    Args:
        constraint: the inner constraint (ball around the anchor).
        luminance: (N or 1, 1, H, W) in [0, 1], the luminance to keep.
        iterations: bisection steps.
    """

    def __init__(self, constraint: Constraint, luminance: torch.Tensor, iterations: int = 30):
        self.constraint, self.luminance, self.iterations = constraint, luminance, iterations

    @staticmethod
    def _weights(x):
        return torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)

    def direction(self, grad):
        w = self._weights(grad)
        return self.constraint.direction(grad - w * (grad * w).sum(1, keepdim=True) / (w * w).sum())

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        """Project (N, 3, H, W) images in [0, 1] onto the colours of the kept luminance, pixel by pixel."""
        w = self._weights(x)
        return shift_to_target(x, w, lambda c: (c * w).sum(1, keepdim=True), lambda t: t, self.luminance.to(x),
                               1.0 / min(LUMA), self.iterations)

    def project(self, x, anchor):
        return self.keep(self.constraint.project(x, anchor))

    def random_start(self, x, anchor, generator):
        return self.project(self.constraint.random_start(x, anchor, generator), anchor)

    def __repr__(self):
        return f"LuminanceKept({self.constraint!r})"


def ball(norm: str | None, eps: float | torch.Tensor | None) -> Constraint:
    """The one place a ``norm`` string (from presets or app widgets) becomes a constraint.

    Args:
        norm: ``"l2"``, ``"linf"`` or None (unconstrained; also when ``eps`` is None).
        eps: radius on [0, 1] images.

    Raises:
        ValueError: unknown norm.
    """
    if norm is None or eps is None:
        return Unconstrained()
    if norm == "l2":
        return L2Ball(eps)
    if norm == "linf":
        return LinfBall(eps)
    raise ValueError(f"norm must be 'l2' or 'linf', not {norm!r}")
