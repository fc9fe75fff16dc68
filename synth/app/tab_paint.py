"""Feature painting tab (§3.5, eq. 5, Fig. 8)."""
from __future__ import annotations

import gradio as gr
import torch

from ..tasks import paint_features
from .examples import DISPLAY
from .common import (BF16, BRUSH, FIT_NOTE, check_steps, compare_box, editor_input, friendly, loss_plot, MaskEditor,
                     model_dropdown, on_model_change, outputs_of, pgd_sliders, preset_values, result_images, run_pair)


def build(store, examples=()):
    model0 = store.get(store.default)
    cfg = preset_values("paint_features", model0)
    with torch.no_grad():
        dim = model0.representation(torch.zeros(1, 3, *model0.input_size)).shape[1]
    gr.Markdown("Paint where a feature should appear; PGD raises one component of the penultimate representation "
                "R(x) while a penalty keeps the rest of the image. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(type="filepath", label="image + mask (paint where the feature goes)", image_mode="RGB",
                                    brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=BRUSH), height=DISPLAY + 64,
                                    sources=["upload", "clipboard"], layers=False, transforms=(),
                                    value=examples.editor_value(0, examples.paint_mask) if examples else None)
            if examples:
                gr.Examples([[examples.editor_value(i, examples.paint_mask)] for i in range(len(examples))], [editor])
            model = model_dropdown(store)
            feature = gr.Slider(0, dim - 1, value=0, step=1, label=f"feature index f (0..{dim - 1})")
            eps, steps, step_size, lam = pgd_sliders(cfg, lam=True)
            compare = compare_box()
            go = gr.Button("Paint", variant="primary")
        with gr.Column():
            out, twin_out = result_images("paint")
            activation = gr.Markdown()
            plot = loss_plot()

    @friendly
    def run(value, model_name, f, eps_v, steps_v, step_v, lam_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        image, mask = editor_input(m0, value)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: paint_features(m, image.to(m.device), mask.to(m.device), int(f), callback=cb, bf16=BF16,
                                                        eps=eps_v, steps=n_steps, step_size=step_v, lam=lam_v),
                           n_steps, progress)
        main, twin, frame = outputs_of(results)
        text = "\n".join(f"- {n}: R(x)_{int(f)} {float(r.extras['activation'][0, 0]):.3f} -> {float(r.extras['activation'][1, 0]):.3f}"
                         for n, r in results.items())
        return main, twin, text, frame

    def on_change(name):
        updates = on_model_change(store, "paint_features", lam=True)(name)[1:]
        return updates

    go.click(run, [editor, model, feature, eps, steps, step_size, lam, compare], [out, twin_out, activation, plot],
             api_name="paint_features")
    model.change(friendly(on_change), model, [eps, steps, step_size, lam], api_visibility="private")
