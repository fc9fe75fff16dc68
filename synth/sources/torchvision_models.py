"""torchvision's standard (non-robust) ImageNet models (``torchvision/<arch>``), the Duke study's baseline,
through torchvision's weights API and the safe loader."""
from __future__ import annotations

import socket
from pathlib import Path

import torch

from ..model import RobustClassifier
from .download import require_network, unavailable
from .safe import safe_load

TORCHVISION_MODELS = {"resnet50": ("resnet50", "ResNet50_Weights", "IMAGENET1K_V2"),
                      "resnet18": ("resnet18", "ResNet18_Weights", "IMAGENET1K_V1")}



def _weights(key: str):
    import torchvision.models as tvm
    _, enum, member = TORCHVISION_MODELS[key]
    return getattr(getattr(tvm, enum), member)


def is_local(key: str) -> bool:
    """Whether ``torchvision/<key>``'s weights are in torch's hub cache (no network is asked)."""
    return (Path(torch.hub.get_dir()) / "checkpoints" / _weights(key).url.rsplit("/", 1)[1]).exists()


def source(key: str) -> tuple[str, str]:
    """(weights file name, its URL) of ``torchvision/<key>``."""
    url = _weights(key).url
    return url.rsplit("/", 1)[1], url


def load(name: str, device=None) -> RobustClassifier:
    """``torchvision/<arch>``: the standard (non-robust) ImageNet model through the weights API."""
    import torchvision.models as tvm
    from ..architectures import TorchvisionBackbone
    key = name.split("/", 1)[1]
    if key not in TORCHVISION_MODELS:
        raise ValueError(f"unknown torchvision model {name!r}; known: {', '.join('torchvision/' + k for k in TORCHVISION_MODELS)}")
    builder, enum, member = TORCHVISION_MODELS[key]
    weights = getattr(getattr(tvm, enum), member)
    filename = weights.url.rsplit("/", 1)[1]
    local = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if not local.exists():
        require_network(filename, weights.url, local)
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(20)
        try:
            weights.get_state_dict(progress=False)
        except Exception as err:  # noqa: BLE001
            raise unavailable(filename, weights.url, local, err) from None
        finally:
            socket.setdefaulttimeout(previous)
    net = getattr(tvm, builder)()
    net.load_state_dict(safe_load(local))
    tf = weights.transforms()
    return RobustClassifier(TorchvisionBackbone(net), tf.mean, tf.std, weights.meta["categories"],
                            (tf.crop_size[0],) * 2, "imagenet", None, name,
                            {"source": weights.url, "acc@1": weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]}).to(device or "cpu").eval()
