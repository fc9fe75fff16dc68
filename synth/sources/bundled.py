"""The project's own format: a JSON card (recipe, cost, accuracies, everything needed to build the
network) beside a safetensors file of float32 weights.

Bundled models are ``assets/models/<name>.json`` + ``<name>.safetensors``, written by ``synth.train``.
A card may also name a Hugging Face Hub repository (``"hub": "OWNER/REPO[@REVISION]"``, recorded by
``python -m synth.hub push --record``): a deployment without the weights file then fetches it from there.
The same card and weights, as ``config.json`` + ``model.safetensors``, make a Hub model repository
(:mod:`synth.hub`); :func:`load_card_dir` reads such a folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..architectures import build
from ..model import RobustClassifier, Robustness

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets" / "models"
HUB_CONFIG, HUB_WEIGHTS = "config.json", "model.safetensors"  # a Hub repository's names for the card and the weights


def _is_classifier(card: dict) -> bool:
    return "arch" in card


def bundled_names(assets: Path = ASSETS) -> list[str]:
    """Names of the bundled classifiers: cards with an ``arch`` (generators excluded) whose weights are in
    ``assets`` or on the Hub (a ``hub`` field)."""
    names = []
    for p in sorted(Path(assets).glob("*.json")):
        card = json.loads(p.read_text())
        if _is_classifier(card) and (p.with_suffix(".safetensors").exists() or card.get("hub")):
            names.append(p.stem)
    return names


def save_bundled(model: RobustClassifier, card: dict, out_dir: Path = ASSETS) -> None:
    """Write ``<name>.safetensors`` (float32 state dict) and ``<name>.json`` (the card)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    save_file(state, str(out_dir / f"{card['name']}.safetensors"), metadata={"card": card["name"]})
    (out_dir / f"{card['name']}.json").write_text(json.dumps(card, indent=2) + "\n")


def from_card(card: dict, weights: Path, device=None, where: str | None = None) -> RobustClassifier:
    """Build the card's network, load ``weights`` (a safetensors file) into it, in eval mode on ``device``.

    Raises:
        ValueError: the card is not a classifier's, or the file lacks weights the network needs.
    """
    where = where or str(weights)
    if not _is_classifier(card):
        raise ValueError(f"{where}: the card describes no classifier (no 'arch'; a generator's card?)")
    net = build(card["arch"], len(card["classes"]), card.get("width", 64))
    robust = Robustness(**card["robust"]) if card.get("robust") else None
    model = RobustClassifier(net, card["mean"], card["std"], card["classes"], card["input_size"],
                             card["dataset"], robust, card["name"], card)
    state = load_file(str(weights))
    model.load_state_dict(state, strict=False)
    missing = [k for k in model.state_dict() if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise ValueError(f"{where}: weights missing for {missing[:3]}...")
    # channels_last: oneDNN's fastest convolution layout on the CPU (a no-op for the math)
    return model.to(device or "cpu", memory_format=torch.channels_last).eval()


def load_bundled(card_path: Path, device=None) -> RobustClassifier:
    """A model in the project's format: a JSON card beside its safetensors file, or, when that file is absent
    and the card names a Hub repository, the repository's weights (downloaded once, then cached)."""
    card_path = Path(card_path)
    card = json.loads(card_path.read_text())
    weights = card_path.with_suffix(".safetensors")
    if not weights.exists() and card.get("hub"):
        from .hub import download
        weights = download(card["hub"], HUB_WEIGHTS)
    return from_card(card, weights, device, where=str(card_path))


def load_card_dir(folder: Path, device=None) -> RobustClassifier:
    """A folder laid out as a Hub model repository: ``config.json`` (the card) and ``model.safetensors``."""
    folder = Path(folder)
    card = json.loads((folder / HUB_CONFIG).read_text())
    return from_card(card, folder / HUB_WEIGHTS, device, where=str(folder))


def is_local(card_path: Path) -> bool:
    """Whether a bundled model loads without a download (its weights are in assets or in the Hub cache)."""
    card_path = Path(card_path)
    if card_path.with_suffix(".safetensors").exists():
        return True
    hub = json.loads(card_path.read_text()).get("hub")
    if not hub:
        return False
    from .hub import cached
    return cached(hub, HUB_WEIGHTS)
