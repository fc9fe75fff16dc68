"""Inpaint tab: fill a drawn region (Santurkar et al. 2019, §3.2, eq. 3)."""
from __future__ import annotations

import gradio as gr

from ..tasks import inpaint
from .common import (BF16, FIT_NOTE, MaskEditor, check_steps, class_dropdown, compare_box, editor_input, friendly, model_dropdown,
                    on_model_change, optional_label, outputs_of, pgd_sliders, pil, preset_values, probs_label, result_panel, run_pair,
                    shown_image)


def build(store, examples=()):
    cfg = preset_values("inpaint", store.get(store.default))
    gr.Markdown("Paint over the region to fill (white brush). The region is first filled (smoothly from its border, or with "
                "the image's mean colour as in the paper), then PGD maximises the class score, moving only the region or, as "
                "in the paper, the whole image with a penalty (lambda) that keeps the rest. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(type="filepath", label="image + mask (draw the region to fill)", image_mode="RGB",
                                    brush=gr.Brush(colors=["#ffffff"], color_mode="fixed"), height=320,
                                    sources=["upload", "clipboard"], layers=False, transforms=(), elem_id="inpaint-editor")
            if examples:
                gr.Examples([[{"background": e, "layers": [], "composite": e}] for e in examples], [editor],
                            label="examples (draw the mask after picking one)")
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
            out, twin_out, probs, plot = result_panel("inpaint")

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
        return pil(first.extras["corrupted"]), main, twin, probs_label(m0, first), frame

    go.click(run, [editor, model, label, fill, masked, eps, steps, step_size, lam, compare], [corrupted, out, twin_out, probs, plot],
             api_name="inpaint")
    model.change(on_model_change(store, "inpaint", with_predict=True, lam=True), model, [label, eps, steps, step_size, lam],
                 api_visibility="private")
