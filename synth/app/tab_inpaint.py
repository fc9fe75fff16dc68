"""Inpaint tab: fill a drawn region (Santurkar et al. 2019, §3.2, eq. 3)."""
from __future__ import annotations

import gradio as gr

from ..tasks import inpaint
from .examples import DISPLAY
from .common import (BF16, BRUSH, FIT_NOTE, change_outputs, change_panel, check_steps, class_dropdown, compare_box, editor_input,
                     friendly, MaskEditor, model_dropdown, on_model_change, optional_label, outputs_of, pgd_sliders, pil,
                     preset_values, probs_label, result_panel, run_pair, shown_image, twin_probs_value)


def build(store, examples=()):
    cfg = preset_values("inpaint", store.get(store.default))
    gr.Markdown("Paint over the region to fill (white brush). The region is first filled (smoothly from its border, or with "
                "the image's mean colour as in the paper), then PGD maximises the class score, moving only the region or, as "
                "in the paper, the whole image with a penalty (lambda) that keeps the rest. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(type="filepath", label="image + mask (draw the region to fill)", image_mode="RGB",
                                    brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=BRUSH), height=DISPLAY + 64,
                                    sources=["upload", "clipboard"], layers=False, transforms=(), elem_id="inpaint-editor",
                                    value=examples.editor_value(0) if examples else None)
            if examples:
                gr.Examples([[examples.editor_value(i)] for i in range(len(examples))], [editor],
                            label="examples (a region is drawn; paint over it or erase it)")
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            with gr.Row():
                fill = gr.Radio(["harmonic", "mean"], value=cfg.fill, label="start: fill the region with")
                masked = gr.Checkbox(value=cfg.masked, label="only the region moves")
            eps, steps, step_size, lam = pgd_sliders(cfg, lam=True)
            compare = compare_box()
            go = gr.Button("Inpaint", variant="primary")
        with gr.Column():
            corrupted = shown_image("start (the region filled)")
            out, twin_out, probs, plot, twin_probs = result_panel("inpaint")
            change = change_panel()

    @friendly
    def run(value, model_name, label_name, fill_v, masked_v, eps_v, steps_v, step_v, lam_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        image, mask = editor_input(m0, value)
        y = optional_label(m0, label_name)

        def one(m, cb):
            return inpaint(m, image.to(m.device), mask.to(m.device), label=y, callback=cb, bf16=BF16, eps=eps_v, steps=n_steps,
                           step_size=step_v, lam=lam_v, fill=fill_v, masked=bool(masked_v))

        results = run_pair(store, model_name, compare_v, one, n_steps, progress)
        main, twin, frame = outputs_of(results)
        first = next(iter(results.values()))
        start = first.extras["corrupted"]
        return pil(start), main, twin, probs_label(m0, first), frame, *change_outputs(start, first.x), twin_probs_value(store, results)

    go.click(run, [editor, model, label, fill, masked, eps, steps, step_size, lam, compare],
             [corrupted, out, twin_out, probs, plot, *change, twin_probs],
             api_name="inpaint")
    model.change(on_model_change(store, "inpaint", with_predict=True, lam=True), model, [label, eps, steps, step_size, lam],
                 api_visibility="private")
