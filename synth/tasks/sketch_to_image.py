"""Sketch-to-image (Santurkar et al. 2019, §3.5, Fig. 7)."""
from __future__ import annotations

from ..objectives import class_score
from ..pgd import PGDResult
from ._common import config, images, run


def sketch_to_image(model, sketch, label, *, preset=None, generator=None, callback=None, bf16=False,
                    **overrides) -> PGDResult:
    """Turn a hand drawing into an image of ``label``: targeted PGD starting at the sketch.

    Args:
        model: a ``RobustClassifier``.
        sketch: PIL image(s) of any size (scaled to the model's input, white padding keeps
            the whole drawing) or (N, 3, H, W) in [0, 1].
        label: class name/index, or one per sketch.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Example:
        >>> res = synth.sketch_to_image(model, Image.open("dog.png"), "dog")
    """
    x = images(model, sketch, fit="pad")
    y = model.labels(label, len(x))
    cfg = config("sketch_to_image", model, preset, overrides)
    res = run(model, x, class_score(y), cfg, generator=generator, callback=callback, bf16=bf16)
    res.extras.update(sketch=x, label=y, config=cfg)
    return res
