"""Inpaint tab: fill a drawn region (Santurkar et al. 2019, §3.2, eq. 3)."""
from __future__ import annotations

import gradio as gr
import torch

from ..tasks import inpaint
from .inputs import FIT_NOTE, PREDICTED, MaskEditor, check_steps, editor_input, optional_label
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, pil
from .widgets import (settings, BRUSH, change_panel, class_dropdown, compare_box, example_sets_class, follow_model,
                      model_dropdown, pgd_controls, preset_values, primary_button, result_panel)

FIELDS = ("eps", "steps", "step_size", "lam")


TITLE = "Inpaint"
BUTTON = "Inpaint"  # its primary button


def build(store, examples=()):
    cfg = preset_values("inpaint", store.get(store.default))
    gr.Markdown("**Fill in a missing part of a photo.** Paint over a region (white brush) and press *Inpaint*: the region "
                "is filled smoothly from its border, then the robust model draws into it what it expects of the class; "
                "compare with the standard model, which only sprinkles colour noise over it. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(type="filepath", label="image + mask (draw the region to fill)", image_mode="RGB",
                                brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=BRUSH), height=DISPLAY + 64,
                                sources=["upload", "clipboard"], layers=False, transforms=(), elem_id="inpaint-editor",
                                value=examples.editor_value(0, show_mask=True) if examples else None)
            if examples:
                shown = gr.Examples([[examples.editor_value(i, show_mask=True)] for i in range(len(examples))], [editor],
                                    label="examples (a region is drawn; paint over it or erase it)")
            model = model_dropdown(store)
            # an example comes with its class (the papers fill in the true class); an upload's class is predicted
            label = class_dropdown(store, with_predict=True,
                                   value=store.get(store.default).classes[examples.labels[0]] if examples else None)
            if examples:  # an example's click or upload sets its class; any other upload's is left to the model
                example_sets_class(store, shown, examples, model, label, upload=editor)
            with settings("The region first gets a smooth fill from its border (*harmonic*) or, as in the paper, the "
                          "image's mean colour (*mean*). Then small steps (projected gradient descent) raise the model's "
                          "score for the class, moving only the region or, as in the paper, the whole image with a "
                          "penalty (*lambda*) that keeps the rest. A large *eps* (the default) lets the model draw the "
                          "class into the region; a small one (0.5) keeps the smooth fill, a restoration."):
                with gr.Row():
                    fill = gr.Radio(["harmonic", "mean"], value=cfg.fill, label="start: fill the region with")
                    masked = gr.Checkbox(value=cfg.masked, label="only the region moves")
                controls = pgd_controls(cfg, FIELDS)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("inpaint", compare=compare, start="start (the region filled)")
            corrupted = panel.start
            change = change_panel()

    @friendly
    def run(value, model_name, label_name, fill_v, masked_v, eps, steps, step_size, lam, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        image, mask = editor_input(m0, value)
        y = optional_label(m0, label_name)
        if y is None:  # the class of the photo as given, before its region is filled (the filled start can mislead)
            y = int(m0.predict(image.to(m0.device)).argmax(1))
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size), lam=float(lam), fill=fill_v,
                       masked=bool(masked_v))

        def job(m):
            return Job(m, inpaint, {"image": image.to(m.device), "mask": mask.to(m.device),
                                    "label": torch.tensor([y], device=m.device)}, options)

        def finish(results):
            res = next(iter(results.values()))
            start = res.corrupted
            return {corrupted: pil(start), **panel.show(store, results), **change.show(start, res.x)}

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status, finish)

    c = controls
    go.click(on_gpu(run), [editor, model, label, fill, masked, c["eps"], c["steps"], c["step_size"], c["lam"], compare],
             [corrupted, panel.main, panel.twin, panel.probs, panel.plot, change.slider, change.diff, change.note,
              panel.twin_probs, panel.status], api_name="inpaint", concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "inpaint", model, controls, label, with_predict=True, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo, a square mask) through the API."""
    from .requests import Request
    cfg = preset_values("inpaint", store.get(store.default))
    return Request("inpaint", (uploads.editor(j), store.default, PREDICTED, cfg.fill, cfg.masked, cfg.eps, cfg.steps,
                               cfg.step_size, cfg.lam or 0.0, False),
                   at={"model": 1, "class": 2, "eps": 5, "steps": 6, "step_size": 7, "compare": 9}, result=1)
