"""The only format converter: PIL images / numpy arrays / files <-> float tensors.

Library images are float tensors (N, 3, H, W) in [0, 1]. Everything that enters from
outside (uploads, sketches, data-set files) passes through :func:`to_tensor`, which
handles greyscale, RGBA (composited on white), palette and 16-bit images, and resizes
with one stated aspect policy; everything that leaves goes through :func:`to_pil`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


class ImageError(ValueError):
    """An input that is not a usable image."""


def _pil_to_array(img: Image.Image) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from any PIL mode."""
    if img.width * img.height > MAX_PIXELS:
        raise ImageError(f"image too large ({img.width}x{img.height} pixels; at most {MAX_PIXELS:,})")
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top, 0, 1)
        return np.repeat(arr[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def fit_square(x: torch.Tensor, size: tuple[int, int], fit: str = "crop") -> torch.Tensor:
    """Resize (N, 3, H, W) to ``size``.

    ``fit``: ``crop`` (shorter side to size, centre crop: keeps the aspect ratio, loses
    the borders), ``pad`` (longer side to size, pad with white), ``stretch``.
    """
    h, w = x.shape[-2:]
    th, tw = size
    if (h, w) == (th, tw):
        return x
    if fit == "stretch":
        return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
    scale = max(th / h, tw / w) if fit == "crop" else min(th / h, tw / w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if h % nh == 0 and w % nw == 0 and h // nh == w // nw:
        # an integer reduction is an exact box average: an image enlarged k times with nearest-neighbour
        # (the demo's drawing canvas) comes back pixel for pixel
        x = F.avg_pool2d(x, h // nh)
    else:
        x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
    if fit == "crop":
        top, left = (nh - th) // 2, (nw - tw) // 2
        return x[..., top:top + th, left:left + tw]
    pt, pl = (th - nh) // 2, (tw - nw) // 2
    return F.pad(x, (pl, tw - nw - pl, pt, th - nh - pt), value=1.0)


def to_tensor(image, size: tuple[int, int] | None = None, fit: str = "crop") -> torch.Tensor:
    """Anything image-like -> (N, 3, H, W) float32 in [0, 1].

    Args:
        image: a PIL image, a path, a (H, W[, C]) uint8/float numpy array, a list of
            those, or a (3, H, W) / (N, 3, H, W) tensor in [0, 1].
        size: (H, W) to resize to (see :func:`fit_square`); None keeps the size. A tensor
            of another size is refused rather than silently resized.
        fit: aspect policy for non-tensor inputs.

    Raises:
        ImageError: not an image, unreadable, wrong shape or values out of range.
    """
    if isinstance(image, torch.Tensor):
        x = image.unsqueeze(0) if image.dim() == 3 else image
        if x.dim() != 4 or x.shape[1] != 3:
            raise ImageError(f"expected a (N, 3, H, W) tensor, got shape {tuple(image.shape)}")
        if x.numel() == 0:
            raise ImageError("empty image batch")
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise ImageError("tensor images must be finite and in [0, 1]")
        if size is not None and tuple(x.shape[-2:]) != tuple(size):
            raise ImageError(f"image is {tuple(x.shape[-2:])}, the model takes {tuple(size)}; resize it first "
                             f"(synth.imageio.fit_square) or pass PIL images")
        return x.float()
    if isinstance(image, (list, tuple)):
        if not image:
            raise ImageError("empty image list")
        return torch.cat([to_tensor(im, size, fit) for im in image])
    if isinstance(image, np.ndarray):
        arr = image
        if arr.dtype == np.uint16:
            arr = arr.astype(np.float32) / 65535
        elif arr.dtype == np.uint8:
            arr = arr.astype(np.float32) / 255
        arr = arr.astype(np.float32)
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.size == 0:
            raise ImageError(f"expected an (H, W, 3) array, got shape {image.shape}")
        if arr.shape[2] == 4:  # composite on white
            arr = arr[..., :3] * arr[..., 3:] + (1 - arr[..., 3:])
        elif arr.shape[2] == 1:
            arr = np.repeat(arr, 3, axis=2)
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise ImageError("float arrays must be finite and in [0, 1]")
    else:
        try:
            img = image if isinstance(image, Image.Image) else Image.open(image)
            if img.width * img.height > MAX_PIXELS:  # checked on the header, before decoding
                raise ImageError(f"image too large ({img.width}x{img.height} pixels; at most {MAX_PIXELS:,})")
            img.load()
        except (OSError, ValueError, TypeError, SyntaxError, Image.DecompressionBombError) as err:
            if isinstance(err, ImageError):
                raise
            raise ImageError(f"not a readable image: {err}") from None
        arr = _pil_to_array(img)
    x = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0)
    return fit_square(x, size, fit) if size is not None else x


def to_pil(x: torch.Tensor) -> list[Image.Image]:
    """(N, 3, H, W) or (3, H, W) in [0, 1] -> list of RGB PIL images."""
    x = x.unsqueeze(0) if x.dim() == 3 else x
    arr = (x.detach().float().clamp(0, 1).cpu().permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    return [Image.fromarray(a) for a in arr]


def to_mask(mask, size: tuple[int, int], threshold: float = 0.5) -> torch.Tensor:
    """A mask (PIL / array / tensor; white or non-zero alpha = 1) -> (N, 1, H, W) float in {0, 1}."""
    if isinstance(mask, torch.Tensor):
        m = mask.float()
        m = m.view(1, 1, *m.shape) if m.dim() == 2 else (m.unsqueeze(0) if m.dim() == 3 else m)
        if m.shape[1] != 1:
            m = m.amax(1, keepdim=True)
    else:
        if isinstance(mask, Image.Image) and mask.mode in ("RGBA", "LA"):
            mask = mask.getchannel("A")
        arr = np.asarray(mask.convert("L") if isinstance(mask, Image.Image) else mask, dtype=np.float32)
        if arr.ndim == 3:
            arr = arr.max(axis=2)
        arr = arr / (255.0 if arr.max() > 1 else 1.0)
        m = torch.from_numpy(arr).view(1, 1, *arr.shape)
    if tuple(m.shape[-2:]) != tuple(size):
        m = F.interpolate(m, size=size, mode="nearest")
    return (m > threshold).float()
