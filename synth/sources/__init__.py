"""Where models come from: ``load_model(name_or_path)``, one module per source, and :data:`SOURCES`, the one list of
them that everything else asks (the loader, ``is_local``, the demo's *add a model* box and its "cannot be fetched"
hints).

Each :class:`Source` has a prefix and a module with ``load(name, device)`` and ``is_local(...)``: ``madry/<key>``
(the Madry lab's published robust checkpoints, :mod:`.madry`) and ``torchvision/<arch>`` (standard ImageNet models,
:mod:`.torchvision_models`) are catalogues of known keys (their modules also say ``source(key)``: the file and where it
is published); ``hf:OWNER/REPO[@REVISION]`` (a Hugging Face Hub repository written by ``synth.hub``, :mod:`.hub`),
``timm:NAME[@WEIGHTS]`` (timm's classifiers, :mod:`.timm_models`) and ``robustbench:<dataset>/<threat>/<name>``
(RobustBench's zoo, :mod:`.robustbench_models`) are open-ended. A bare name is a bundled model (:mod:`.bundled`),
and a path is a card, a safetensors file, a folder laid out as a Hub repository (:mod:`.card`, the project's
format) or a ``robustness``-library checkpoint (:mod:`.robustness_lib`). Any other classifier:
:func:`.wrapped.wrap`. Every checkpoint goes through the one safe loader (:mod:`.safe`); a download that cannot
happen raises :class:`ModelUnavailableError` naming the file, its source and where to put it. A new source is a
module and a row of :data:`SOURCES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import RobustClassifier
from . import bundled, hub, madry, robustbench_models, timm_models, torchvision_models
from .bundled import ASSETS, bundled_names, load_bundled, save_bundled
from .card import load_card_dir
from .safe import ModelUnavailableError, UnsafeCheckpointError, safe_load
from .wrapped import wrap


@dataclass(frozen=True)
class Source:
    """A place models come from.

    Attributes:
        prefix: how its ids start (``"madry/"``, ``"hf:"``).
        module: loads ``<prefix><key>`` (``load(name, device)``) and says whether that needs no download
            (``is_local``: of the key for a catalogue, of the whole id otherwise).
        catalogue: the keys it publishes ({key: spec}), or None for an open-ended source (any Hub repository).
        files: where its downloads go, in words a visitor can act on.
        addable: a demo visitor may add its ids (*Bring your own model*).
        example: an id to show in the demo's box.
    """
    prefix: str
    module: object
    catalogue: dict | None = None
    files: str = "synth's model folder (SYNTH_MODEL_DIR, see the README)"
    addable: bool = True
    example: str = ""

    def key(self, name: str) -> str:
        return name[len(self.prefix):]

    def knows(self, name: str) -> bool:
        """Whether ``name`` is one of its ids (any id after the prefix for an open-ended source)."""
        return name.startswith(self.prefix) and (self.catalogue is None or self.key(name) in self.catalogue)

    def names(self) -> list[str]:
        """The ids of its catalogue (none for an open-ended source)."""
        return [self.prefix + key for key in (self.catalogue or {})]

    def load(self, name: str, device=None) -> RobustClassifier:
        return self.module.load(name, device)

    def is_local(self, name: str) -> bool:
        return self.module.is_local(self.key(name) if self.catalogue is not None else name)

    def published_at(self, name: str) -> tuple[str, str] | None:
        """(weights file, where it is published) of a catalogue's id; None for an open-ended source."""
        return self.module.source(self.key(name)) if self.catalogue is not None else None

    def cannot_fetch(self, name: str) -> str:
        """What a visitor should do when ``name``'s weights cannot be fetched here, in one sentence (no server paths)."""
        where = self.published_at(name)
        if where:
            return (f"{name} needs its weights file {where[0]}, which this server cannot download: download it from "
                    f"{where[1]} into {self.files}, or choose a bundled model.")
        return f"{name} cannot be downloaded by this server (it would go to {self.files}); choose a bundled model."


SOURCES = [
    Source("madry/", madry, madry.MADRY_MODELS, example="madry/cifar10-l2-0.5"),
    Source("torchvision/", torchvision_models, torchvision_models.TORCHVISION_MODELS, example="torchvision/resnet50"),
    Source(hub.PREFIX, hub, files="the Hugging Face cache (HF_HOME)", example="hf:OWNER/REPO"),
    Source(timm_models.PREFIX, timm_models, files="the Hugging Face cache (HF_HOME)", example="timm:NAME"),
    Source(robustbench_models.PREFIX, robustbench_models, example="robustbench:cifar10/L2/Rade2021Helper_R18_ddpm"),
]

__all__ = ["ASSETS", "ModelUnavailableError", "SOURCES", "Source", "UnsafeCheckpointError", "bundled_names", "is_local",
           "load_bundled", "load_card_dir", "load_model", "wrap", "published_names", "safe_load", "save_bundled", "source",
           "source_for"]


def source_for(name: str) -> Source | None:
    """The source whose ids start like ``name`` (None: a bundled name or a path)."""
    return next((s for s in SOURCES if name.startswith(s.prefix)), None)


def published_names() -> list[str]:
    """Every id the sources' catalogues know."""
    return [n for s in SOURCES for n in s.names()]


def _known(name: str) -> Source:
    src = source_for(name)
    if src is None or not src.knows(name):
        raise ValueError(f"unknown published model {name!r}; known: {', '.join(published_names())}")
    return src


def is_local(name: str) -> bool:
    """Whether a model (bundled, or an id of a source) loads without a download (no network is asked)."""
    if (ASSETS / f"{name}.json").exists():
        return bundled.is_local(ASSETS / f"{name}.json")
    return _known(name).is_local(name)


def source(name: str) -> tuple[str, str]:
    """(weights file name, where it is published) of a catalogue's model."""
    where = _known(name).published_at(name)
    if where is None:
        raise ValueError(f"{name} is not in a catalogue of published files")
    return where


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
    src = source_for(name)
    if src is not None and (src.catalogue is None or not Path(name).exists()):
        return src.load(name, device)
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
