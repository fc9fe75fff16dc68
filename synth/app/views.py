"""Results made into what the tabs display: true-size PIL images and grids, top-5
probabilities, the objective curves and the views that make a subtle change visible.
Nothing here runs a model (but for :func:`probs_of`'s one forward pass) or builds a widget."""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pandas as pd
import torch
from PIL import Image

from ..imageio import to_pil

DISPLAY = 256  # px: every image is shown at this size (nearest-neighbour, no blur); its file stays true-size
ROLES = ("robust", "standard")  # the curves' legend: the requested model, then its standard twin


def save_pil_whole(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``processing_utils.save_pil_to_cache``, but never rewriting a file a visitor may be downloading.

    Gradio names each output image's file after its bytes and rewrites it in place on every save; a streamed tab
    sends its unchanged start image with every live update, so the browser can be fetching the file while it is
    truncated and written again ("Too much data for declared Content-Length", an empty panel). Here a file with
    those bytes is left as it is, and a new one appears whole (written beside it, then renamed).
    """
    from gradio import processing_utils
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return str(path)


def serve_images_whole() -> None:
    """Make Gradio save output images with :func:`save_pil_whole` (its array saver goes through it too)."""
    from gradio import processing_utils
    processing_utils.save_pil_to_cache = save_pil_whole


def pil(x: torch.Tensor) -> Image.Image:
    """The first image of (N, 3, H, W) in [0, 1] as a true-size PIL image (the page enlarges it)."""
    return to_pil(x[:1])[0]


def image_grid(x: torch.Tensor, columns: int | None = None) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (1, 3, H', W') one image: the N images in rows of ``columns`` (default: as square
    as possible, ceil(sqrt(N)), so every grid fills the same square display box) with 1-px white gutters, each at
    its true size (one image alone is returned unchanged)."""
    if len(x) == 1:
        return x
    from torchvision.utils import make_grid
    columns = columns or math.ceil(math.sqrt(len(x)))
    return make_grid(x.float().cpu(), nrow=min(columns, len(x)), padding=1, pad_value=1.0)[None]


def top5(model, probs: torch.Tensor) -> dict:
    """(K,) probabilities -> the top-5 {class name: probability} for a gr.Label."""
    p = probs.float().cpu()
    top = p.topk(min(5, len(p)))
    return {model.classes[i]: float(v) for v, i in zip(top.values.tolist(), top.indices.tolist())}


def probs_of(model, res) -> dict:
    """The top-5 probabilities of a result's first image."""
    return top5(model, res.probs[0])


def loss_frame(curves: dict) -> pd.DataFrame:
    """{series name: (steps+1, N) objective history, or None for a model not run} -> long DataFrame (step, score,
    model) for gr.LinePlot, the mean over the batch per step. Every role of ``ROLES`` gets at least one row (an empty
    one, NaN, when it was not run): the plot fixes its colours to the series of the first value it shows, so a run
    without compare followed by one with it would otherwise draw no standard curve."""
    rows = [{"step": step, "score": value, "model": name} for name, history in curves.items() if history is not None
            for step, value in enumerate(history.float().mean(1).tolist())]
    rows += [{"step": 0, "score": float("nan"), "model": role} for role in ROLES if curves.get(role) is None]
    return pd.DataFrame(rows, columns=["step", "score", "model"])


def enlarge(img: Image.Image, size: int = DISPLAY) -> Image.Image:
    """Nearest-neighbour enlargement of a square image to ``size`` px (pixels stay sharp squares)."""
    return img.resize((size, size * img.height // img.width), Image.NEAREST)


def change_views(start: torch.Tensor, result: torch.Tensor):
    """What makes a subtle change visible: a before/after pair for the ImageSlider and the difference
    amplified to the full range (grey = unchanged), enlarged to ``DISPLAY`` px (the slider draws what it gets).

    Args:
        start, result: (1, 3, H, W) in [0, 1].
    Returns:
        ((before, after) PIL images, difference PIL image, the largest change in 1/255 steps).
    """
    d = (result.float().cpu() - start.float().cpu())[:1]
    largest = float(d.abs().max())
    diff = (0.5 + d * (0.5 / max(largest, 1 / 255))).clamp(0, 1)
    return (enlarge(pil(start)), enlarge(pil(result))), enlarge(pil(diff)), 255 * largest


def change_text(largest: float) -> str:
    return f"Largest change: {largest:.1f}/255 of a pixel's channel; the difference view scales it to the full range."
