"""What every tab shares: the model store, input conversion with clear errors, the
progress bridge, the loss plot data and the example images."""
from __future__ import annotations

import functools
import logging
import os
import threading
import traceback
from pathlib import Path

import gradio as gr
import pandas as pd
import torch

from .. import presets
from ..compat import MADRY_MODELS, TORCHVISION_MODELS, ModelUnavailableError, model_dir
from ..imageio import ImageError, to_mask, to_pil, to_tensor
from ..registry import bundled_names, load_model

log = logging.getLogger("synth.app")
MAX_STEPS = 1000  # the demo's cap per request (the library allows more)
MAX_SAMPLES = 16  # Generate's grid
# bfloat16 autocast in the demo: about 2x faster on CPUs with bf16 units (bench/pgd_speed.py) with
# the same samples to the eye and the same quality figures (bench/quality_cifar10.py, bf16 row).
# Where bf16 is emulated (AVX2-only CPUs) pgd() runs float32 instead, see synth.pgd.bf16_is_native.
BF16 = os.environ.get("SYNTH_APP_BF16", "1") != "0"
DISPLAY_CSS = ".pixelated img { image-rendering: pixelated; width: 100%; height: 100%; object-fit: contain; }"
MAX_MASK_AREA = 0.8  # a mask over more than this leaves too little image to keep
BRUSH = 16  # px on the 256-px drawing canvas: 2 pixels of a 32-px image
FIT_NOTE = "Uploads are centre-cropped to a square and resized to the model's input size."


def demo_names() -> list[str]:
    """The bundled classifiers the demo offers: all but the quality benches' judge (a card with a ``role``)."""
    import json
    from ..registry import ASSETS
    return [n for n in bundled_names() if "role" not in json.loads((ASSETS / f"{n}.json").read_text())]


class ModelStore:
    """Loads models on first use and keeps them; thread-safe.

    Args:
        names: models offered in the UI besides the published ones (default: the bundled ones).
        loader: name -> RobustClassifier (default ``synth.load_model``).
        default: the model tabs start with.
        published: also offer the Madry lab and torchvision models.
    """

    def __init__(self, names=None, loader=load_model, default: str | None = None, published: bool = True):
        self._models, self._lock, self._loader = {}, threading.Lock(), loader
        self.names = list(demo_names() if names is None else names)
        self.published = published
        l2 = [n for n in self.names if n.endswith("-l2")]
        self.default = default or (l2[0] if l2 else (self.names[0] if self.names else None))

    def get(self, name: str):
        if not name:
            raise ValueError("choose a model")
        with self._lock:
            if name not in self._models:
                self._models[name] = self._loader(name)
            return self._models[name]

    def twin(self, name: str) -> str | None:
        """The non-robust counterpart of a robust model (``cifar10-l2`` -> ``cifar10-standard``)."""
        if name.startswith("madry/imagenet"):
            return "torchvision/resnet50"
        cand = name.rsplit("-", 1)[0] + "-standard" if "-" in name else None
        return cand if cand in self.names else None

    def choices(self) -> list[tuple[str, str]]:
        """(label, name) for the model dropdown; published models say when they are not downloaded."""
        out = [(n, n) for n in self.names]
        if self.published:
            for key, spec in MADRY_MODELS.items():
                here = (model_dir() / spec.filename).exists()
                out.append((f"madry/{key}" + ("" if here else " (download needed)"), f"madry/{key}"))
            out += [(f"torchvision/{key} (standard)", f"torchvision/{key}") for key in TORCHVISION_MODELS]
        return out


def friendly(fn):
    """Turn expected failures into a ``gr.Error`` message shown in the UI; log the rest
    and show a short message, so the server never crashes and never shows a stack trace."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ImageError, ValueError, TypeError, KeyError, FileNotFoundError, ModelUnavailableError) as err:
            raise gr.Error(str(err).strip("'\"")) from None
        except Exception as err:  # noqa: BLE001 - the demo must stay up
            log.error("unexpected error in %s: %s", fn.__name__, traceback.format_exc())
            raise gr.Error(f"Something went wrong ({type(err).__name__}). Try other inputs or a smaller step count.") from None

    return wrapper


def need_image(path, what="an image"):
    if path is None or path == "":
        raise gr.Error(f"Please provide {what}.")
    return path


def image_input(model, path, fit="crop") -> torch.Tensor:
    """An uploaded file -> (1, 3, H, W) at the model's size (clear error if not an image)."""
    return to_tensor(need_image(path), model.input_size, fit).to(model.device)


