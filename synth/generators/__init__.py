"""Generators whose images BIGRoC boosts (its Table 2's rows, unconditional there): a class-conditional VAE and DCGAN for
CIFAR-10, trained here
(``python -m synth.generators --kind vae|dcgan``, :mod:`synth.train.generator`) and bundled in ``assets/models`` as
safetensors with a JSON card. They are only sources of images to improve; nothing in the synthesis code depends on
them. :func:`load_generator` loads one by name; its ``sample(label, generator)`` draws images for given classes.
"""
from __future__ import annotations

import json

from safetensors.torch import load_file

from ..sources import ASSETS
from .dcgan import ConditionalDCGAN
from .vae import ConditionalVAE

KINDS = {"conditional VAE": ConditionalVAE, "conditional DCGAN": ConditionalDCGAN}  # a card's "kind"


def bundled_generators() -> list[str]:
    """Names of the bundled generators (cards whose ``kind`` is a generator's, with their weights present)."""
    out = []
    for card_path in sorted(ASSETS.glob("*.json")):
        card = json.loads(card_path.read_text())
        if card.get("kind") in KINDS and card_path.with_suffix(".safetensors").exists():
            out.append(card_path.stem)
    return out


def load_generator(name: str = "cifar10-cvae", device=None):
    """A bundled generator by name (card + safetensors in ``assets/models``), in eval mode on ``device``.

    Raises:
        FileNotFoundError: no such bundled generator.
    """
    card_path = ASSETS / f"{name}.json"
    if not card_path.exists() or json.loads(card_path.read_text()).get("kind") not in KINDS:
        raise FileNotFoundError(f"no bundled generator {name!r} in {ASSETS} (bundled: {', '.join(bundled_generators())}); "
                                "train one with python -m synth.generators")
    card = json.loads(card_path.read_text())
    model = KINDS[card["kind"]](card["num_classes"], card["latent"], card["width"])
    model.load_state_dict(load_file(str(card_path.with_suffix(".safetensors"))))
    model.card = card
    return model.to(device or "cpu").eval()


__all__ = ["ConditionalDCGAN", "ConditionalVAE", "bundled_generators", "load_generator"]
