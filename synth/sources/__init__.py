"""Where models come from: ``load_model(name_or_path)`` and one module per source.

``load_model`` reads two tables. :data:`SOURCES` maps a prefix to a catalogue: ``madry/<key>`` (the
Madry lab's published robust checkpoints, :mod:`.madry`), ``torchvision/<arch>`` (standard ImageNet
models, :mod:`.torchvision_models`). :data:`SCHEMES` maps a scheme to an open-ended source:
``hf:OWNER/REPO[@REVISION]`` (a Hugging Face Hub repository written by ``synth.hub``, :mod:`.hub`),
``timm:NAME[@WEIGHTS]`` (timm's classifiers, :mod:`.timm_models`), ``robustbench:<dataset>/<threat>/<name>``
(RobustBench's zoo, :mod:`.robustbench_models`). Any other classifier: :func:`.wrapped.wrap`.
A bare name is a bundled model (:mod:`.bundled`), and a path is a card, a safetensors file, a folder
laid out as a Hub repository or a ``robustness``-library checkpoint (:mod:`.robustness_lib`). Every
checkpoint goes through the one safe loader (:mod:`.safe`); a download that cannot happen raises
:class:`ModelUnavailableError` naming the file, its source and where to put it. A new source is a
module with ``load(name, device)``, ``is_local(key)`` and ``source(key)`` and a row of :data:`SOURCES`
(or, without a catalogue, ``load(name, device)`` and ``is_local(name)`` and a row of :data:`SCHEMES`).
"""
from __future__ import annotations

from pathlib import Path

from ..model import RobustClassifier
from . import bundled, hub, madry, robustbench_models, timm_models, torchvision_models
from .bundled import ASSETS, bundled_names, load_bundled, load_card_dir, save_bundled
from .safe import ModelUnavailableError, UnsafeCheckpointError, safe_load
from .wrapped import wrap

# prefix -> (module, its catalogue of keys); the module loads "<prefix>/<key>"
SOURCES = {"madry": (madry, madry.MADRY_MODELS), "torchvision": (torchvision_models, torchvision_models.TORCHVISION_MODELS)}
# scheme -> module; the module loads "<scheme>:<anything>" (no catalogue: any Hub repository)
SCHEMES = {"hf": hub, "timm": timm_models, "robustbench": robustbench_models}

__all__ = ["ASSETS", "ModelUnavailableError", "SCHEMES", "SOURCES", "UnsafeCheckpointError", "bundled_names", "is_local",
           "load_bundled", "load_card_dir", "load_model", "wrap", "published_names", "safe_load", "save_bundled", "source"]


def published_names() -> list[str]:
    """Every ``<prefix>/<key>`` the sources' catalogues know."""
    return [f"{prefix}/{key}" for prefix, (_, catalogue) in SOURCES.items() for key in catalogue]


def _split(name: str):
    prefix, _, key = name.partition("/")
    if prefix not in SOURCES or key not in SOURCES[prefix][1]:
        raise ValueError(f"unknown published model {name!r}; known: {', '.join(published_names())}")
    return SOURCES[prefix][0], key


def _scheme(name: str):
    scheme, sep, _ = name.partition(":")
    return SCHEMES.get(scheme) if sep else None


def is_local(name: str) -> bool:
    """Whether a model (bundled, ``madry/...``, ``torchvision/...``, ``hf:...``) loads without a download
    (no network is asked)."""
    if (ASSETS / f"{name}.json").exists():
        return bundled.is_local(ASSETS / f"{name}.json")
    if module := _scheme(name):
        return module.is_local(name)
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
            ``hf:OWNER/REPO[@REVISION]``, ``timm:NAME[@WEIGHTS]``, or a path to a ``.json`` card / ``.safetensors`` file / a folder
            with ``config.json`` and ``model.safetensors`` / a ``robustness`` checkpoint.
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
    if module := _scheme(name):
        return module.load(name, device)
    prefix = name.partition("/")[0]
    if prefix in SOURCES and "/" in name:
        module, _ = SOURCES[prefix]
        return module.load(name, device)
    path = Path(name)
    if path.exists():
        if path.is_dir():
            return load_card_dir(path, device)
        if path.suffix == ".json":
            return load_bundled(path, device)
        if path.suffix == ".safetensors" and path.with_suffix(".json").exists():
            return load_bundled(path.with_suffix(".json"), device)
        from .robustness_lib import load_robustness_checkpoint
        return load_robustness_checkpoint(path, device=device)
    known = bundled_names() + published_names()
    raise ValueError(f"unknown model {name!r}: not a bundled name, a madry/ or torchvision/ name, an hf:OWNER/REPO "
                     f"id, or an existing file or folder. Known: {', '.join(known)}")
