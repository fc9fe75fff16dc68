"""Does a setting show the papers' effect? Robust and standard results side by side, judged
by an independent robust evaluator.

The claim of all the papers is that a robust model's gradients add what a person sees as the
class and a standard model's do not. A measure counts only if the standard twin fails it:
agreement and Fréchet distance taken in a *standard* classifier's eyes are passed by the
standard twin's adversarial "samples" too (adversarial changes transfer between standard
networks). Here the judge is an adversarially robust classifier of another architecture that no
task optimises against (``cifar10-evaluator``), and every measure is reported for the same
inputs three times: the starts, the robust model's results and the standard twin's results.

:data:`CRITERIA` states what counts as showing the effect (the thresholds are data, in one
place); :func:`compare` measures the three columns and checks them. What lives elsewhere: the
metrics themselves (``synth.metrics``) and the task functions that make the images.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from .. import metrics


@dataclass(frozen=True)
class Criteria:
    """What counts as showing the effect, on CIFAR-10 (32 px); distances scale with
    sqrt(pixels / 1024) for larger images.

    Attributes:
        min_agreement: (a) the evaluator sees the target class in at least this fraction of the
            robust model's results.
        min_gain: (b) the robust results raise that agreement over the starts by at least this
            (a fraction: 0.25 = 25 points) ...
        min_gain_ratio: (b) ... and by at least this many times what the standard twin's results raise it.
        min_l2: (c) the results move visibly: median L2 distance from the start at least this.
        (d) realism no worse than the start: the evaluator's Fréchet distance of the results is at
            most that of the starts (no parameter).
    """
    min_agreement: float = 0.90
    min_gain: float = 0.25
    min_gain_ratio: float = 4.0
    min_l2: float = 5.0

    def min_l2_for(self, shape) -> float:
        """(c)'s threshold for images of ``shape`` (..., H, W)."""
        return self.min_l2 * math.sqrt(shape[-1] * shape[-2] / 1024)


CRITERIA = Criteria()


@dataclass
class Column:
    """The measures of one set of images (starts, robust results or standard results).

    Attributes:
        agreement: fraction (0..1) the evaluator assigns to the target class.
        fd: the evaluator's class-conditional Fréchet distance to real images (mean over the
            target classes of the FD to real images of that class), lower is more realistic.
        median_l2: median per-image L2 distance from the start (0 for the starts).
        mean_change: mean absolute change per pixel and channel, in 1/255 steps.
        agreement_standard: the same agreement in the standard classifier's eyes (a second
            column, labelled for what it is: the standard twin passes it too), or None.
    """
    agreement: float
    fd: float
    median_l2: float
    mean_change: float
    agreement_standard: float | None = None


@dataclass
class Comparison:
    """Starts, robust results and standard results measured on the same inputs, and the verdict.

    Attributes:
        starts, robust, standard: :class:`Column` each.
        checks: criterion letter -> (value, threshold, passed), e.g. ``{"a": (0.97, 0.9, True)}``;
            (b)'s value is the robust gain, its threshold the larger of ``min_gain`` and
            ``min_gain_ratio`` times the standard gain.
    """
    starts: Column
    robust: Column
    standard: Column
    checks: dict

    @property
    def shown(self) -> bool:
        """All four criteria hold."""
        return all(ok for _, _, ok in self.checks.values())

    @property
    def failed(self) -> list[str]:
        """Letters of the criteria that do not hold."""
        return [k for k, (_, _, ok) in self.checks.items() if not ok]

    def as_dict(self) -> dict:
        """JSON-ready: the three columns, the checks as lists, and ``shown``."""
        return {"starts": asdict(self.starts), "robust": asdict(self.robust), "standard": asdict(self.standard),
                "checks": {k: list(v) for k, v in self.checks.items()}, "shown": self.shown}

    @classmethod
    def from_dict(cls, d: dict) -> "Comparison":
        """The inverse of :meth:`as_dict` (bench reports are re-rendered from their JSON)."""
        return cls(Column(**d["starts"]), Column(**d["robust"]), Column(**d["standard"]),
                   checks={k: tuple(v) for k, v in d["checks"].items()})


class RealFeatures:
    """The evaluator's features of real images, by class, the reference of :func:`class_fd`.

    Args:
        evaluator: a ``RobustClassifier``.
        images: (N, 3, H, W) real images in [0, 1]; labels: (N,) their classes.
    """

    def __init__(self, evaluator, images: torch.Tensor, labels: torch.Tensor):
        self.evaluator = evaluator
        self.features = metrics.features(evaluator, images)
        self.labels = labels.cpu()

    def of_class(self, c: int) -> torch.Tensor:
        return self.features[self.labels == c]


