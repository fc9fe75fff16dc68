"""Image-to-image translation (Santurkar et al. 2019, §3.3; Duke's "naive" translation)."""
from __future__ import annotations

from ..objectives import class_score
from ._common import config, images, run
from .registry import BenchRow, Option, Task, ball_sweep, register
from .results import ImageToImageResult


class TranslateResult(ImageToImageResult):
    """``translate``: ``source`` the input images, ``label`` the target classes."""


def translate(model, image, target, *, preset=None, generator=None, callback=None, bf16=False,
              **overrides) -> TranslateResult:
    """Move images toward a target class: maximise log p(target | x') inside an L2 ball.

    With a two-domain classifier (horse vs zebra) this is the paper's translation; with a
    multi-class model any class can be the target (the paper's Fig. 10, Duke's naive way).

    Args:
        model: a ``RobustClassifier``.
        image: (N, 3, H, W) in [0, 1] or PIL image(s).
        target: class name/index, or one per image.
        preset, generator, callback, bf16, **overrides: as in ``generate``.

    Example:
        >>> res = synth.translate(h2z, horses, "zebra")
    """
    x = images(model, image)
    y = model.labels(target, len(x))
    cfg = config("translate", model, preset, overrides)
    res = run(model, x, class_score(y, max_prob=cfg.max_prob), cfg, generator=generator, callback=callback, bf16=bf16)
    return TranslateResult.of(res, source=x, label=y, config=cfg)


def _prepare(model, batch, options, cfg):
    target = options.get("target")
    return {"image": batch.images, "target": batch.labels if target is None else model.labels(target, len(batch))}


register(Task(
    "translate", translate, TranslateResult, "move each image toward a target class", _prepare, start="source", start_title="source",
    target=True, order=20, options=(Option("target", "the target class (name or index)", required=True),),
    bench=(BenchRow(sweep=ball_sweep((5, 10, 15))),)))
