"""The project's own format: a JSON card (recipe, cost, accuracies, everything needed to build the
network) beside a safetensors file of float32 weights.

Bundled models are ``assets/models/<name>.json`` + ``<name>.safetensors``, written by ``synth.train``.
A card may also name a Hugging Face Hub repository (``"hub": "OWNER/REPO[@REVISION]"``, recorded by
``python -m synth.hub push --record``): a deployment without the weights file then fetches it from there.
The same card and weights, as ``config.json`` + ``model.safetensors``, make a Hub model repository
(:mod:`synth.deploy.hub`); ``synth.sources.card`` reads the format (a card with its weights, or such a folder).
"""
from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file

from ..model import RobustClassifier
from .card import HUB_CONFIG, HUB_WEIGHTS, from_card, is_classifier, load_card_dir  # noqa: F401  (the card format)

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets" / "models"


def bundled_names(assets: Path = ASSETS) -> list[str]:
    """Names of the bundled classifiers: cards with an ``arch`` (generators excluded) whose weights are in
    ``assets`` or on the Hub (a ``hub`` field)."""
    names = []
    for p in sorted(Path(assets).glob("*.json")):
        card = json.loads(p.read_text())
        if is_classifier(card) and (p.with_suffix(".safetensors").exists() or card.get("hub")):
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
