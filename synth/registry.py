"""Where models come from: ``load_model(name_or_path)``.

Resolves the project's bundled models (``assets/models/<name>.safetensors`` + JSON card),
the Madry lab's published robust checkpoints (``madry/...``, built with the
``robustness`` library's architectures through ``synth.compat``), torchvision's standard
ImageNet models (``torchvision/...``), and local checkpoint files in either format.
Every checkpoint is read with ``torch.load(weights_only=True)``; a download that cannot
happen offline raises :class:`ModelUnavailableError` naming the file, its source and
where to put it.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .architectures import build
from .model import RobustClassifier, Robustness

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "models"


class ModelUnavailableError(RuntimeError):
    """A model's weights are not on this machine and cannot be downloaded now."""


def bundled_names() -> list[str]:
    """Names of the bundled classifiers (cards with an ``arch`` in ``assets/models``; generators excluded)."""
    return sorted(p.stem for p in ASSETS.glob("*.json")
                  if (ASSETS / f"{p.stem}.safetensors").exists() and "arch" in json.loads(p.read_text()))


def save_bundled(model: RobustClassifier, card: dict, out_dir: Path = ASSETS) -> None:
    """Write ``<name>.safetensors`` (float32 state dict) and ``<name>.json`` (the card)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    save_file(state, str(out_dir / f"{card['name']}.safetensors"), metadata={"card": card["name"]})
    (out_dir / f"{card['name']}.json").write_text(json.dumps(card, indent=2) + "\n")


def load_bundled(card_path: Path, device=None) -> RobustClassifier:
    """A model in the project's format: a JSON card beside a safetensors file."""
    card = json.loads(Path(card_path).read_text())
    net = build(card["arch"], len(card["classes"]), card.get("width", 64))
    robust = Robustness(**card["robust"]) if card.get("robust") else None
    model = RobustClassifier(net, card["mean"], card["std"], card["classes"], card["input_size"],
                             card["dataset"], robust, card["name"], card)
    state = load_file(str(Path(card_path).with_suffix(".safetensors")))
    model.load_state_dict(state, strict=False)
    missing = [k for k in model.state_dict() if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise ValueError(f"{card_path}: weights missing for {missing[:3]}...")
    # channels_last: oneDNN's fastest convolution layout on the CPU (a no-op for the math)
    return model.to(device or "cpu", memory_format=torch.channels_last).eval()


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
    if name.startswith("madry/"):
        from .compat import load_madry
        return load_madry(name, device)
    if name.startswith("torchvision/"):
        from .compat import load_torchvision
        return load_torchvision(name, device)
    path = Path(name)
    if path.exists():
        if path.suffix == ".json":
            return load_bundled(path, device)
        if path.suffix == ".safetensors" and path.with_suffix(".json").exists():
            return load_bundled(path.with_suffix(".json"), device)
        from .compat import load_robustness_checkpoint
        return load_robustness_checkpoint(path, device=device)
    from .compat import MADRY_MODELS, TORCHVISION_MODELS
    known = bundled_names() + [f"madry/{k}" for k in MADRY_MODELS] + [f"torchvision/{k}" for k in TORCHVISION_MODELS]
    raise ValueError(f"unknown model {name!r}: not a bundled name, a madry/ or torchvision/ name, or an existing "
                     f"file. Known: {', '.join(known)}")
