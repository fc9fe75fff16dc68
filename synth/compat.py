"""Compatibility layer for the Madry lab's ``robustness`` library (1.2.1.post2) and
loaders for published checkpoints (``madry/...``) and torchvision models
(``torchvision/...``).

The released ``robustness`` package has two problems with current PyTorch, fixed here
without vendoring or forking it:

1. it imports ``torchvision.models.utils.load_state_dict_from_url``, a module torchvision
   removed; :func:`import_robustness` registers a one-function stand-in module pointing
   at ``torch.hub.load_state_dict_from_url`` before importing the library;
2. ``make_and_restore_model`` and ``Attacker.forward`` call ``.cuda()`` unconditionally
   (and the former unpickles checkpoints with ``dill``). :func:`on_device` is a context
   manager that, for its duration only, makes ``Tensor.cuda()`` / ``Module.cuda()`` move
   to the requested device (a no-op on CUDA machines) and routes ``torch.load`` through
   :func:`safe_load`. :func:`make_and_restore_model` is the library's function run inside it.

Every checkpoint is read with ``torch.load(weights_only=True)`` and a short explicit
allow-list (:data:`SAFE_GLOBALS`); anything whose unpickling would run code is refused
with :class:`UnsafeCheckpointError`. Downloads go through ``huggingface_hub`` (and its
cache) where the weights are on the hub, otherwise to ``$SYNTH_MODEL_DIR`` (default
``~/.cache/synth/models``); offline, :class:`ModelUnavailableError` names the file, its
source and where to put it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import socket
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .model import RobustClassifier, Robustness
from .registry import ModelUnavailableError


_torch_load = torch.load  # the real one, even while on_device() patches torch.load


class UnsafeCheckpointError(ValueError):
    """The checkpoint holds pickled objects whose loading would run code."""


def _numpy_globals():
    import numpy as np
    out = [np.dtype, np.ndarray]
    for mod in ("numpy._core.multiarray", "numpy.core.multiarray"):
        with contextlib.suppress(Exception):
            m = __import__(mod, fromlist=["scalar", "_reconstruct"])
            out += [m.scalar, m._reconstruct]
    out += [type(np.dtype(t)) for t in ("float32", "float64", "int64", "int32")]
    return out


# Objects found in published robustness checkpoints besides tensors: the training
# arguments (argparse.Namespace) and numpy scalars/arrays in the logs.
SAFE_GLOBALS = [argparse.Namespace, *_numpy_globals()]


def safe_load(path, map_location="cpu"):
    """``torch.load(path, weights_only=True)`` with :data:`SAFE_GLOBALS` allowed.

    Raises:
        UnsafeCheckpointError: the file needs code execution to unpickle.
    """
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return _torch_load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f"refused to load {path}: unpickling it would run code or build objects outside the allow-list "
            f"({str(err).splitlines()[0]}). Only tensors and state dicts are accepted; re-save the "
            f"checkpoint as a plain state dict if you trust it.") from None


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
        from .data import CIFAR10_CLASSES
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


@dataclass(frozen=True)
class Published:
    """A published checkpoint: where it lives and what it is."""
    filename: str
    arch: str
    robust: Robustness | None
    hf_repo: str | None = None
    url: str | None = None
    input_size: int | None = None
    classes: tuple | None = None
    note: str = ""


_ILYAS = "http://andrewilyas.com/"
_HF = "madrylab/robust-imagenet-models"
MADRY_MODELS = {
    "imagenet-l2-3": Published("resnet50_l2_eps3.ckpt", "resnet50", Robustness("l2", 3.0), hf_repo=_HF,
                               note="the paper's ImageNet model (ResNet-50, L2 eps 3)"),
    "imagenet-resnet18-l2-3": Published("resnet18_l2_eps3.ckpt", "resnet18", Robustness("l2", 3.0), hf_repo=_HF),
    "cifar10-l2-0.5": Published("cifar_l2_0_5.pt", "resnet50", Robustness("l2", 0.5),
                                url="https://robustmodels.s3.us-east-2.amazonaws.com/cifar_eps_0_5.pt",
                                note="robustness README (also https://www.dropbox.com/s/1zazwjfzee7c8i4/cifar_l2_0_5.pt?dl=1)"),
    "restricted-imagenet-l2-3.5": Published("RestrictedImageNet.pt", "resnet50", Robustness("l2", 3.5),
                                            url=_ILYAS + "RestrictedImageNet.pt",
                                            note="the paper's Restricted ImageNet model (code release)"),
    "cifar10-paper": Published("CIFAR.pt", "resnet50", Robustness("l2", 0.5), url=_ILYAS + "CIFAR.pt"),
    "horse2zebra": Published("H2Z.pt", "resnet50", Robustness("l2", 5.0), url=_ILYAS + "H2Z.pt", classes=("horse", "zebra")),
    "summer2winter": Published("S2W.pt", "resnet50", Robustness("l2", 5.0), url=_ILYAS + "S2W.pt", classes=("summer", "winter")),
    "apple2orange": Published("A2O.pt", "resnet50", Robustness("l2", 5.0), url=_ILYAS + "A2O.pt", classes=("apple", "orange")),
}
TORCHVISION_MODELS = {"resnet50": ("resnet50", "ResNet50_Weights", "IMAGENET1K_V2"),
                      "resnet18": ("resnet18", "ResNet18_Weights", "IMAGENET1K_V1")}


def model_dir() -> Path:
    return Path(os.environ.get("SYNTH_MODEL_DIR", Path.home() / ".cache" / "synth" / "models"))


def offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("SYNTH_OFFLINE", "HF_HUB_OFFLINE"))


def unreachable(url: str, timeout: float = 3.0) -> OSError | None:
    """The error of a TCP connection to ``url``'s host, or None when it connects.

    Checked before a download so that a machine without network gets its
    :class:`ModelUnavailableError` in at most ``timeout`` seconds, instead of after the
    hub client's retries with back-off (~40 s, which the app's users would wait).
    """
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=timeout).close()
    except OSError as err:
        return err
    return None


def _require_network(filename, source, dest) -> None:
    """Raise :class:`ModelUnavailableError` before any download when offline mode is set or the
    source's host does not answer (so the caller never waits on a client's retries)."""
    if offline():
        raise _unavailable(filename, source, dest)
    if err := unreachable(source):
        raise _unavailable(filename, source, dest, err)


def _unavailable(filename, source, dest, err=None) -> ModelUnavailableError:
    why = f" ({type(err).__name__}: {err})" if err else " (offline mode)"
    return ModelUnavailableError(
        f"the weights file {filename} is not on this machine and could not be downloaded{why}. It comes from {source}. "
        f"Download it elsewhere and put it at {dest}, or pass its path to synth.load_model().")


def published_is_local(name: str) -> bool:
    """Whether ``madry/<key>`` or ``torchvision/<key>`` loads without a download (no network is asked)."""
    kind, _, key = name.partition("/")
    if kind == "madry" and key in MADRY_MODELS:
        spec = MADRY_MODELS[key]
        if (model_dir() / spec.filename).exists():
            return True
        if spec.hf_repo:
            from huggingface_hub import try_to_load_from_cache
            return isinstance(try_to_load_from_cache(spec.hf_repo, spec.filename), str)
        return False
    if kind == "torchvision" and key in TORCHVISION_MODELS:
        import torchvision.models as tvm
        _, enum, member = TORCHVISION_MODELS[key]
        filename = getattr(getattr(tvm, enum), member).url.rsplit("/", 1)[1]
        return (Path(torch.hub.get_dir()) / "checkpoints" / filename).exists()
    return False


def published_source(name: str) -> tuple[str, str]:
    """(weights file name, where it is published) of ``madry/<key>`` or ``torchvision/<key>``."""
    kind, _, key = name.partition("/")
    if kind == "madry":
        spec = MADRY_MODELS[key]
        return spec.filename, (f"https://huggingface.co/{spec.hf_repo}" if spec.hf_repo else spec.url)
    import torchvision.models as tvm
    _, enum, member = TORCHVISION_MODELS[key]
    url = getattr(getattr(tvm, enum), member).url
    return url.rsplit("/", 1)[1], url


def fetch(spec: Published) -> Path:
    """Local path of a published checkpoint, downloading it when the network allows.

    Raises:
        ModelUnavailableError: not local and not downloadable now.
    """
    local = model_dir() / spec.filename
    if local.exists():
        return local
    if spec.hf_repo:
        from huggingface_hub import hf_hub_download
        source = f"https://huggingface.co/{spec.hf_repo}/resolve/main/{spec.filename}"
        try:  # the hub's cache first, so a file fetched once loads offline
            return Path(hf_hub_download(spec.hf_repo, spec.filename, local_files_only=True))
        except Exception:  # noqa: BLE001 - any miss means "not cached"
            pass
        _require_network(spec.filename, source, local)
        try:
            return Path(hf_hub_download(spec.hf_repo, spec.filename, etag_timeout=10))
        except Exception as err:  # noqa: BLE001 - network, DNS, HTTP: all mean "unavailable"
            raise _unavailable(spec.filename, source, local, err) from None
    _require_network(spec.filename, spec.url, local)
    local.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)  # a dead host must fail, not hang
    try:
        torch.hub.download_url_to_file(spec.url, str(local), progress=False)
    except Exception as err:  # noqa: BLE001
        local.unlink(missing_ok=True)
        raise _unavailable(spec.filename, spec.url, local, err) from None
    finally:
        socket.setdefaulttimeout(previous)
    return local


def load_madry(name: str, device=None) -> RobustClassifier:
    """``madry/<key>`` of :data:`MADRY_MODELS`, built with the ``robustness`` library."""
    key = name.split("/", 1)[1]
    if key not in MADRY_MODELS:
        raise ValueError(f"unknown Madry lab model {name!r}; known: {', '.join('madry/' + k for k in MADRY_MODELS)}")
    spec = MADRY_MODELS[key]
    path = fetch(spec)
    return load_robustness_checkpoint(path, arch=spec.arch, classes=spec.classes, robust=spec.robust, name=name,
                                      input_size=spec.input_size, device=device)


def load_torchvision(name: str, device=None) -> RobustClassifier:
    """``torchvision/<arch>``: the standard (non-robust) ImageNet model through the weights API."""
    import torchvision.models as tvm
    from .architectures import TorchvisionBackbone
    key = name.split("/", 1)[1]
    if key not in TORCHVISION_MODELS:
        raise ValueError(f"unknown torchvision model {name!r}; known: {', '.join('torchvision/' + k for k in TORCHVISION_MODELS)}")
    builder, enum, member = TORCHVISION_MODELS[key]
    weights = getattr(getattr(tvm, enum), member)
    filename = weights.url.rsplit("/", 1)[1]
    local = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if not local.exists():
        _require_network(filename, weights.url, local)
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(20)
        try:
            weights.get_state_dict(progress=False)
        except Exception as err:  # noqa: BLE001
            raise _unavailable(filename, weights.url, local, err) from None
        finally:
            socket.setdefaulttimeout(previous)
    net = getattr(tvm, builder)()
    net.load_state_dict(safe_load(local))
    tf = weights.transforms()
    return RobustClassifier(TorchvisionBackbone(net), tf.mean, tf.std, weights.meta["categories"],
                            (tf.crop_size[0],) * 2, "imagenet", None, name,
                            {"source": weights.url, "acc@1": weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]}).to(device or "cpu").eval()
