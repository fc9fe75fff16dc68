"""What visitors send, made into tensors or refused with one clear sentence: uploads (checked
before Gradio decodes them), editor masks, class names, step and sample counts.

Every check raises ``ValueError`` (``runs.friendly`` shows it as the tab's one message)."""
from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import torch
from PIL import Image

from ..imageio import MAX_PIXELS, to_mask, to_tensor

MAX_STEPS = 1000  # the demo's cap per request (the library allows more)
MAX_SAMPLES = 16  # Generate's grid
MAX_MASK_AREA = 0.8  # a mask over more than this leaves too little image to keep
PREDICTED = "(predicted by the model)"
FIT_NOTE = "Uploads are centre-cropped to a square and resized to the model's input size."


def need_image(path, what: str = "an image"):
    """``path`` itself, or a ValueError asking for ``what`` when nothing was given."""
    if path is None or path == "":
        raise ValueError(f"Please provide {what}.")
    return path


def _decodable_bytes(path, attempts: int = 20, wait: float = 0.05) -> bytes | None:
    """The bytes of the image file at ``path`` once they decode (``attempts`` x ``wait`` s at most), else None.
    Gradio names what it hands a handler after its content, so visitors sending the same file at once share one path
    while one request may still be writing it."""
    for attempt in range(attempts):
        try:
            data = Path(path).read_bytes()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
            return data
        except Exception:  # noqa: BLE001 - half-written (try again) or broken (the caller's decoder reports it)
            if attempt + 1 < attempts:
                time.sleep(wait)
    return None


def decoded(path, attempts: int = 20, wait: float = 0.05):
    """The image at ``path`` loaded into memory once its bytes decode (see :func:`_decodable_bytes`), else ``path``
    itself (the decoder then says what is wrong). Anything that is not a path is returned as it is."""
    if not isinstance(path, (str, Path)):
        return path
    data = _decodable_bytes(path, attempts, wait)
    if data is None:
        return path
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.copy()


def image_input(model, path, fit: str = "crop") -> torch.Tensor:
    """An uploaded file -> (1, 3, H, W) in [0, 1] at the model's size, on its device."""
    path = need_image(path)
    return to_tensor(decoded(path), model.input_size, fit).to(model.device)


def editor_input(model, value, fit: str = "crop"):
    """An ImageEditor value -> (image (1, 3, H, W) in [0, 1], mask (1, 1, H, W) in {0, 1}); mask = drawn strokes,
    reduced to the model's size by an exact box average and a 0.5 threshold."""
    if not value or value.get("background") is None:
        raise ValueError("Please upload an image (or pick an example) and draw the mask on it.")
    image = image_input(model, value["background"], fit)
    layers = [layer for layer in (value.get("layers") or []) if layer is not None]
    if not layers:
        raise ValueError("Draw on the image with the brush to mark the region.")
    masks = []
    for layer in layers:
        img = decoded(layer)
        img = Image.open(img) if isinstance(img, (str, Path)) else img  # (a broken file: the decoder's message)
        alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else img.convert("L")
        tensor = to_tensor(alpha.convert("RGB"), model.input_size, fit)[:, :1]
        masks.append(to_mask(tensor, model.input_size))
    mask = torch.stack(masks).amax(0)
    area = float(mask.mean())
    if MAX_MASK_AREA < area < 1:  # (an empty or full mask gets the task's own message)
        raise ValueError(f"The mask covers {100 * area:.0f}% of the image; leave at least {100 * (1 - MAX_MASK_AREA):.0f}% "
                         "unmasked, the part the result keeps. Erase some of it (eraser tool) or pick an example.")
    return image, mask.to(model.device)


def check_steps(steps) -> int:
    """The step count as an int in [1, MAX_STEPS]."""
    steps = int(steps)
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS} in the demo (got {steps}).")
    return steps


def check_count(count) -> int:
    """Generate's sample count as an int in [1, MAX_SAMPLES]."""
    n = int(count or 1)
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"samples must be between 1 and {MAX_SAMPLES} (got {n}).")
    return n


def class_index(model, label) -> int:
    """The index of class ``label`` (name or index) of ``model``."""
    if label is None or label == "":
        raise ValueError("Please choose a class.")
    return model.class_index(label)


def optional_label(model, label):
    """None for "predicted by the model" (or nothing chosen), else the class index."""
    return None if label in (None, "", PREDICTED) else class_index(model, label)


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
    for path, name in _upload_paths(payload):
        try:
            with Image.open(path) as img:
                size = img.size
                img.verify()
        except Exception:  # noqa: BLE001 - any decoder failure means "not an image"
            raise gr.Error(f"{name} is not a readable image (PNG, JPEG, WebP, BMP ...).", print_exception=False) from None
        if size[0] * size[1] > MAX_PIXELS:
            raise gr.Error(f"{name} is too large ({size[0]}x{size[1]} pixels; at most {MAX_PIXELS:,}).", print_exception=False)


def stable_copy(path: str, attempts: int = 20, wait: float = 0.05) -> str | None:
    """A request-private copy of an uploaded image file, taken once its bytes decode.

    Gradio stores uploads under a name made from their content, so two visitors uploading the same file at once share
    one path, and Gradio may rewrite it in place (re-encoding a non-RGB upload) while the other request reads it.
    The copy is read until it decodes (``attempts`` x ``wait`` s at most) and written atomically beside the original,
    so every later decode, Gradio's and synth's, reads bytes no one else writes. None if it never decodes (then
    :func:`check_upload` says why)."""
    data = _decodable_bytes(path, attempts, wait)
    if data is None:
        return None
    fd, tmp = tempfile.mkstemp(prefix=".private-", suffix=Path(path).suffix, dir=Path(path).parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return tmp


def _with_private_copies(payload) -> None:
    """Point every uploaded file of ``payload`` at a :func:`stable_copy` of it (in place)."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        path = getattr(item, "path", None)
        if isinstance(path, str) and path and Path(path).is_file() and (copy := stable_copy(path)) is not None:
            if not getattr(item, "orig_name", None) and hasattr(item, "orig_name"):
                item.orig_name = Path(path).name  # messages name the file the visitor sent, not the copy
            item.path = copy
        stack.extend(v for v in getattr(item, "__dict__", {}).values() if hasattr(v, "__dict__") or isinstance(v, (list, tuple)))


class _CheckedUpload:
    """Mixin: decode each upload from a request-private copy (identical uploads at the same moment are safe) and
    check it (clear errors instead of a decoder trace) before the Gradio component decodes it; keeps the base
    component's frontend (``BLOCK``)."""
    BLOCK = ""

    def preprocess(self, payload):
        _with_private_copies(payload)
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
