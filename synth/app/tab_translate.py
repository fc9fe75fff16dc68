"""Translate tab: move an image toward another class (§3.3; Duke's naive translation)."""
from __future__ import annotations

import gradio as gr

from ..tasks import translate
from .common import (BF16, FIT_NOTE, check_steps, class_dropdown, class_index, compare_box, friendly, image_input, ImageUpload,
                     model_dropdown, on_model_change, outputs_of, pgd_sliders, preset_values, probs_label, result_panel, run_pair,
                     twin_probs_value)


def build(store, examples=()):
    cfg = preset_values("translate", store.get(store.default))
    gr.Markdown("Targeted PGD from your image toward the target class. With a two-domain model (horse2zebra) this is "
                "the paper's translation; with a multi-class model any class is a target. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            first = min(3, len(examples) - 1)  # CIFAR-10: a cat, translated to a dog by default
            image = ImageUpload(type="filepath", label="source image", height=256, sources=["upload", "clipboard"],
                                value=examples[first] if examples else None)
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            target = class_dropdown(store, label="target class")
            if examples:
                classes = store.get(store.default).classes
                target.value = classes[(examples.labels[first] + 2) % len(classes)]
            eps, steps, step_size = pgd_sliders(cfg)
            compare = compare_box()
            go = gr.Button("Translate", variant="primary")
        with gr.Column():
            out, twin_out, probs, plot, twin_probs = result_panel("translate")

    @friendly
    def run(path, model_name, target_name, eps_v, steps_v, step_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        x = image_input(m0, path)
        y = class_index(m0, target_name)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: translate(m, x.to(m.device), y, callback=cb, bf16=BF16, eps=eps_v, steps=n_steps,
                                                   step_size=step_v), n_steps, progress)
        main, twin, frame = outputs_of(results)
        return main, twin, probs_label(m0, next(iter(results.values()))), frame, twin_probs_value(store, results)

    go.click(run, [image, model, target, eps, steps, step_size, compare], [out, twin_out, probs, plot, twin_probs], api_name="translate")
    model.change(on_model_change(store, "translate"), model, [target, eps, steps, step_size], api_visibility="private")
