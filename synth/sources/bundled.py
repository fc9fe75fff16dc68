"""The project's own format: ``assets/models/<name>.safetensors`` beside a JSON card (recipe,
cost, accuracies), written by ``synth.train`` and read by :func:`load_bundled`."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..architectures import build
from ..model import RobustClassifier, Robustness

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets" / "models"


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