def editor_input(model, value, fit="crop"):
    """An ImageEditor value -> (image (1,3,H,W), mask (1,1,H,W)); mask = drawn strokes."""
    if not value or value.get("background") is None:
        raise gr.Error("Please upload an image (or pick an example) and draw the mask on it.")
    image = image_input(model, value["background"], fit)
    layers = [layer for layer in (value.get("layers") or []) if layer is not None]
    if not layers:
        raise gr.Error("Draw on the image with the brush to mark the region.")
    from PIL import Image
    masks = []
    for layer in layers:
        img = Image.open(layer) if isinstance(layer, (str, Path)) else layer
        alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else img.convert("L")
        tensor = to_tensor(alpha.convert("RGB"), model.input_size, fit)[:, :1]
        masks.append(to_mask(tensor, model.input_size))
    mask = torch.stack(masks).amax(0)
    area = float(mask.mean())
    if MAX_MASK_AREA < area < 1:  # (an empty or full mask gets the task's own message)
        raise gr.Error(f"The mask covers {100 * area:.0f}% of the image; leave at least {100 * (1 - MAX_MASK_AREA):.0f}% "
                       "unmasked, the part the result keeps. Erase some of it (eraser tool) or pick an example.")
    return image, mask.to(model.device)


def check_steps(steps) -> int:
    steps = int(steps)
    if not 1 <= steps <= MAX_STEPS:
        raise gr.Error(f"steps must be between 1 and {MAX_STEPS} in the demo (got {steps}).")
    return steps


def class_index(model, label) -> int:
    if label is None or label == "":
        raise gr.Error("Please choose a class.")
    return model.class_index(label)


def progress_callback(progress, total: int, offset: int = 0, grand_total: int | None = None):
    """Bridge ``pgd``'s callback to ``gr.Progress``."""
    grand = grand_total or total

    def cb(step, x, score):
        progress((offset + step, grand), desc=f"PGD step {offset + step}/{grand}")
    return cb


def loss_frame(results: dict) -> pd.DataFrame:
    """{model name: PGDResult} -> long DataFrame (step, objective, model) for gr.LinePlot."""
    rows = []
    for name, res in results.items():
        for step, value in enumerate(res.history.mean(1).tolist()):
            rows.append({"step": step, "objective": value, "model": name})
    return pd.DataFrame(rows)


def loss_plot(label="objective per PGD step (higher is better)"):
    return gr.LinePlot(x="step", y="objective", color="model", label=label, height=240)


def probs_label(model, res=None, probs: torch.Tensor | None = None) -> dict:
    """The top-5 {class: probability} of a result's first image (or of ``probs``, (K,)) for a gr.Label."""
    p = (res.probs[0] if probs is None else probs).float().cpu()
    top = p.topk(min(5, len(p)))
    return {model.classes[i]: float(v) for v, i in zip(top.values.tolist(), top.indices.tolist())}


def pil(x):
    return to_pil(x)[0]


def change_views(start: torch.Tensor, result: torch.Tensor, size: int = 256):
    """What makes a subtle change visible: a before/after pair for the ImageSlider and the difference
    amplified to the full range (grey = unchanged), each enlarged to ``size`` px with nearest-neighbour.

    Args:
        start, result: (1, 3, H, W) in [0, 1].
    Returns:
        ((before, after) PIL images, difference PIL image, the largest change in 1/255 steps).
    """
    from PIL import Image
    d = (result.float().cpu() - start.float().cpu())[:1]
    largest = float(d.abs().max())
    diff = (0.5 + d * (0.5 / max(largest, 1 / 255))).clamp(0, 1)
    big = [pil(v).resize((size, size), Image.NEAREST) for v in (start[:1], result[:1], diff)]
    return (big[0], big[1]), big[2], 255 * largest


