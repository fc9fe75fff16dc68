"""Shared by the app benches (``app_latency``, ``soak``): a free port and the files each visitor uploads."""
from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
from PIL import Image

from synth.app.requests import Uploads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visitor_uploads(folder: Path, visitors: int, shared: bool = False) -> Uploads:
    """Uploads for ``visitors`` clients, written to ``folder``: 64x64 noise photos, a second photo and a square mask.
    Each visitor sends a photo of its own, or with ``shared`` all send the same file (identical uploads at the same
    moment: Gradio caches uploads by content, so they land on one cache path)."""
    from gradio_client import handle_file
    rng = np.random.default_rng(0)
    noise = lambda: Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))  # noqa: E731
    noise().save(folder / "shared.png")
    noise().save(folder / "second.png")
    for j in range(visitors):
        noise().save(folder / f"visitor{j}.png")
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    mask.paste((255, 255, 255, 255), (20, 20, 40, 40))
    mask.save(folder / "mask.png")
    image = lambda j: handle_file(str(folder / ("shared.png" if shared else f"visitor{j}.png")))  # noqa: E731
    editor = lambda j: {"background": image(j), "layers": [handle_file(str(folder / "mask.png"))], "composite": None}  # noqa: E731
    return Uploads(image=image, second=handle_file(str(folder / "second.png")), editor=editor)
