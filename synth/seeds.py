"""Class-conditional seed distributions for generation (Santurkar et al. 2019, §3.1;
Duke's seed ablation): uniform [0, 1), univariate normal (per-pixel mean and variance),
multivariate normal (mean and covariance) and a mixture of Gaussians per class.

A covariance over 3,072 dimensions is 38 MB per class in float32, so Gaussians are
stored as ``mean + factor @ z + sqrt(diag) * z'``: the top-``rank`` principal directions
of the class (scaled by the square root of their variance; exact when ``rank`` >= the
number of images - 1) plus the diagonal of the remaining covariance, so every pixel's
variance is always exact. Large images are fitted at a reduced resolution and the seeds
upsampled with nearest neighbour, as in the paper and the Duke study. Fitted statistics
for the bundled models' data sets ship in ``assets/seeds``; sampling is seeded through a
``torch.Generator`` only.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from .randomness import is_per_sample

SEEDS_DIR = Path(__file__).resolve().parent.parent / "assets" / "seeds"  # the shipped statistics (read-only)
KINDS = ("uniform", "univariate", "multivariate", "mixture")


@dataclass
class LowRankGaussian:
    """N(mean, factor @ factor.T + diag(diag)) in d dimensions.

    Attributes:
        mean: (d,); factor: (d, k) (k may be 0); diag: (d,) >= 0.
    """
    mean: torch.Tensor
    factor: torch.Tensor
    diag: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, rank: int) -> "LowRankGaussian":
        """Fit to samples ``x`` (n, d) float64-safe: top-``rank`` eigenpairs + residual diagonal."""
        x = x.double()
        mean = x.mean(0)
        xc = x - mean
        n, d = x.shape
        var = xc.pow(2).sum(0) / max(n - 1, 1)
        rank = min(rank, n - 1, d)
        if rank <= 0:
            return cls(mean.float(), x.new_zeros(d, 0).float(), var.float())
        if n - 1 <= d:  # Gram trick: eigenvectors of the n x n matrix
            evals, evecs = torch.linalg.eigh(xc @ xc.T / (n - 1))
            evals, evecs = evals.flip(0)[:rank].clamp_min(0), evecs.flip(1)[:, :rank]
            dirs = xc.T @ evecs / (evals * (n - 1)).sqrt().clamp_min(1e-12)
        else:
            evals, evecs = torch.linalg.eigh(xc.T @ xc / (n - 1))
            evals, dirs = evals.flip(0)[:rank].clamp_min(0), evecs.flip(1)[:, :rank]
        factor = dirs * evals.sqrt()
        diag = (var - factor.pow(2).sum(1)).clamp_min(0)
        return cls(mean.float(), factor.float(), diag.float())

    def covariance(self) -> torch.Tensor:
        """(d, d) the represented covariance (for tests and small d)."""
        return self.factor @ self.factor.T + torch.diag(self.diag)

    def sample(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """(n, d) samples."""
        d, k = self.factor.shape
        z = torch.randn(n, k, generator=generator)
        e = torch.randn(n, d, generator=generator)
        return self.mean + z @ self.factor.float().T + e * self.diag.float().sqrt()


@dataclass
class SeedDistribution:
    """Per-class seed distribution producing images.

    Attributes:
        kind: one of :data:`KINDS`.
        shape: (C, H, W) of the images the model takes.
        fit_size: side at which the statistics were fitted (seeds are upsampled).
        classes: class names, index = label.
        components: per class, a list of (weight, LowRankGaussian); empty for uniform.
        info: how it was fitted (data set, counts, explained variance).
    """
    kind: str
    shape: tuple
    fit_size: int
    classes: tuple
    components: list
    info: dict

    def sample(self, label: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Seeds for a batch of labels.

        Args:
            label: (N,) int64 class indices.
            generator: the only source of randomness: one for the batch, or one per sample
                (``synth.randomness``).

        Returns:
            (N, C, H, W) float in [0, 1] (Gaussian samples clamped).
        """
        label = torch.as_tensor(label, dtype=torch.long).flatten().cpu()
        if is_per_sample(generator):  # one stream per sample: sample i is the same in any batch
            if len(generator) != len(label):
                raise ValueError(f"got {len(generator)} generators for {len(label)} labels")
            return torch.cat([self.sample(label[i:i + 1], g) for i, g in enumerate(generator)]) if len(label) else \
                torch.empty(0, *self.shape)
        c, h, w = self.shape
        if self.kind == "uniform":
            return torch.rand(len(label), c, h, w, generator=generator)
        out = torch.empty(len(label), c * self.fit_size * self.fit_size)
        # one draw per sample, in batch order, so that sample i depends only on the generator state
        pick = torch.rand(len(label), generator=generator)
        for i, y in enumerate(label.tolist()):
            comps = self.components[y]
            weights = torch.tensor([wt for wt, _ in comps])
            j = int(torch.searchsorted(weights.cumsum(0), pick[i] * weights.sum()).clamp(max=len(comps) - 1))
            out[i] = comps[j][1].sample(1, generator)[0]
        x = out.view(-1, c, self.fit_size, self.fit_size)
        if self.fit_size != h:
            x = F.interpolate(x, size=(h, w), mode="nearest")
        return x.clamp(0, 1)

    def save(self, path: str | Path) -> None:
        """Write the statistics (float16 factors) to a safetensors file with JSON metadata."""
        tensors = {}
        for y, comps in enumerate(self.components):
            for j, (_, g) in enumerate(comps):
                tensors[f"{y}.{j}.mean"] = g.mean.contiguous()
                tensors[f"{y}.{j}.factor"] = g.factor.half().contiguous()
                tensors[f"{y}.{j}.diag"] = g.diag.contiguous()
        meta = {"kind": self.kind, "shape": list(self.shape), "fit_size": self.fit_size, "classes": list(self.classes),
                "weights": [[wt for wt, _ in comps] for comps in self.components], "info": self.info}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path), metadata={"seeds": json.dumps(meta)})

    @classmethod
    def load(cls, path: str | Path) -> "SeedDistribution":
        from safetensors import safe_open
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["seeds"])
        t = load_file(str(path))
        comps = [[(wt, LowRankGaussian(t[f"{y}.{j}.mean"], t[f"{y}.{j}.factor"].float(), t[f"{y}.{j}.diag"]))
                  for j, wt in enumerate(ws)] for y, ws in enumerate(meta["weights"])]
        return cls(meta["kind"], tuple(meta["shape"]), meta["fit_size"], tuple(meta["classes"]), comps, meta["info"])


