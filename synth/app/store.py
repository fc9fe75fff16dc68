"""The demo's model store: which classifiers it offers, their standard twins, and loading on
first use with one plain sentence when a model's weights cannot be had."""
from __future__ import annotations

import json
import threading

from . import gpu
from ..sources import (ASSETS, SOURCES, ModelUnavailableError, bundled_names, is_local, load_model, published_names, source,
                       source_for)
from ..sources.download import offline, unreachable


class ModelUnavailable(ValueError):
    """A model the demo offers but cannot load here; the message is one sentence for the visitor."""


def demo_names() -> list[str]:
    """The bundled classifiers the demo offers: all but the quality benches' judge (a card with a ``role``)."""
    return [n for n in bundled_names() if "role" not in json.loads((ASSETS / f"{n}.json").read_text())]


class ModelStore:
    """Loads models on first use and keeps them; thread-safe.

    Args:
        names: models offered in the UI besides the published ones (default: the bundled ones).
        loader: name -> RobustClassifier (default ``synth.load_model``).
        default: the model tabs start with.
        published: also offer the Madry lab and torchvision models.
        device: where models live (default :func:`synth.app.gpu.device`: CUDA when there is a GPU).
    """

    def __init__(self, names=None, loader=load_model, default: str | None = None, published: bool = True,
                 device: str | None = None):
        self._models, self._lock, self._loader = {}, threading.Lock(), loader
        self.selectors = []  # every tab's model dropdown (widgets.model_dropdown), updated when a model is added
        self.device = device or gpu.device()
        self.names = list(demo_names() if names is None else names)
        self.published = published
        self._reachable = {}  # host -> answers (runnable)
        l2 = [n for n in self.names if n.endswith("-l2")]
        self.default = default or (l2[0] if l2 else (self.names[0] if self.names else None))

    def get(self, name: str):
        """The loaded model ``name``.

        Raises:
            ModelUnavailable: its weights are not here and cannot be downloaded (one sentence saying what to do).
            ValueError: no name, or an unknown one.
        """
        if not name:
            raise ValueError("Choose a model.")
        with self._lock:
            if name not in self._models:
                try:
                    self._models[name] = self._loader(name).to(self.device)
                except ModelUnavailableError:
                    raise ModelUnavailable(self.unavailable_message(name)) from None
            return self._models[name]

    # ids a visitor may add (never a path on the server): those of the sources that allow it (synth.sources.SOURCES)
    ADDABLE = tuple(s.prefix for s in SOURCES if s.addable)

    def add(self, model_id: str) -> str:
        """Load ``model_id`` and offer it in the model selectors; returns its name.

        Raises:
            ModelUnavailable: its weights cannot be fetched here (one sentence).
            ValueError: not an addable id, an unknown model, or a timm id with a server path.
        """
        model_id = (model_id or "").strip()
        if not model_id.startswith(self.ADDABLE):
            raise ValueError(f"Enter a model id starting with {', '.join(self.ADDABLE)} "
                             "(e.g. robustbench:cifar10/L2/Rade2021Helper_R18_ddpm).")
        if model_id.startswith("timm:") and "@" in model_id:
            raise ValueError("timm models are added by name (their pretrained weights), not with a file on the server.")
        self.get(model_id)
        if model_id not in self.names:
            self.names.append(model_id)
        return model_id

    def preload(self) -> list[str]:
        """Load every offered model now (ZeroGPU moves models to CUDA only at start-up); returns those loaded."""
        loaded = []
        for name in self.names:
            try:
                self.get(name)
                loaded.append(name)
            except ValueError:
                continue
        return loaded

    @staticmethod
    def unavailable_message(name: str) -> str:
        """What a visitor who picked a model without its weights should do, in one sentence (no local paths)."""
        src = source_for(name)
        if src is not None and src.knows(name):
            return src.cannot_fetch(name)
        return f"{name} cannot be loaded on this server; choose a bundled model."

    def twin(self, name: str) -> str | None:
        """The non-robust counterpart of a robust model (``cifar10-l2`` -> ``cifar10-standard``)."""
        if name.startswith("madry/imagenet"):
            return "torchvision/resnet50"
        cand = name.rsplit("-", 1)[0] + "-standard" if "-" in name else None
        return cand if cand in self.names and cand != name else None

    def runnable(self, name: str) -> bool:
        """Whether ``name`` can run on this server: its weights are here, or its host answers (asked once per host,
        at most 2 s; never in offline mode)."""
        if name in self.names or is_local(name):
            return True
        if offline():
            return False
        host = source(name)[1].split("/")[2]
        if host not in self._reachable:
            self._reachable[host] = unreachable(source(name)[1], timeout=2.0) is None
        return self._reachable[host]

    def choices(self) -> list[tuple[str, str]]:
        """(label, name) for the model dropdown: the models that can run here, so that no choice is a dead end
        (published models whose weights cannot be had are left out; *Bring your own model* says why)."""
        out = [(n, n) for n in self.names if n not in published_names() or self.runnable(n)]
        if self.published:
            for name in published_names():
                if name not in self.names and self.runnable(name):
                    out.append((name + (" (standard)" if name.startswith("torchvision/") else ""), name))
        return out
