"""The Madry lab's published robust checkpoints (``madry/<key>``): the catalogue, where each file
lives (the Hugging Face Hub or a URL) and their loading through the ``robustness`` library."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import torch

from ..model import RobustClassifier, Robustness
from .download import model_dir, require_network, unavailable
from .robustness_lib import load_robustness_checkpoint


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


def is_local(key: str) -> bool:
    """Whether ``madry/<key>`` loads without a download (no network is asked)."""
    spec = MADRY_MODELS[key]
    if (model_dir() / spec.filename).exists():
        return True
    if spec.hf_repo:
        from huggingface_hub import try_to_load_from_cache
        return isinstance(try_to_load_from_cache(spec.hf_repo, spec.filename), str)
    return False


def source(key: str) -> tuple[str, str]:
    """(weights file name, where it is published) of ``madry/<key>``."""
    spec = MADRY_MODELS[key]
    return spec.filename, (f"https://huggingface.co/{spec.hf_repo}" if spec.hf_repo else spec.url)


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
        require_network(spec.filename, source, local)
        try:
            return Path(hf_hub_download(spec.hf_repo, spec.filename, etag_timeout=10))
        except Exception as err:  # noqa: BLE001 - network, DNS, HTTP: all mean "unavailable"
            raise unavailable(spec.filename, source, local, err) from None
    require_network(spec.filename, spec.url, local)
    local.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)  # a dead host must fail, not hang
    try:
        torch.hub.download_url_to_file(spec.url, str(local), progress=False)
    except Exception as err:  # noqa: BLE001
        local.unlink(missing_ok=True)
        raise unavailable(spec.filename, spec.url, local, err) from None
    finally:
        socket.setdefaulttimeout(previous)
    return local


def load(name: str, device=None) -> RobustClassifier:
    """``madry/<key>`` of :data:`MADRY_MODELS`, built with the ``robustness`` library."""
    key = name.split("/", 1)[1]
    if key not in MADRY_MODELS:
        raise ValueError(f"unknown Madry lab model {name!r}; known: {', '.join('madry/' + k for k in MADRY_MODELS)}")
    spec = MADRY_MODELS[key]
    path = fetch(spec)
    return load_robustness_checkpoint(path, arch=spec.arch, classes=spec.classes, robust=spec.robust, name=name,
                                      input_size=spec.input_size, device=device)
