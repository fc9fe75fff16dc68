"""Feature painting tab (§3.5, eq. 5, Fig. 8)."""
from __future__ import annotations

import gradio as gr
import torch

from ..tasks import paint_features
from .inputs import FIT_NOTE, MaskEditor, check_steps, editor_input, optional_label
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, ROLES
from .widgets import (settings, BRUSH, class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values,
                      primary_button, result_panel)

FIELDS = ("eps", "steps", "step_size", "lam")


TITLE = "Feature painting"
BUTTON = "Paint"  # its primary button


def build(store, examples=()):
    model0 = store.get(store.default)
    cfg = preset_values("paint_features", model0)
    with torch.no_grad():
        dim = model0.representation(torch.zeros(1, 3, *model0.input_size)).shape[1]
    gr.Markdown("**Paint a feature into part of an image.** Paint where it should appear, choose a class and press "
                "*Paint*: the robust model makes the feature it most connects with that class (a wheel, fur, a wing...) "
                "appear there and keeps the rest; the standard model raises its feature with noise that draws nothing. "
                + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(type="filepath", label="image + mask (paint where the feature goes)", image_mode="RGB",
                                brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=BRUSH), height=DISPLAY + 64,
                                sources=["upload", "clipboard"], layers=False, transforms=(),
                                value=examples.editor_value(0, examples.paint_mask) if examples else None)
            if examples:
                gr.Examples([[examples.editor_value(i, examples.paint_mask)] for i in range(len(examples))], [editor])
            model = model_dropdown(store)
            classes = model0.classes
            label = class_dropdown(store, with_predict=True, label="paint the feature of class",
                                   value=classes[(examples.labels[0] + 1) % len(classes)] if examples else None)
            with settings("A *feature* is one of the numbers the model computes just before deciding the class; "
                          "the feature of a class is the one its last layer weighs most for that "
                          "class. Small steps (projected gradient descent) raise it while a penalty (*lambda*) keeps the "
                          "image outside your painted region."):
                by_number = gr.Checkbox(value=False, label="paint the feature number below instead")
                feature = gr.Slider(0, dim - 1, value=0, step=1, label=f"feature number f (0..{dim - 1})")
                controls = pgd_controls(cfg, FIELDS)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("paint_features", probs_title=None, compare=compare)
            activation = gr.Markdown()

    @friendly
    def run(value, model_name, label_name, number, f, eps, steps, step_size, lam, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        image, mask = editor_input(m0, value)
        y = None if number else optional_label(m0, label_name)
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size), lam=float(lam))

        def job(m):  # the feature (or the class whose strongest unit each model paints) is an input, one per image,
            # so visitors painting different features still merge
            return Job(m, paint_features, {"image": image.to(m.device), "mask": mask.to(m.device),
                                           "feature": torch.tensor([int(f)], device=m.device) if number else None,
                                           "label": None if number or y is None else torch.tensor([y], device=m.device)},
                       options)

        def finish(results):
            text = "\n".join(f"- {role} model (`{n}`): feature {int(r.feature[0])} went from {float(r.activation[0, 0]):.3f} "
                             f"to {float(r.activation[1, 0]):.3f}" for role, (n, r) in zip(ROLES, results.items()))
            return {activation: text, **panel.show(store, results)}

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status, finish)

    go.click(on_gpu(run), [editor, model, label, by_number, feature, *controls.values(), compare],
             [panel.main, panel.twin, activation, panel.plot, panel.status],
             api_name="paint_features", concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "paint_features", model, controls, label, with_predict=True, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo, the feature of class j) through the API."""
    from .requests import Request
    model = store.get(store.default)
    cfg = preset_values("paint_features", model)
    return Request("paint_features", (uploads.editor(j), store.default, model.classes[j % len(model.classes)], False, 0,
                                      cfg.eps, cfg.steps, cfg.step_size, cfg.lam or 0.0, False),
                   at={"model": 1, "class": 2, "by_number": 3, "feature": 4, "eps": 5, "steps": 6, "step_size": 7,
                       "compare": 9}, result=0)