def _kmeans(x: torch.Tensor, k: int, generator: torch.Generator, iters: int = 25) -> torch.Tensor:
    """Cluster assignments (n,) of ``x`` (n, d) by Lloyd's k-means, seeded."""
    centres = x[torch.randperm(len(x), generator=generator)[:k]].clone()
    for _ in range(iters):
        assign = torch.cdist(x, centres).argmin(1)
        for j in range(k):
            members = x[assign == j]
            if len(members):
                centres[j] = members.mean(0)
    return assign


def fit(images: torch.Tensor, labels: torch.Tensor, classes, kind: str = "multivariate", *,
        fit_size: int | None = None, rank: int = 128, components: int = 4, component_rank: int = 16,
        seed: int = 0, dataset: str = "") -> SeedDistribution:
    """Fit class-conditional seed statistics.

    Args:
        images: (N, 3, H, W) uint8 or float in [0, 1].
        labels: (N,) int64.
        classes: class names.
        kind: ``uniform``, ``univariate``, ``multivariate`` or ``mixture``.
        fit_size: side to fit at (block-mean downsampling); default H (CIFAR) or H/4 for H > 64.
        rank: principal directions kept per class (multivariate).
        components, component_rank: mixture components per class and their rank.
        seed: k-means initialisation (mixture).

    Raises:
        ValueError: unknown kind, or a class without images.
    """
    if kind not in KINDS:
        raise ValueError(f"seed kind must be one of {KINDS}, not {kind!r}")
    x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    c, h, w = x.shape[1:]
    fit_size = fit_size or (h if h <= 64 else h // 4)
    info = {"dataset": dataset, "images": int(len(labels)), "fit_size": fit_size}
    comps = []
    if kind != "uniform":
        small = F.adaptive_avg_pool2d(x, fit_size) if fit_size != h else x
        flat = small.flatten(1)
        g = torch.Generator().manual_seed(seed)
        explained = []
        for y in range(len(classes)):
            xy = flat[labels == y]
            if len(xy) < 2:
                raise ValueError(f"class {classes[y]!r} has {len(xy)} images; need at least 2")
            if kind == "univariate":
                comps.append([(1.0, LowRankGaussian.fit(xy, 0))])
            elif kind == "multivariate":
                gauss = LowRankGaussian.fit(xy, rank)
                explained.append(float(gauss.factor.pow(2).sum() / (gauss.factor.pow(2).sum() + gauss.diag.sum())))
                comps.append([(1.0, gauss)])
            else:
                assign = _kmeans(xy, components, g)
                comps.append([(float((assign == j).float().mean()), LowRankGaussian.fit(xy[assign == j], component_rank))
                              for j in range(components) if (assign == j).sum() >= 2])
        info.update({"rank": rank} if kind == "multivariate" else {})
        info.update({"components": components, "component_rank": component_rank} if kind == "mixture" else {})
        if explained:
            info["variance_in_factor"] = round(sum(explained) / len(explained), 4)
    return SeedDistribution(kind, (c, h, w), fit_size, tuple(classes), comps, info)


def user_dir() -> Path:
    """Where fitted seed statistics of the user's own data sets go: ``$SYNTH_SEEDS_DIR``, else ``~/.cache/synth/seeds``
    (never inside the installed package)."""
    return Path(os.environ.get("SYNTH_SEEDS_DIR", Path.home() / ".cache" / "synth" / "seeds"))


def path_for(dataset: str, kind: str) -> Path:
    """The statistics file of ``dataset`` and ``kind``: the user's (:func:`user_dir`) if there is one, else the shipped
    one (which may not exist)."""
    name = f"{dataset}-{kind}.safetensors"
    return user_dir() / name if (user_dir() / name).exists() else SEEDS_DIR / name


def for_model(model, kind: str = "multivariate", fallback: bool = True) -> SeedDistribution:
    """The seed distribution of ``kind`` for ``model``'s data set and input size.

    Statistics come from the user's folder (:func:`user_dir`, written by ``python -m synth.seeds``) or the shipped
    ones. Where there are none for the model's data set (a wrapped or added model, a kind not fitted), ``fallback``
    gives uniform seeds, which need no statistics, with a warning and ``info["fallback"]`` saying so.

    Raises:
        ValueError: an unknown ``kind``.
        FileNotFoundError: no statistics and ``fallback`` is False (the benches ask for the real thing).
    """
    if kind not in KINDS:
        raise ValueError(f"seed kind must be one of {KINDS}, not {kind!r}")
    shape = (3, *model.input_size)
    if kind == "uniform":
        return SeedDistribution("uniform", shape, shape[1], model.classes, [], {})
    path = path_for(model.dataset, kind)
    if not path.exists():
        note = (f"no {kind} seed statistics for data set {model.dataset!r}: uniform seeds used instead (fit them with "
                f"python -m synth.seeds --dataset NAME, or save synth.seeds.fit(...) into the folder SYNTH_SEEDS_DIR names)")
        if not fallback:
            raise FileNotFoundError(note)
        warnings.warn(note, stacklevel=2)
        return SeedDistribution("uniform", shape, shape[1], model.classes, [], {"fallback": note})
    dist = _load_cached(str(path), path.stat().st_mtime)
    # statistics of another resolution are resampled by sample(); the cached object stays untouched
    return dataclasses.replace(dist, shape=shape) if tuple(dist.shape) != shape else dist


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> SeedDistribution:
    """Load once per file version (the app samples seeds on every request)."""
    return SeedDistribution.load(path)


def main(argv=None):
    """``python -m synth.seeds --dataset cifar10``: fit and save every kind for a data set."""
    import argparse
    from . import data
    p = argparse.ArgumentParser(prog="python -m synth.seeds", description=main.__doc__)
    p.add_argument("--dataset", default="cifar10", choices=["cifar10", "imagenette", "horse2zebra"])
    p.add_argument("--size", type=int, default=None, help="image side the model takes (default 32 / 128)")
    p.add_argument("--kinds", nargs="+", default=["univariate", "multivariate", "mixture"])
    p.add_argument("--out-dir", default=None, help="default: the user folder (SYNTH_SEEDS_DIR or ~/.cache/synth/seeds)")
    args = p.parse_args(argv)
    size = args.size or (32 if args.dataset == "cifar10" else 128)
    train = data.load(args.dataset, "train", size)
    for kind in args.kinds:
        dist = fit(train.images, train.labels, train.classes, kind, dataset=args.dataset)
        out = Path(args.out_dir or user_dir()) / f"{args.dataset}-{kind}.safetensors"
        dist.save(out)
        print(f"{out}: {dist.info}")


if __name__ == "__main__":
    main()
