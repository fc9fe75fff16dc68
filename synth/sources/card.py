"""The project's model format, read by every source that has it (the bundled assets, the Hub, a local folder): a
JSON card (architecture, classes, normalisation, threat model, recipe, metrics) beside a safetensors file of float32
weights. On the Hub the same pair is ``config.json`` + ``model.safetensors``. This module imports no other source."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from ..architectures import build
from ..model import RobustClassifier, Robustness

HUB_CONFIG, HUB_WEIGHTS = "config.json", "model.safetensors"  # a Hub repository's names for the card and the weights


def is_classifier(card: dict) -> bool:
    """Whether a card describes a classifier (generators' cards have no ``arch``)."""
    return "arch" in card


def from_card(card: dict, weights: Path, device=None, where: str | None = None) -> RobustClassifier:
    """Build the card's network, load ``weights`` (a safetensors file) into it, in eval mode on ``device``.

    Raises:
        ValueError: the card is not a classifier's, or the file lacks weights the network needs.
    """
    where = where or str(weights)
    if not is_classifier(card):
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


def load_card_dir(folder: Path, device=None) -> RobustClassifier:
    """A folder laid out as a Hub model repository: ``config.json`` (the card) and ``model.safetensors``."""
    folder = Path(folder)
    card = json.loads((folder / HUB_CONFIG).read_text())
    return from_card(card, folder / HUB_WEIGHTS, device, where=str(folder))
