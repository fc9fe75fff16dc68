"""Latency of every tab's default request through the API (gradio_client), on the bundled
models, with the app launched in-process on a free port. Median of 3 after a warm-up.

    python -m bench.app_latency
"""
from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench._report import report

from app import build_demo
from synth import presets
from synth.app.store import ModelStore
from synth.app.widgets import DISPLAY_CSS


def main():
    from gradio_client import Client, handle_file
    store = ModelStore(published=False)
    demo = build_demo(store)
    demo.queue(default_concurrency_limit=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=DISPLAY_CSS, quiet=True)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    model = store.get(store.default)
    tmp = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp / "img.png")
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    mask.paste((255, 255, 255, 255), (20, 20, 40, 40))
    mask.save(tmp / "mask.png")
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp / "img2.png")
    img, img2 = handle_file(str(tmp / "img.png")), handle_file(str(tmp / "img2.png"))
    editor = {"background": img, "layers": [handle_file(str(tmp / "mask.png"))], "composite": None}

    def p(task):
        return presets.resolve(presets.default_for(task, model))
    g, i, t, s_, k, f, b = (p(x) for x in ("generate", "inpaint", "translate", "super_resolve", "sketch_to_image", "paint_features",
                                           "boost"))
    cls = model.classes[3]
    calls = {
        "generate": (store.default, cls, "multivariate", g.eps, g.steps, g.step_size, 0, False),
        "inpaint": (editor, store.default, "(predicted by the model)", i.fill, i.masked, i.eps, i.steps, i.step_size, i.lam or 0.0, False),
        "translate": (img, store.default, cls, t.eps, t.steps, t.step_size, False),
        "super_resolve": (img, store.default, "(predicted by the model)", s_.factor, s_.upsample, s_.consistent, False, s_.eps, s_.steps,
                          s_.step_size, False),
        "sketch_to_image": ({"background": None, "layers": [], "composite": img}, store.default, cls, k.eps, k.steps, k.step_size, False),
        "paint_features": (editor, store.default, 3, f.eps, f.steps, f.step_size, f.lam, False),
        "boost": ("sample the bundled VAE (cifar10-cvae)", None, store.default, cls, b.eps, b.steps, 0, False),
        "interpolate": (img, img2, store.default, 6, 20, False),
    }
    rows, out = [], {}
    for name, args in calls.items():
        times = {}
        for compare in (False, True):
            a = list(args)
            a[-1] = compare
            client.predict(*a, api_name=f"/{name}")
            samples = []
            for _ in range(3):
                t0 = time.perf_counter()
                client.predict(*a, api_name=f"/{name}")
                samples.append(time.perf_counter() - t0)
            times[compare] = statistics.median(samples)
        out[name] = {"seconds": times[False], "seconds_with_compare": times[True]}
        rows.append(f"| {name} | {times[False]:.2f} s | {times[True]:.2f} s |")
    demo.close()
    md = (f"Latency of each tab's default request on `{store.default}` (median of 3, API client on the same machine):\n\n"
          "| tab | default request | with *compare with the standard model* |\n|---|---:|---:|\n" + "\n".join(rows))
    report("app_latency", {"model": store.default, "results": out}, md)


if __name__ == "__main__":
    main()
