"""Translate tab: move an image toward another class (§3.3; Duke's naive translation)."""
from __future__ import annotations

import gradio as gr
import torch

from ..tasks import translate
from .inputs import FIT_NOTE, ImageUpload, check_steps, class_index, image_input
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY
from .widgets import (class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values, primary_button,
                      result_panel, settings)


TITLE = "Translate"
BUTTON = "Translate"  # its primary button


def build(store, examples=()):
    cfg = preset_values("translate", store.get(store.default))
    gr.Markdown("**Turn a photo into another class** (a horse into a deer, a cat into a dog; a horse into a zebra with "
                "the horse2zebra model). Choose the target and press *Translate*: the robust model redraws the photo, "
                "keeping its layout. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            first = min(3, len(examples) - 1)  # CIFAR-10: a cat, translated to a dog by default
            image = ImageUpload(type="filepath", label="source image", height=DISPLAY, sources=["upload", "clipboard"],
                                value=examples[first] if examples else None)
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            classes = store.get(store.default).classes
            target = class_dropdown(store, label="target class",
                                    value=classes[(examples.labels[first] + 2) % len(classes)] if examples else None)
            with settings("Small steps (projected gradient descent) raise the model's score for the target class, "
                          "never moving the image further than *eps* from your photo."):
                controls = pgd_controls(cfg)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("translate", compare=compare)

    @friendly
    def run(path, model_name, target_name, eps, steps, step_size, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        x, y = image_input(m0, path), class_index(m0, target_name)
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size))

        def job(m):
            return Job(m, translate, {"image": x.to(m.device), "target": torch.tensor([y], device=m.device)}, options)

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status,
                          lambda results: panel.show(store, results))

    go.click(on_gpu(run), [image, model, target, *controls.values(), compare],
             [panel.main, panel.twin, panel.probs, panel.plot, panel.twin_probs, panel.status], api_name="translate",
             concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "translate", model, controls, target, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo and target class) through the API."""
    from .requests import Request
    m = store.get(store.default)
    cfg = preset_values("translate", m)
    return Request("translate", (uploads.image(j), store.default, m.classes[j % len(m.classes)], cfg.eps, cfg.steps,
                                 cfg.step_size, False),
                   at={"model": 1, "class": 2, "eps": 3, "steps": 4, "step_size": 5, "compare": 6}, result=0)
