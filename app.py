"""synth demo: image synthesis with a single robust classifier (Gradio Blocks).

Runs as a Hugging Face Space (``app_file: app.py``) or locally: ``python app.py``.
Each registered task's tab lives in ``synth/app/tab_<task>.py``; models load on first use.
"""
from __future__ import annotations

import importlib
import os

import gradio as gr

from synth.app import gpu, runs
from synth.app.examples import example_images
from synth.app.store import ModelStore
from synth.app.views import serve_images_whole
from synth.app.widgets import DISPLAY_CSS, add_model_box
from synth.tasks import registered

INTRO = """# synth: images made by a classifier
**Start here:** press the button of the first tab (*Generate*). An image classifier trained to resist small,
invisible changes (a *robust* model) turns noise into pictures of a class, fills holes, turns horses into zebras and
sketches into images. Tick *compare with the standard model* in any tab to see an ordinary classifier try the same:
it is just as sure of the class, yet the image gains only a speckle of noise, not the class. Each tab says what to
look for; the technical knobs are under *settings*. (Santurkar et al., *Image Synthesis with a Single (Robust)
Classifier*, NeurIPS 2019.)"""


def tabs() -> list:
    """Each registered task's tab module (``synth/app/tab_<task>.py``: ``TITLE`` and ``build``), in the registry's
    order; a task without a tab module has no tab."""
    out = []
    for task in registered():
        try:
            out.append(importlib.import_module(f"synth.app.tab_{task.name}"))
        except ModuleNotFoundError as err:
            if err.name != f"synth.app.tab_{task.name}":
                raise
    return out


TABS = [(tab.TITLE, tab) for tab in tabs()]


def build_demo(store: ModelStore | None = None) -> gr.Blocks:
    """Assemble the tabs around one model store (tests pass a store with a stub model)."""
    store = store or ModelStore()
    serve_images_whole()
    if store.default is None:
        with gr.Blocks(title="synth") as demo:
            gr.Markdown(INTRO + "\n\n**No bundled model found in assets/models.** Train one with "
                        "`python -m synth.train --name cifar10-l2 --eps 0.5` (see README).")
        return demo
    examples = example_images(store)
    with gr.Blocks(title="synth: image synthesis with a robust classifier") as demo:
        gr.Markdown(INTRO)
        for title, tab in TABS:
            with gr.Tab(title):
                tab.build(store, examples)
        with gr.Accordion("Bring your own model", open=False):
            add_model_box(store)
    return demo


# One request at a time for events that cannot merge (model switches, interpolation); the task buttons set their own
# limit (synth.app.runs.MERGE_LIMIT) so that concurrent requests reach the micro-batcher together.
QUEUE = dict(default_concurrency_limit=1, max_size=64)


def main():
    if gpu.device() == "cpu":
        runs.dedicate_compute_thread()  # before any torch work: PGD owns the cores, the rest computes single-threaded
    store = ModelStore()
    if gpu.zero_gpu():
        store.preload()  # ZeroGPU: models go to CUDA at start-up, outside the GPU-decorated callbacks
    demo = build_demo(store)
    demo.queue(**QUEUE)
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), css=DISPLAY_CSS, max_file_size="20mb")


if __name__ == "__main__":
    main()
