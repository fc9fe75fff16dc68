"""Feature priors: per class, a Gaussian over one model's representation R(x) of real training images.

Santurkar et al.'s seeds are a class-conditional Gaussian in *pixel* space; a feature prior is the same kind of model
in the classifier's *feature* space. Generation with a prior (``synth.generate`` with a preset whose
``feature_prior`` weight is set) draws one target representation per sample from its class's Gaussian and, for the
last ``feature_prior_steps`` steps, adds ``lam * -||R(x) - target||`` to the class score: the sample keeps its class
and moves toward a *typical* representation of it, a different one per sample, instead of toward the class's most
confident corner (``bench/sampler_cifar10.py`` measures it against the alternatives, robust vs standard).

A prior belongs to one model (its representation); the bundled models' priors ship in ``assets/priors`` as
``<model name>.safetensors``, fitted by ``python -m synth.priors --model NAME``; a user's own go to
:func:`synth.seeds.user_dir`, never inside the installed package. Sampling is seeded through ``torch.Generator``.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .randomness import Generators, is_per_sample
from .seeds import LowRankGaussian, user_dir

PRIORS_DIR = Path(__file__).resolve().parent.parent / "assets" / "priors"  # the shipped priors (read-only)
RANK = 64  # principal directions per class (R(x) of the bundled CIFAR-10 ResNet-18s has 256 dimensions)


@dataclass
class FeaturePrior:
    """Per-class Gaussians over a model's representation.

    Attributes:
        model: the name of the model whose R(x) it describes.
        classes: class names, index = label.
        gaussians: one :class:`synth.seeds.LowRankGaussian` per class, in R(x)'s D dimensions.
        info: how it was fitted (images per class, rank, data set).
    """
    model: str
    classes: tuple
    gaussians: list
    info: dict

    @property
    def dim(self) -> int:
        """D, the representation's size."""
        return int(self.gaussians[0].mean.numel())

    def sample(self, label: torch.Tensor, generator: Generators = None) -> torch.Tensor:
        """(N, D) float32 target representations, one per label, clamped at 0 (R(x) follows a ReLU).

        Args:
            label: (N,) int64 class indices.
            generator: one ``torch.Generator`` for the batch (draws in batch order) or one per sample.

        Raises:
            ValueError: a label outside the prior's classes, or a generator count that is not N.
        """
        label = torch.as_tensor(label, dtype=torch.long).flatten().cpu()
        if len(label) and (label.min() < 0 or label.max() >= len(self.gaussians)):
            raise ValueError(f"labels must be in 0..{len(self.gaussians) - 1}")
        if is_per_sample(generator) and len(generator) != len(label):
            raise ValueError(f"got {len(generator)} generators for {len(label)} labels")
        rows = [self.gaussians[int(y)].sample(1, generator[i] if is_per_sample(generator) else generator)
                for i, y in enumerate(label)]
        return torch.cat(rows).clamp_min(0) if rows else torch.empty(0, self.dim)

    def save(self, path: str | Path) -> None:
        """Write the Gaussians (float16 factors) to a safetensors file with JSON metadata."""
        tensors = {}
        for y, g in enumerate(self.gaussians):
            tensors[f"{y}.mean"], tensors[f"{y}.diag"] = g.mean.contiguous(), g.diag.contiguous()
            tensors[f"{y}.factor"] = g.factor.half().contiguous()
        meta = {"model": self.model, "classes": list(self.classes), "info": self.info}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path), metadata={"prior": json.dumps(meta)})

    @classmethod
    def load(cls, path: str | Path) -> "FeaturePrior":
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["prior"])
        t = load_file(str(path))
        gaussians = [LowRankGaussian(t[f"{y}.mean"], t[f"{y}.factor"].float(), t[f"{y}.diag"]) for y in range(len(meta["classes"]))]
        return cls(meta["model"], tuple(meta["classes"]), gaussians, meta["info"])


@torch.no_grad()
def fit(model, images: torch.Tensor, labels: torch.Tensor, rank: int = RANK, batch_size: int = 500,
        dataset: str = "") -> FeaturePrior:
    """Fit ``model``'s feature prior on real images.

    Args:
        model: a ``RobustClassifier``.
        images: (N, 3, H, W) uint8 or float in [0, 1] at the model's input size.
        labels: (N,) int64 classes of ``model``.
        rank: principal directions kept per class (plus the residual diagonal).

    Raises:
        ValueError: a class of the model with fewer than 2 images.
    """
    from .metrics import features  # the batched R(x) of the quality measures
    x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    feats = features(model, x, batch_size=batch_size).float()
    gaussians = []
    for y, name in enumerate(model.classes):
        fy = feats[labels == y]
        if len(fy) < 2:
            raise ValueError(f"class {name!r} has {len(fy)} images; need at least 2")
        gaussians.append(LowRankGaussian.fit(fy, rank))
    info = {"dataset": dataset, "images": int(len(labels)), "rank": rank, "dim": int(feats.shape[1])}
    return FeaturePrior(model.name, tuple(model.classes), gaussians, info)


def path_for(model_name: str) -> Path:
    """The prior file of ``model_name``: the user's (:func:`synth.seeds.user_dir`) if there is one, else the shipped
    one (which may not exist)."""
    user = user_dir() / "priors" / f"{model_name}.safetensors"
    return user if user.exists() else PRIORS_DIR / f"{model_name}.safetensors"


def for_model(model) -> FeaturePrior | None:
    """``model``'s feature prior, or None where none was fitted (a wrapped or added model)."""
    path = path_for(model.name)
    return _load_cached(str(path), path.stat().st_mtime) if path.exists() else None


_CACHE: dict = {}


def _load_cached(path: str, mtime: float) -> FeaturePrior:
    key = (path, mtime)
    if key not in _CACHE:
        _CACHE[key] = FeaturePrior.load(path)
    return _CACHE[key]


def main(argv=None):
    """``python -m synth.priors --model cifar10-l2``: fit a model's prior on its data set's training split."""
    from . import data
    from .sources import load_model
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--model", nargs="+", required=True, help="model names or ids (synth.load_model)")
    p.add_argument("--rank", type=int, default=RANK)
    p.add_argument("--out-dir", default=None, help=f"default: {user_dir() / 'priors'}")
    args = p.parse_args(argv)
    for name in args.model:
        model = load_model(name)
        train = data.load(model.dataset, "train", size=model.input_size[0])
        prior = fit(model, train.images, train.labels, args.rank, dataset=model.dataset)
        out = Path(args.out_dir or user_dir() / "priors") / f"{model.name}.safetensors"
        prior.save(out)
        print(f"{model.name}: {prior.info['images']} images, rank {args.rank}, D {prior.dim} -> {out}")


if __name__ == "__main__":
    main()
