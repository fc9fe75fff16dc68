"""Where models come from: ``load_model(name_or_path)`` and one module per source.

``load_model`` reads a prefix -> loader table (:data:`SOURCES`): ``madry/<key>`` (the Madry lab's
published robust checkpoints, :mod:`.madry`), ``torchvision/<arch>`` (standard ImageNet models,
:mod:`.torchvision_models`); a bare name is a bundled model (:mod:`.bundled`), and a path is a
card, a safetensors file or a ``robustness``-library checkpoint (:mod:`.robustness_lib`). Every
checkpoint goes through the one safe loader (:mod:`.safe`); a download that cannot happen raises
:class:`ModelUnavailableError` naming the file, its source and where to put it. A new source is a
module with ``load(name, device)``, ``is_local(key)`` and ``source(key)`` and a row of :data:`SOURCES`.
"""
from __future__ import annotations

from pathlib import Path

from ..model import RobustClassifier
from . import madry, torchvision_models
from .bundled import ASSETS, bundled_names, load_bundled, save_bundled
from .safe import ModelUnavailableError, UnsafeCheckpointError, safe_load

# prefix -> (module, its catalogue of keys); the module loads "<prefix>/<key>"
SOURCES = {"madry": (madry, madry.MADRY_MODELS), "torchvision": (torchvision_models, torchvision_models.TORCHVISION_MODELS)}

__all__ = ["ASSETS", "ModelUnavailableError", "SOURCES", "UnsafeCheckpointError", "bundled_names", "is_local",
           "load_bundled", "load_model", "published_names", "safe_load", "save_bundled", "source"]


def published_names() -> list[str]:
    """Every ``<prefix>/<key>`` the sources' catalogues know."""
    return [f"{prefix}/{key}" for prefix, (_, catalogue) in SOURCES.items() for key in catalogue]


def _split(name: str):
    prefix, _, key = name.partition("/")
    if prefix not in SOURCES or key not in SOURCES[prefix][1]:
        raise ValueError(f"unknown published model {name!r}; known: {', '.join(published_names())}")
    return SOURCES[prefix][0], key


def is_local(name: str) -> bool:
    """Whether a published model (``madry/...``, ``torchvision/...``) loads without a download (no network is asked)."""
    module, key = _split(name)
    return module.is_local(key)


def source(name: str) -> tuple[str, str]:
    """(weights file name, where it is published) of a published model."""
    module, key = _split(name)
    return module.source(key)


def load_model(name_or_path: str, device=None) -> RobustClassifier:
    """Load a classifier by name or path, in eval mode, on ``device`` (default CPU).

    Args:
        name_or_path: a bundled name (``cifar10-l2``), ``madry/<name>``, ``torchvision/<name>``,
            or a path to a ``.json`` card / ``.safetensors`` file / ``robustness`` checkpoint.
        device: torch device; default CPU.

    Returns:
        :class:`RobustClassifier` taking (N, 3, H, W) images in [0, 1].

    Raises:
        ModelUnavailableError: weights not available offline.
        ValueError: unknown name or unreadable checkpoint.
    """
    name = str(name_or_path)
    if (ASSETS / f"{name}.json").exists():
        return load_bundled(ASSETS / f"{name}.json", device)
    prefix = name.partition("/")[0]
    if prefix in SOURCES and "/" in name:
        module, _ = SOURCES[prefix]
        return module.load(name, device)
    path = Path(name)
    if path.exists():
        if path.suffix == ".json":
            return load_bundled(path, device)
        if path.suffix == ".safetensors" and path.with_suffix(".json").exists():
            return load_bundled(path.with_suffix(".json"), device)
        from .robustness_lib import load_robustness_checkpoint
        return load_robustness_checkpoint(path, device=device)
    known = bundled_names() + published_names()
    raise ValueError(f"unknown model {name!r}: not a bundled name, a madry/ or torchvision/ name, or an existing "
                     f"file. Known: {', '.join(known)}")
