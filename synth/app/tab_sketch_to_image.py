"""Sketch-to-image tab (§3.5, Fig. 7)."""
from __future__ import annotations

import gradio as gr
import torch

from ..imageio import to_tensor
from ..tasks import sketch_to_image
from .inputs import SketchInput, check_steps, class_index, decoded, need_image
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, pil
from .widgets import (BRUSH, class_dropdown, compare_box, example_sets_class, follow_model, model_dropdown, pgd_controls,
                      preset_values, primary_button, result_panel, settings)


TITLE = "Sketch-to-image"
BUTTON = "Turn into an image"  # its primary button


def build(store, examples=()):
    cfg = preset_values("sketch_to_image", store.get(store.default))
    gr.Markdown("**Turn a drawing into an image.** Draw something, choose what it should become and press the button: "
                "the robust model adds the class's shapes and textures to your drawing.")
    with gr.Row():
        with gr.Column():
            pad = SketchInput(type="filepath", label="sketch", image_mode="RGB", height=DISPLAY + 64,
                              brush=gr.Brush(colors=["#000000", "#7f4f24", "#2d6a4f", "#1d3557", "#e63946"],
                                             color_mode="defaults", default_size=BRUSH), canvas_size=(DISPLAY, DISPLAY),
                              value=examples.sketch_value(0) if examples else None)
            if examples:
                shown = gr.Examples([[examples.sketch_value(i)] for i in range(len(examples))], [pad],
                                    label="sketches (edge drawings of the example images)")
            model = model_dropdown(store)
            label = class_dropdown(store, value=store.get(store.default).classes[examples.labels[0]] if examples else None)
            if examples:  # each sketch comes with the class of the photo it was drawn from
                example_sets_class(store, shown, examples, model, label)
            with settings("The drawing is scaled to the model's input size (padded with white so nothing is cut off); "
                          "small steps (projected gradient descent) then raise the model's score for the class, never "
                          "moving further than *eps* from the drawing."):
                controls = pgd_controls(cfg)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("sketch_to_image", compare=compare, start="sketch at the model's size")
            sketch_small = panel.start

    @friendly
    def run(value, model_name, label_name, eps, steps, step_size, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        path = need_image((value or {}).get("composite") if isinstance(value, dict) else value, "a sketch")
        sketch = to_tensor(decoded(path), m0.input_size, "pad")
        y = class_index(m0, label_name)
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size))

        def job(m):
            return Job(m, sketch_to_image, {"sketch": sketch.to(m.device), "label": torch.tensor([y], device=m.device)}, options)

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status,
                          lambda results: {sketch_small: pil(sketch), **panel.show(store, results)})

    go.click(on_gpu(run), [pad, model, label, *controls.values(), compare],
             [sketch_small, panel.main, panel.twin, panel.probs, panel.plot, panel.twin_probs, panel.status], api_name="sketch_to_image",
             concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "sketch_to_image", model, controls, label, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its photo as the drawing, its own class) through the API."""
    from .requests import Request
    m = store.get(store.default)
    cfg = preset_values("sketch_to_image", m)
    return Request("sketch_to_image", ({"background": None, "layers": [], "composite": uploads.image(j)}, store.default,
                                       m.classes[j % len(m.classes)], cfg.eps, cfg.steps, cfg.step_size, False),
                   at={"model": 1, "class": 2, "eps": 3, "steps": 4, "step_size": 5, "compare": 6}, result=1)
