"""BIGRoC: boosting a generator's images with a robust classifier (Alg. 2), label
de-biasing for the unconditional case, and the Linf radius comparable to an L2 run."""
from __future__ import annotations

import dataclasses

import torch

from ..objectives import class_score
from ._common import config, images, run, step_rate
from .registry import BenchRow, Option, Task, register
from .results import ImageToImageResult


class BoostResult(ImageToImageResult):
    """``boost``: ``source`` the generator's images; ``label`` the classes boosted toward (given, or assigned by the
    model)."""


@torch.no_grad()
def estimate_debias(model, generated: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """Per-class logit shifts d_c = a - mean_gen(logit_c) (BIGRoC §3, Fig. 3), with
    ``a`` the mean logit over classes, so that argmax(logits + d) spreads the generated
    images over the classes instead of piling them on a few.

    Args:
        generated: (N, 3, H, W) generated images in [0, 1].

    Returns:
        (K,) float shifts to add to the logits.
    """
    model.eval()
    logits = torch.cat([model(generated[i:i + batch_size].to(model.device)).float()
                        for i in range(0, len(generated), batch_size)])
    mean = logits.mean(0)
    return (mean.mean() - mean).cpu()


@torch.no_grad()
def assign_labels(model, x: torch.Tensor, debias: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) argmax of the logits, optionally shifted by ``debias`` (K,)."""
    logits = model(x).float()
    if debias is not None:
        logits = logits + debias.to(logits.device)
    return logits.argmax(1)


def boost(model, image, label=None, *, debias: torch.Tensor | None = None, preset=None, generator=None,
          callback=None, bf16=False, **overrides) -> BoostResult:
    """Post-process generated images toward their class inside a small ball (BIGRoC Alg. 2).

    ``x_boost = argmin_{x' in B_eps(x_gen)} CE(f(x'), y)`` by T PGD steps of size eps/T
    (the step size follows ``eps``/``steps`` unless ``step_size`` is given explicitly); a
    preset's ``max_prob`` stops each image once p(y) reaches it (see ``class_score``).

    Args:
        model: a robust ``RobustClassifier``.
        image: (N, 3, H, W) generated images in [0, 1] (or PIL).
        label: the intended classes (conditional generator); None = unconditional, the label
            is the model's (de-biased) prediction.
        debias: (K,) logit shifts from :func:`estimate_debias` (unconditional case).
        preset: default the model's data set's ``boost`` preset; ``norm="linf"`` for the Linf
            threat model (see :func:`comparable_linf_eps`).
        generator, callback, bf16, **overrides: as in ``generate``.

    Returns:
        BoostResult: ``x`` the boosted images, ``label`` the labels used, ``source`` the inputs, ``config``.

    Example:
        >>> res = synth.boost(model, vae_samples, labels, eps=1.0)
    """
    x = images(model, image)
    cfg = setting(model, preset, overrides, config("boost", model, preset, overrides))
    y = assign_labels(model, x, debias) if label is None else model.labels(label, len(x))
    res = run(model, x, class_score(y, max_prob=cfg.max_prob), cfg, generator=generator, callback=callback, bf16=bf16)
    return BoostResult.of(res, source=x, label=y, config=cfg)


def setting(model, preset, overrides: dict, cfg):
    """The setting a ``boost`` call runs: ``cfg`` with BIGRoC's step alpha = r * eps / T (Alg. 2; r = 1 in BIGRoC, kept
    when eps or T are overridden, see ``_common.step_rate``)."""
    if cfg.eps <= 0:
        return cfg
    return dataclasses.replace(cfg, step_size=step_rate("boost", model, preset, overrides, cfg) * cfg.eps / max(cfg.steps, 1))


def comparable_linf_eps(boosted: torch.Tensor, source: torch.Tensor, quantile: float = 0.7) -> float:
    """The Linf radius BIGRoC Fig. 4 compares with an L2 run: the ``quantile`` of the
    per-pixel absolute change the L2 run made."""
    return float(torch.quantile((boosted - source).abs().flatten().float()[:10_000_000], quantile))


def _prepare(model, batch, options, cfg):
    if batch.images is not None:
        return {"image": batch.images, "label": batch.labels}
    from ..generators import load_generator  # no images: the bundled generator's samples of the batch's classes
    generator = load_generator(options.get("generator") or "cifar10-cvae", device=model.device)
    with torch.no_grad():
        x = generator.sample(batch.labels.cpu(), batch.generator)
    return {"image": x.to(model.device), "label": batch.labels}


register(Task(
    "boost", boost, BoostResult, "BIGRoC: boost generated images (--images, or a bundled --generator's samples)", _prepare,
    start="source", start_title="generator sample", takes="images_or_classes", order=60, setting=setting,
    options=(Option("generator", "bundled generator whose samples are boosted when there are no --images "
                                 "(default cifar10-cvae)"),),
    columns=lambda res, options, batch: {"generator": options.get("generator") or "cifar10-cvae"} if batch.images is None else {},
    # the default is chosen on the VAE's samples; the DCGAN's (BIGRoC's second row) are boosted at it
    bench=(BenchRow(options={"generator": "cifar10-cvae"},
                    sweep=tuple({"eps": e, "steps": 30, **({"max_prob": c} if c else {})} for e, c in ((3.0, 1), (8.0, 1), (8.0, 0.9)))),
           BenchRow(suffix="dcgan", options={"generator": "cifar10-dcgan"}, chooses=False))))
