"""Colorize tab: a greyscale photo gets the colours the robust model finds right for its class (``synth.colorize``:
PGD from the grey image on the colours of the same brightness)."""
from __future__ import annotations

import gradio as gr
import torch

from ..tasks import colorize
from .gpu import on_gpu
from .inputs import FIT_NOTE, PREDICTED, ImageUpload, check_steps, image_input, optional_label
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, pil
from .widgets import (change_panel, class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values,
                      primary_button, result_panel, settings)

TITLE = "Colorize"
BUTTON = "Colorize"  # its primary button


def build(store, examples=()):
    cfg = preset_values("colorize", store.get(store.default))
    gr.Markdown("**Give a black-and-white photo colours.** Your photo is made grey, and the robust model paints onto it "
                "the colours it connects with the class, without changing how light or dark any pixel is. They are the "
                "model's idea of the class, often loud rather than lifelike; compare with the standard model, which is "
                "just as sure of the class but adds far less colour. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            image = ImageUpload(type="filepath", label="photo (colour photos are made grey first)", height=DISPLAY,
                                sources=["upload", "clipboard"], value=examples[0] if examples else None)
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            with settings("Small steps (projected gradient descent) raise the model's score for the class, moving only "
                          "along colours of the same brightness, never further than *eps* from the grey photo: a larger "
                          "*eps* allows stronger colours."):
                controls = pgd_controls(cfg)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("colorize", compare=compare, start="the grey photo (the start)")
            grey_img = panel.start
            change = change_panel()

    @friendly
    def run(path, model_name, label_name, eps, steps, step_size, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        x, y = image_input(m0, path), optional_label(m0, label_name)
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size))

        def job(m):
            return Job(m, colorize, {"image": x.to(m.device), "label": None if y is None else torch.tensor([y], device=m.device)},
                       options)

        def finish(results):
            first = next(iter(results.values()))
            return {grey_img: pil(first.grey), **panel.show(store, results), **change.show(first.grey, first.x)}

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status, finish)

    go.click(on_gpu(run), [image, model, label, *controls.values(), compare],
             [grey_img, panel.main, panel.twin, panel.probs, panel.plot, change.slider, change.diff, change.note,
              panel.twin_probs, panel.status], api_name="colorize", concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "colorize", model, controls, label, with_predict=True, compare=compare)



def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo, the predicted class) through the API."""
    from .requests import Request
    cfg = preset_values("colorize", store.get(store.default))
    return Request("colorize", (uploads.image(j), store.default, PREDICTED, cfg.eps, cfg.steps, cfg.step_size, False),
                   at={"model": 1, "class": 2, "eps": 3, "steps": 4, "step_size": 5, "compare": 6}, result=1)