def class_fd(real: RealFeatures, x: torch.Tensor, labels: torch.Tensor, features: torch.Tensor | None = None) -> float:
    """Class-conditional Fréchet distance: the mean over the classes in ``labels`` of the FD between
    the images meant to be of class c and the real images of class c, in the evaluator's features.

    Translation and sketch starts are real images or drawings of *another* class, so only a per-class
    reference says whether a result looks like its target class.

    Args:
        real: the reference features.
        x: (N, 3, H, W) images in [0, 1]; labels: (N,) the class each is meant to show.
        features: ``metrics.features(real.evaluator, x)`` if already computed.
    """
    feats = metrics.features(real.evaluator, x) if features is None else features
    labels = labels.cpu()
    classes, counts = labels.unique(return_counts=True)
    if (counts < 2).any():
        raise ValueError("class_fd needs at least 2 images of every target class (a covariance per class)")
    return sum(metrics.frechet_distance(feats[labels == c], real.of_class(c)) for c in classes.tolist()) / len(classes)


def column(real: RealFeatures, x: torch.Tensor, labels: torch.Tensor, start: torch.Tensor, standard=None) -> Column:
    """Measure one set of images against the targets ``labels`` (N,) and their ``start`` (N, 3, H, W)."""
    x, start = x.float().cpu(), start.float().cpu()
    moved = (x - start).flatten(1)
    return Column(agreement=metrics.agreement(real.evaluator, x, labels), fd=class_fd(real, x, labels),
                  median_l2=float(moved.norm(dim=1).median()), mean_change=float(moved.abs().mean() * 255),
                  agreement_standard=None if standard is None else metrics.agreement(standard, x, labels))


def check(starts: Column, robust: Column, standard: Column, shape, criteria: Criteria = CRITERIA) -> dict:
    """The four criteria (see :class:`Criteria`) -> {letter: (value, threshold, passed)}."""
    gain, gain_standard = robust.agreement - starts.agreement, standard.agreement - starts.agreement
    need = max(criteria.min_gain, criteria.min_gain_ratio * gain_standard)
    min_l2 = criteria.min_l2_for(shape)
    return {"a": (robust.agreement, criteria.min_agreement, robust.agreement >= criteria.min_agreement),
            "b": (gain, need, gain >= need),
            "c": (robust.median_l2, min_l2, robust.median_l2 >= min_l2),
            "d": (robust.fd, starts.fd, robust.fd <= starts.fd)}


def crop_region(x: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """The bounding box of ``region`` cut out of ``x`` and resized (bilinear, antialiased) to x's size: a painted
    patch seen as an image of its own.

    Args:
        x: (N, 3, H, W) images in [0, 1].
        region: (N or 1, 1, H, W), nonzero inside; one box, the union's, for all images.
    """
    rows, cols = region.flatten(0, 1).amax(0).nonzero(as_tuple=True)
    if len(rows) == 0:
        raise ValueError("the region is empty")
    box = x[..., int(rows.min()):int(rows.max()) + 1, int(cols.min()):int(cols.max()) + 1].float()
    return F.interpolate(box, size=x.shape[-2:], mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def compare(real: RealFeatures, starts: torch.Tensor, robust: torch.Tensor, standard: torch.Tensor,
            labels: torch.Tensor, *, standard_judge=None, region: torch.Tensor | None = None,
            criteria: Criteria = CRITERIA) -> Comparison:
    """Measure starts, robust and standard results on the same inputs and check the criteria.

    Args:
        real: the evaluator and its features of real images.
        starts: (N, 3, H, W) the task's starting images (seeds, source images, sketches, fills ...).
        robust, standard: (N, 3, H, W) the robust model's and the standard twin's results from them.
        labels: (N,) the target classes.
        standard_judge: a standard classifier for the second agreement column (optional).
        region: (N or 1, 1, H, W) for a task that changes part of the image (feature painting): every measure and
            criterion is taken on that part, cut out and resized to the image size (:func:`crop_region`), as if it
            were an image of its own.

    Returns:
        :class:`Comparison`.
    """
    if region is not None:
        starts, robust, standard = (crop_region(x.float().cpu(), region.cpu()) for x in (starts, robust, standard))
    cols = [column(real, x, labels, starts, standard_judge) for x in (starts, robust, standard)]
    return Comparison(*cols, checks=check(*cols, starts.shape, criteria))


def verdict(c: Comparison) -> str:
    """A short text: 'all four' or which criteria fail and by how much."""
    if c.shown:
        return "meets (a)-(d)"
    parts = []
    for k in c.failed:
        value, need, _ = c.checks[k]
        parts.append(f"({k}) {value:.2f} vs {need:.2f}" if k in "cd" else f"({k}) {100 * value:.1f} vs {100 * need:.1f} pts"
                     if k == "b" else f"({k}) {100 * value:.1f}% vs {100 * need:.0f}%")
    return "misses " + ", ".join(parts)
