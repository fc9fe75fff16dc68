"""The classifier wrapper every task uses: [0, 1] images in, logits out.

:class:`RobustClassifier` owns the normalisation (so nothing else ever normalises),
the class names, the input size, the data set and how the network was trained, and
gives the PGD loop one forward pass that returns logits, the penultimate
representation R(x) and any intermediate feature maps (through forward hooks that are
always removed). Where models come from (bundled files, the Madry lab's checkpoints,
torchvision) lives in ``synth.sources``.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from .objectives import Outputs


@dataclass(frozen=True)
class Robustness:
    """How a model was adversarially trained: threat model and radius on [0, 1] images."""
    norm: str
    eps: float

    def __str__(self):
        return f"{self.norm.upper()} eps {self.eps:g}"


class RobustClassifier(nn.Module):
    """A classifier on [0, 1] images with the metadata synthesis needs.

    Args:
        net: module with ``forward_features(x, straight_through) -> (N, D)`` and ``fc``
            (see ``synth.architectures``), taking normalised images.
        mean, std: per-channel normalisation applied inside ``forward``.
        classes: class names, index = label.
        input_size: (H, W) the network was trained at.
        dataset: name of the training data set (``cifar10``, ``imagenette`` ...).
        robust: :class:`Robustness`, or None for a standard model.
        name: registry name or path it was loaded from.
        card: the JSON card (training recipe, measured accuracies), if any.

    Shapes: ``forward(x)``: x (N, 3, H, W) float in [0, 1] -> logits (N, K).
    """

    def __init__(self, net: nn.Module, mean, std, classes, input_size, dataset: str,
                 robust: Robustness | None, name: str = "", card: dict | None = None):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.classes = tuple(classes)
        self.input_size = tuple(input_size)
        self.dataset, self.robust, self.name, self.card = dataset, robust, name, card or {}
        self.eval()

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self.net.forward_features(self.normalize(x)))

    def representation(self, x: torch.Tensor, straight_through: bool = False) -> torch.Tensor:
        """R(x): (N, 3, H, W) in [0, 1] -> (N, D) penultimate features."""
        return self.net.forward_features(self.normalize(x), straight_through)

    def outputs(self, x: torch.Tensor, layers=(), straight_through: bool = False) -> Outputs:
        """One forward pass returning logits, R(x) and the feature maps of ``layers``.

        Args:
            x: (N, 3, H, W) float in [0, 1].
            layers: module names inside ``net`` (see :meth:`layer_names`), e.g. ``layer3``.
            straight_through: R(x) through a straight-through ReLU (feature painting).
        """
        with self.capture(layers) as feats:
            rep = self.net.forward_features(self.normalize(x), straight_through)
            logits = self.net.fc(rep)
        return Outputs(logits=logits, rep=rep, features=dict(feats), image=x)

    @contextlib.contextmanager
    def capture(self, layers):
        """Context manager yielding a dict filled with the outputs of ``layers`` during
        forward passes inside it; the hooks are removed on exit, even on error."""
        modules = dict(self.net.named_modules())
        missing = [name for name in layers if name not in modules]
        if missing:
            raise KeyError(f"unknown layer(s) {missing}; see model.layer_names()")
        feats, handles = {}, []
        try:
            for name in layers:
                handles.append(modules[name].register_forward_hook(
                    lambda _m, _i, out, name=name: feats.__setitem__(name, out)))
            yield feats
        finally:
            for h in handles:
                h.remove()

    def layer_names(self) -> list[str]:
        """Names usable in ``outputs(layers=...)``: the network's top-level stages (inside a
        single wrapped network, e.g. a torchvision ResNet, its stages: ``net.layer1`` ...)."""
        children = [(n, m) for n, m in self.net.named_children() if n != "fc"]
        if len(children) == 1:
            prefix, inner = children[0]
            children = [(f"{prefix}.{n}", m) for n, m in inner.named_children()]
        names = [n for n, m in children if not isinstance(m, torch.nn.Identity) and n.split(".")[-1] not in ("fc", "avgpool")]
        return names or [n for n, _ in self.net.named_modules() if n]

    def class_index(self, label) -> int:
        """A class name (case-insensitive) or index -> index.

        Raises:
            ValueError: unknown class name or index out of range.
        """
        if isinstance(label, str):
            lookup = {c.lower(): i for i, c in enumerate(self.classes)}
            if label.strip().lower() not in lookup:
                raise ValueError(f"unknown class {label!r}; this model knows {', '.join(self.classes)}")
            return lookup[label.strip().lower()]
        i = int(label)
        if not 0 <= i < len(self.classes):
            raise ValueError(f"class index {i} out of range 0..{len(self.classes) - 1}")
        return i

    def labels(self, label, n: int, device=None) -> torch.Tensor:
        """One label, or a list of names/indices, -> (n,) int64 tensor."""
        if isinstance(label, torch.Tensor):
            y = label.to(torch.long).flatten()
            for v in y.unique().tolist():
                self.class_index(v)
        elif isinstance(label, (list, tuple)):
            y = torch.tensor([self.class_index(v) for v in label], dtype=torch.long)
        else:
            y = torch.tensor([self.class_index(label)], dtype=torch.long)
        if y.numel() == 1:
            y = y.expand(n)
        if y.numel() != n:
            raise ValueError(f"got {y.numel()} labels for {n} images")
        return y.to(device or self.mean.device)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Class probabilities (N, K) for images in [0, 1], in eval mode, batched."""
        was = self.training
        self.eval()
        try:
            return torch.cat([self(x[i:i + batch_size]).float().softmax(1) for i in range(0, len(x), batch_size)])
        finally:
            self.train(was)

    @property
    def device(self) -> torch.device:
        return self.mean.device

    def extra_repr(self):
        return f"name={self.name!r}, dataset={self.dataset!r}, input_size={self.input_size}, robust={self.robust}"
