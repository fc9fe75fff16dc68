"""The Madry lab's ``robustness`` library (1.2.1.post2): its checkpoints and its code, on any device.

The released package has two problems with current PyTorch, fixed here without vendoring or forking it:

1. it imports ``torchvision.models.utils.load_state_dict_from_url``, a module torchvision
   removed; :func:`import_robustness` registers a one-function stand-in module pointing
   at ``torch.hub.load_state_dict_from_url`` before importing the library;
2. ``make_and_restore_model`` and ``Attacker.forward`` call ``.cuda()`` unconditionally
   (and the former unpickles checkpoints with ``dill``). :func:`on_device` is a context
   manager that, for its duration only, makes ``Tensor.cuda()`` / ``Module.cuda()`` move
   to the requested device (a no-op on CUDA machines) and routes ``torch.load`` through
   :func:`synth.sources.safe.safe_load`. :func:`make_and_restore_model` is the library's function run inside it.

:func:`load_robustness_checkpoint` reads a checkpoint of that format as a ``RobustClassifier``.
"""
from __future__ import annotations

import contextlib
import sys
import types

import torch
from torch import nn

from ..model import RobustClassifier, Robustness
from .safe import safe_load


def import_robustness():
    """Import ``robustness`` with the ``torchvision.models.utils`` stand-in registered."""
    import torchvision.models
    if "torchvision.models.utils" not in sys.modules:
        shim = types.ModuleType("torchvision.models.utils")
        shim.load_state_dict_from_url = torch.hub.load_state_dict_from_url
        sys.modules["torchvision.models.utils"] = shim
        torchvision.models.utils = shim
    import robustness.attacker
    import robustness.datasets
    import robustness.model_utils
    return robustness


@contextlib.contextmanager
def on_device(device=None):
    """Run ``robustness`` code on ``device``: ``.cuda()`` calls move there instead, and
    ``torch.load`` is :func:`safe_load`. Everything is restored on exit."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    saved = torch.Tensor.cuda, nn.Module.cuda, torch.load
    if device.type != "cuda":
        torch.Tensor.cuda = lambda self, *a, **k: self.to(device)
        nn.Module.cuda = lambda self, *a, **k: self.to(device)
    torch.load = lambda f, *a, map_location=None, **k: safe_load(f, map_location or device)
    try:
        yield device
    finally:
        torch.Tensor.cuda, nn.Module.cuda, torch.load = saved


def make_and_restore_model(*, arch, dataset, resume_path=None, device=None):
    """``robustness.model_utils.make_and_restore_model`` on any device with safe loading.

    Returns:
        (AttackerModel, checkpoint dict or None), as the library does.
    """
    rb = import_robustness()
    with on_device(device):
        return rb.model_utils.make_and_restore_model(arch=arch, dataset=dataset, resume_path=resume_path)


class MadryBackbone(nn.Module):
    """A ``robustness`` classifier (``forward(x, with_latent, fake_relu)``) in the
    ``forward_features`` / ``fc`` interface of ``synth.architectures``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.model = net
        self.fc = net.fc if hasattr(net, "fc") else net.linear

    def forward_features(self, x, straight_through: bool = False):
        return self.model(x, with_latent=True, fake_relu=straight_through)[1]

    def forward(self, x):
        return self.model(x)


_DATASETS = {  # num_classes -> (robustness dataset class, our data set name, input size)
    1000: ("ImageNet", "imagenet", 224), 9: ("RestrictedImageNet", "restricted_imagenet", 224),
    10: ("CIFAR", "cifar10", 32), 2: ("A2B", "two_domain", 256)}
RESTRICTED_IMAGENET_CLASSES = ("dog", "cat", "frog", "turtle", "bird", "primate", "fish", "crab", "insect")
_RESNETS = {((2, 2, 2, 2), False): "resnet18", ((3, 4, 6, 3), False): "resnet34",
            ((3, 4, 6, 3), True): "resnet50", ((3, 4, 23, 3), True): "resnet101", ((3, 8, 36, 3), True): "resnet152"}


def _infer_arch(sd: dict) -> str:
    blocks = tuple(len({k.split(".")[2] for k in sd if k.startswith(f"model.layer{i}.")}) for i in range(1, 5))
    bottleneck = any(".conv3." in k for k in sd)
    if (blocks, bottleneck) not in _RESNETS:
        raise ValueError(f"cannot infer the architecture (blocks per stage {blocks}); pass arch=")
    return _RESNETS[(blocks, bottleneck)]


def _class_names(n: int):
    if n == 1000:
        from torchvision.models import ResNet50_Weights
        return ResNet50_Weights.IMAGENET1K_V2.meta["categories"]
    if n == 9:
        return RESTRICTED_IMAGENET_CLASSES
    if n == 10:
        from ..data import CIFAR10_CLASSES
        return CIFAR10_CLASSES
    return tuple(f"class {i}" for i in range(n))


def load_robustness_checkpoint(path, *, arch: str | None = None, classes=None, robust: Robustness | None = None,
                               name: str = "", input_size: int | None = None, device=None) -> RobustClassifier:
    """A checkpoint in the ``robustness`` format (``{"model": {"module.model.*",
    "module.normalizer.*", "module.attacker.*"}, "epoch": ...}``) as a RobustClassifier.

    Args:
        path: the ``.pt`` / ``.ckpt`` file.
        arch: ``robustness`` architecture name; inferred for ResNets.
        classes: class names (default by number of classes: ImageNet, Restricted
            ImageNet, CIFAR-10, or "class i").
        robust: how it was trained, if known.

    Raises:
        UnsafeCheckpointError, ValueError (not this format).
    """
    ckpt = safe_load(path)
    sd = ckpt.get("model", ckpt.get("state_dict", ckpt)) if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict) or not any(k.endswith("normalizer.new_mean") for k in sd):
        raise ValueError(f"{path} is not a robustness-library checkpoint (no normalizer.new_mean)")
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    num_classes = next(v.shape[0] for k, v in sd.items() if k in ("model.fc.weight", "model.linear.weight"))
    ds_class, ds_name, size = _DATASETS.get(num_classes, ("ImageNet", "custom", 224))
    rb = import_robustness()
    data_path = "/tmp/horse2zebra" if ds_class == "A2B" else "/tmp"
    dataset = getattr(rb.datasets, ds_class)(data_path)
    dataset.num_classes = num_classes
    arch = arch or _infer_arch(sd)
    attacker_model = rb.attacker.AttackerModel(dataset.get_model(arch, False), dataset)
    attacker_model.load_state_dict(sd)
    mean, std = sd["normalizer.new_mean"].flatten(), sd["normalizer.new_std"].flatten()
    model = RobustClassifier(MadryBackbone(attacker_model.model), mean, std, classes or _class_names(num_classes),
                             (input_size or size,) * 2, ds_name, robust, name or str(path),
                             {"source": str(path), "arch": arch, "epoch": ckpt.get("epoch") if isinstance(ckpt, dict) else None})
    return model.to(device or "cpu").eval()