def change_panel():
    """The before/after slider and the amplified difference (outputs of :func:`change_views`)."""
    with gr.Row():
        slider = gr.ImageSlider(label="before / after (drag the handle)", type="pil", format="png", interactive=False,
                                max_height=280)
        diff = shown_image("difference, amplified (grey = unchanged)", 280)
    note = gr.Markdown()
    return slider, diff, note


def change_outputs(start, result):
    """Values for :func:`change_panel`'s components."""
    pair, diff, largest = change_views(start, result)
    return pair, diff, f"Largest change: {largest:.1f}/255 of a pixel's channel; the difference view scales it to the full range."


def image_grid(x: torch.Tensor, columns: int = 4) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (1, 3, H', W') one image: the N images in rows of ``columns`` with
    1-px white gutters, each at its true size (one image alone is returned unchanged)."""
    if len(x) == 1:
        return x
    from torchvision.utils import make_grid
    return make_grid(x.float().cpu(), nrow=min(columns, len(x)), padding=1, pad_value=1.0)[None]


def preset_values(task: str, model, variant: str | None = None) -> presets.PGDConfig:
    return presets.resolve(presets.default_for(task, model, variant))


def model_dropdown(store: ModelStore):
    return gr.Dropdown(store.choices(), value=store.default, label="model",
                       info="bundled models run offline; published ones need their weights file")


def pgd_sliders(cfg: presets.PGDConfig, lam: bool = False):
    """eps / steps / step size (and lam) sliders preset to ``cfg``."""
    eps = gr.Slider(0.0, max(5 * cfg.eps, 1.0), value=cfg.eps, step=0.1, label="eps (L2 radius)")
    steps = gr.Slider(1, MAX_STEPS, value=cfg.steps, step=1, label="steps")
    step_size = gr.Slider(0.01, max(4 * cfg.step_size, 1.0), value=cfg.step_size, step=0.01, label="step size")
    out = [eps, steps, step_size]
    if lam:
        out.append(gr.Slider(0.0, max(4 * (cfg.lam or 1.0), 10.0), value=cfg.lam or 0.0, step=0.5, label="lambda (penalty weight)"))
    return out


def cap_slider(cfg: presets.PGDConfig, note: str = ""):
    """The confidence cap (``max_prob``) preset to ``cfg``; 1 switches it off."""
    return gr.Slider(0.5, 1.0, value=cfg.max_prob or 1.0, step=0.01, label="confidence cap",
                     info="an image stops moving once p(class) reaches it (1 = off, as in the papers)" + note)


def seed_box():
    with gr.Row():
        seed = gr.Number(value=0, precision=0, label="seed", minimum=0)
        shuffle = gr.Button("randomize", size="sm")
    shuffle.click(lambda: int(torch.randint(0, 2**31 - 1, (1,))), outputs=seed, api_visibility="private")
    return seed


def compare_box():
    return gr.Checkbox(value=False, label="compare with the standard (non-robust) model")


def class_dropdown(store: ModelStore, with_predict: bool = False, label="class"):
    classes = list(store.get(store.default).classes) if store.default else []
    choices = (["(predicted by the model)"] if with_predict else []) + classes
    return gr.Dropdown(choices, value=choices[0] if choices else None, label=label)


def on_model_change(store: ModelStore, task: str, with_predict: bool = False, lam: bool = False, cap: bool = False):
    """Callback for the model dropdown: new class list and the task's preset values.

    The callback takes the model name and, optionally, the preset variant (Generate's seed kind), and returns
    updates for (class, eps, steps, step size[, lam][, cap]).
    """

    @friendly
    def update(name, variant=None):
        model = store.get(name)
        cfg = preset_values(task, model, variant)
        choices = (["(predicted by the model)"] if with_predict else []) + list(model.classes)
        ups = [gr.update(choices=choices, value=choices[0]), gr.update(value=cfg.eps, maximum=max(5 * cfg.eps, 1.0)),
               gr.update(value=cfg.steps), gr.update(value=cfg.step_size, maximum=max(4 * cfg.step_size, 1.0))]
        if lam:
            ups.append(gr.update(value=cfg.lam or 0.0))
        if cap:
            ups.append(gr.update(value=cfg.max_prob or 1.0))
        return ups
    return update


def optional_label(model, label):
    return None if label in (None, "", "(predicted by the model)") else class_index(model, label)


def run_pair(store: ModelStore, name: str, compare: bool, run, steps: int, progress):
    """Run ``run(model, callback)`` on the model and, if asked, on its standard twin.

    Returns:
        {model name: PGDResult} in order (robust first).
    """
    names = [name]
    if compare:
        twin = store.twin(name)
        if twin is None:
            raise gr.Error(f"{name} has no standard twin to compare with.")
        names.append(twin)
    total = steps * len(names)
    results = {}
    for i, n in enumerate(names):
        model = store.get(n)
        results[n] = run(model, progress_callback(progress, steps, i * steps, total))
    return results


def outputs_of(results: dict, key=lambda r: r.x):
    """(main image, twin image or None, loss frame, probabilities of the main result)."""
    items = list(results.items())
    main_name, main = items[0]
    twin = pil(key(items[1][1])) if len(items) > 1 else None
    return pil(key(main)), twin, loss_frame(results)


def shown_image(label: str, height: int = 160, elem_id: str | None = None) -> gr.Image:
    """A read-only image output, drawn with sharp pixels (32 px images are shown enlarged)."""
    return gr.Image(label=label, type="pil", format="png", height=height, elem_classes="pixelated",
                    interactive=False, elem_id=elem_id)


def result_images(prefix: str):
    """The result and the standard twin's result (elem ids ``<prefix>-result``, ``<prefix>-twin``)."""
    with gr.Row():
        main = shown_image("result (robust model)", 256, f"{prefix}-result")
        twin = shown_image("same request, standard model", 256, f"{prefix}-twin")
    return main, twin


def result_panel(prefix: str, probs_title: str = "classifier's probabilities"):
    """The right-hand column every task tab shows: result, standard twin, both models' probabilities (the twin's
    filled in compare mode), loss plot."""
    main, twin = result_images(prefix)
    with gr.Row():
        probs = gr.Label(label=probs_title + " (robust model)", num_top_classes=5)
        twin_probs = gr.Label(label=probs_title + " (standard model, compare mode)", num_top_classes=5)
    return main, twin, probs, loss_plot(), twin_probs


def twin_probs_value(store: ModelStore, results: dict):
    """The standard twin's probabilities for the second panel, or None without compare mode."""
    items = list(results.items())
    return probs_label(store.get(items[1][0]), items[1][1]) if len(items) > 1 else None


def _upload_paths(payload):
    """Every uploaded file path inside a component payload (ImageData, EditorData ...)."""
    if payload is None:
        return
    if isinstance(payload, (list, tuple)):
        for item in payload:
            yield from _upload_paths(item)
        return
    path = getattr(payload, "path", None)
    if isinstance(path, str) and path:
        yield path, getattr(payload, "orig_name", None) or Path(path).name
    for value in getattr(payload, "__dict__", {}).values():
        if hasattr(value, "__dict__") or isinstance(value, (list, tuple)):
            yield from _upload_paths(value)


def check_upload(payload) -> None:
    """Refuse a non-image or oversized upload with a clear message, before Gradio decodes it."""
    from PIL import Image
    from ..imageio import MAX_PIXELS
    for path, name in _upload_paths(payload):
        try:
            with Image.open(path) as img:
                size = img.size
                img.verify()
        except Exception:  # noqa: BLE001 - any decoder failure means "not an image"
            raise gr.Error(f"{name} is not a readable image (PNG, JPEG, WebP, BMP ...).") from None
        if size[0] * size[1] > MAX_PIXELS:
            raise gr.Error(f"{name} is too large ({size[0]}x{size[1]} pixels; at most {MAX_PIXELS:,}).")


class _CheckedUpload:
    """Mixin: check uploads (clear errors instead of a decoder trace) before the Gradio
    component decodes them; keeps the base component's frontend (``BLOCK``)."""
    BLOCK = ""

    def preprocess(self, payload):
        check_upload(payload)
        return super().preprocess(payload)

    def get_block_name(self):
        return self.BLOCK


class ImageUpload(_CheckedUpload, gr.Image):
    BLOCK = "image"


class MaskEditor(_CheckedUpload, gr.ImageEditor):
    BLOCK = "imageeditor"


class SketchInput(_CheckedUpload, gr.Sketchpad):
    BLOCK = "imageeditor"
