"""Sketch-to-image tab (§3.5, Fig. 7)."""
from __future__ import annotations

import gradio as gr

from ..tasks import sketch_to_image
from .examples import DISPLAY
from .common import (BF16, BRUSH, check_steps, class_dropdown, class_index, compare_box, friendly, model_dropdown, need_image,
                     on_model_change, outputs_of, pgd_sliders, pil, preset_values, probs_label, result_panel, run_pair,
                     shown_image, SketchInput, twin_probs_value)


def build(store, examples=()):
    cfg = preset_values("sketch_to_image", store.get(store.default))
    gr.Markdown("Draw something, choose what it should become. The drawing is scaled to the model's input size "
                "(padded with white so nothing is cut off), then targeted PGD adds the class's features.")
    with gr.Row():
        with gr.Column():
            pad = SketchInput(type="filepath", label="sketch", image_mode="RGB", height=320,
                               brush=gr.Brush(colors=["#000000", "#7f4f24", "#2d6a4f", "#1d3557", "#e63946"],
                                              color_mode="defaults", default_size=BRUSH), canvas_size=(DISPLAY, DISPLAY),
                               value=examples.sketch_value(0) if examples else None)
            if examples:
                gr.Examples([[examples.sketch_value(i)] for i in range(len(examples))], [pad],
                            label="sketches (edge drawings of the example images)")
            model = model_dropdown(store)
            label = class_dropdown(store)
            if examples:
                label.value = store.get(store.default).classes[examples.labels[0]]
            eps, steps, step_size = pgd_sliders(cfg)
            compare = compare_box()
            go = gr.Button("Turn into an image", variant="primary")
        with gr.Column():
            sketch_small = shown_image("sketch at the model's size")
            out, twin_out, probs, plot, twin_probs = result_panel("sketch")

    @friendly
    def run(value, model_name, label_name, eps_v, steps_v, step_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        path = need_image((value or {}).get("composite") if isinstance(value, dict) else value, "a sketch")
        y = class_index(m0, label_name)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: sketch_to_image(m, path, y, callback=cb, bf16=BF16, eps=eps_v, steps=n_steps,
                                                         step_size=step_v), n_steps, progress)
        main, twin, frame = outputs_of(results)
        first = next(iter(results.values()))
        return pil(first.extras["sketch"]), main, twin, probs_label(m0, first), frame, twin_probs_value(store, results)

    go.click(run, [pad, model, label, eps, steps, step_size, compare], [sketch_small, out, twin_out, probs, plot, twin_probs],
             api_name="sketch_to_image")
    model.change(on_model_change(store, "sketch_to_image"), model, [label, eps, steps, step_size], api_visibility="private")
