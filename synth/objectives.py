"""Objectives for :func:`synth.pgd.pgd`: per-sample scores to **maximise**.

An :class:`Objective` maps the :class:`Outputs` of one forward pass to a (N,) score.
Objectives never call the model; they declare which feature layers they read
(``layers``) and whether the representation should use the straight-through ReLU, and
``pgd`` runs the single forward pass that provides them. They compose with ``+``,
``-``, unary ``-`` and scalar ``*``, e.g. inpainting (Santurkar et al. 2019, eq. 3)::

    class_score(y) - lam * masked_distance(x_corrupt, keep=1 - mask)

Paper formulas written as ``argmin L`` become ``maximise -L``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


@dataclass
class Outputs:
    """What one forward pass exposes to objectives.

    Attributes:
        logits: (N, K).
        rep: (N, D) penultimate representation R(x) (None if not computed).
        features: {layer name: (N, ...)} intermediate activations requested by the objective.
        image: (N, C, H, W) the input in [0, 1], for image-space penalties.
    """
    logits: torch.Tensor
    rep: torch.Tensor | None = None
    features: dict = field(default_factory=dict)
    image: torch.Tensor | None = None


class Objective:
    """Base class: subclasses implement ``score(out) -> (N,)`` and set ``name``.

    Attributes:
        layers: feature layer names this objective reads from ``out.features``.
        straight_through: whether it wants R(x) through a straight-through ReLU.
    """
    name = "objective"
    layers: tuple[str, ...] = ()
    straight_through = False

    def score(self, out: Outputs) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, out: Outputs) -> torch.Tensor:
        s = self.score(out)
        if s.dim() != 1:
            raise ValueError(f"{self.name} must return one score per sample, got shape {tuple(s.shape)}")
        return s

    def __add__(self, other):
        return _Sum([(1.0, self), (1.0, other)])

    def __sub__(self, other):
        return _Sum([(1.0, self), (-1.0, other)])

    def __neg__(self):
        return _Sum([(-1.0, self)])

    def __mul__(self, k):
        if not isinstance(k, (int, float)):
            return NotImplemented
        return _Sum([(float(k), self)])

    __rmul__ = __mul__

    def __repr__(self):
        return self.name


class _Sum(Objective):
    """A weighted sum of objectives (what the algebra builds)."""

    def __init__(self, terms):
        flat = []
        for w, t in terms:
            flat += [(w * w2, t2) for w2, t2 in t.terms] if isinstance(t, _Sum) else [(w, t)]
        self.terms = flat
        self.layers = tuple(dict.fromkeys(name for _, t in flat for name in t.layers))
        self.straight_through = any(t.straight_through for _, t in flat)
        text = " ".join(f"{'-' if w < 0 else '+'} {'' if abs(w) == 1 else f'{abs(w):g}*'}{t.name}" for w, t in flat)
        self.name = text[2:] if text.startswith("+ ") else "-" + text[2:]

    def score(self, out):
        return sum(w * t(out) for w, t in self.terms)


class class_score(Objective):
    """log p(y | x): the target's log-softmax (= minus the cross-entropy), per sample.

    Args:
        label: (N,) int64 target classes (or an int for the whole batch).
        max_prob: optional cap: the score is ``min(log p(y|x), log max_prob)``, so a sample
            whose target probability reached ``max_prob`` gets no gradient and stops moving
            (keeps generated images from over-saturating into class prototypes). ``None``
            or 1 means no cap (log 1 = 0 never binds).
    """

    def __init__(self, label, max_prob: float | None = None):
        if max_prob is not None and not 0 < max_prob <= 1:
            raise ValueError(f"max_prob must be in (0, 1], not {max_prob}")
        self.label, self.max_prob = label, (None if max_prob == 1 else max_prob)
        self.name = "log p(y|x)" if self.max_prob is None else f"min(log p(y|x), log {self.max_prob:g})"

    def score(self, out):
        y = torch.as_tensor(self.label, device=out.logits.device).expand(out.logits.shape[0])
        s = F.log_softmax(out.logits.float(), dim=1).gather(1, y.view(-1, 1)).squeeze(1)
        return s if self.max_prob is None else s.clamp(max=math.log(self.max_prob))


class marginal_score(Objective):
    """``logsumexp_k f_k(x)``: minus the energy of x when the classifier is read as an energy-based model (Grathwohl
    et al. 2020's JEM; Zhu et al. 2021 read robust classifiers so), i.e. log p(x) up to a constant.

    Added to :class:`class_score` it gives the joint score ``log p(x, y) = f_y(x)`` (up to a constant): the class's
    logit, which also asks the sample to look like data rather than only to be far from the other classes.
    """
    name = "logsumexp f(x)"

    def score(self, out):
        return torch.logsumexp(out.logits.float(), dim=1)


class activation(Objective):
    """One component of the representation, R(x)_f (feature painting, eq. 5).

    Uses the straight-through ReLU so that units at zero can be raised.

    Args:
        index: (N,) int64 or int, the component f of R(x) per sample.
        scale: multiplier (the authors' notebook scales the activation by 0.1).
    """
    straight_through = True

    def __init__(self, index, scale: float = 1.0):
        self.index, self.scale = index, scale
        self.name = f"{scale:g}*R(x)_f" if scale != 1 else "R(x)_f"

    def score(self, out):
        if out.rep is None:
            raise ValueError("activation() needs the representation; the model returned none")
        f = torch.as_tensor(self.index, device=out.rep.device).expand(out.rep.shape[0])
        return self.scale * out.rep.float().gather(1, f.view(-1, 1)).squeeze(1)


class feature_match(Objective):
    """Minus the weighted distance between features and targets (BIGRoC eq. 3):
    ``-sum_i w_i ||F_i(x) - F_i(x_t)||_2``.

    Args:
        targets: {layer name or "rep": (N, ...) target features}.
        weights: {layer name: w_i}; default 1 for each.
    """

    def __init__(self, targets: dict, weights: dict | None = None):
        self.targets = {k: v.detach() for k, v in targets.items()}
        self.weights = weights or {k: 1.0 for k in targets}
        self.layers = tuple(k for k in targets if k != "rep")
        self.name = "-feature distance"

    def score(self, out):
        total = 0
        for k, target in self.targets.items():
            f = out.rep if k == "rep" else out.features[k]
            total = total + self.weights[k] * (f.float() - target.float()).flatten(1).norm(dim=1)
        return -total


class masked_distance(Objective):
    """Distance to a reference image on the pixels to keep: a penalty, subtract it.

    ``mean_squared=False``: ``||(x - ref) * keep||_2`` (the paper's eq. 3 and 5);
    ``mean_squared=True``: mean over pixels of ``((x - ref) * keep)^2`` (the authors'
    notebooks, see PAPERS.md).

    Args:
        ref: (N, C, H, W) reference in [0, 1].
        keep: (N or 1, 1 or C, H, W) in {0, 1}; 1 = pixels that should stay.
    """

    def __init__(self, ref: torch.Tensor, keep: torch.Tensor, mean_squared: bool = False):
        self.ref, self.keep, self.mean_squared = ref.detach(), keep, mean_squared
        self.name = "mean sq. dist outside mask" if mean_squared else "||dist outside mask||"

    def score(self, out):
        d = ((out.image - self.ref) * self.keep.to(out.image)).flatten(1)
        return d.pow(2).mean(dim=1) if self.mean_squared else d.norm(dim=1)
