"""Boost tab: BIGRoC (Alg. 2) on a generator's sample or an uploaded image."""
from __future__ import annotations

import gradio as gr
import torch

from ..imageio import fit_square
from ..tasks import boost
from .common import (BF16, FIT_NOTE, cap_slider, change_outputs, change_panel, check_steps, class_dropdown, compare_box, friendly,
                     image_input, ImageUpload, model_dropdown, on_model_change, optional_label, outputs_of, pgd_sliders, pil,
                     preset_values, probs_label, result_panel, run_pair, seed_box, shown_image, twin_probs_value)

SOURCES = ("sample the bundled VAE (cifar10-cvae)", "my image")


def build(store, examples=()):
    cfg = preset_values("boost", store.get(store.default))
    gr.Markdown("BIGRoC: a few targeted PGD steps (step eps/T) inside a small ball make a generator's image more "
                "like its class. Boost a sample of the bundled conditional VAE, or any image. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            source = gr.Radio(list(SOURCES), value=SOURCES[0], label="image to boost")
            image = ImageUpload(type="filepath", label="your image (when 'my image')", height=200, sources=["upload", "clipboard"])
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            eps, steps, _ = pgd_sliders(cfg)
            cap = cap_slider(cfg)
            seed = seed_box()
            compare = compare_box()
            go = gr.Button("Boost", variant="primary")
        with gr.Column():
            before = shown_image("before", 200)
            out, twin_out, probs, plot, twin_probs = result_panel("boost", "classifier's probabilities after boosting")
            change = change_panel()
            probs_before = gr.Label(label="classifier's probabilities before boosting (robust model)", num_top_classes=5)

    @friendly
    def run(source_v, path, model_name, label_name, eps_v, steps_v, seed_v, compare_v, cap_v=None, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        y = optional_label(m0, label_name)
        if source_v == SOURCES[0]:
            from ..generators import load_generator
            if m0.dataset != "cifar10":
                raise gr.Error("The bundled VAE makes 32x32 CIFAR-10 images; choose a CIFAR-10 model or upload an image.")
            if y is None:  # no class chosen: the seed picks one, so the first click works
                y = int(seed_v or 0) % len(m0.classes)
            x = load_generator("cifar10-cvae").sample(torch.tensor([y]), torch.Generator().manual_seed(int(seed_v or 0)))
            x = fit_square(x, m0.input_size)  # 32 px; a CIFAR-10 model of another input size gets it resized
        else:
            x = image_input(m0, path).cpu()
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: boost(m, x.to(m.device), y, callback=cb, bf16=BF16, eps=eps_v, steps=n_steps, max_prob=cap_v),
                           n_steps, progress)
        main, twin, frame = outputs_of(results)
        first = next(iter(results.values()))
        before_label = probs_label(m0, probs=m0.predict(x.to(m0.device))[0])
        return (pil(x), main, twin, probs_label(m0, first), frame, *change_outputs(x, first.x), twin_probs_value(store, results),
                before_label)

    # an uploaded or example image is what the visitor wants boosted
    image.change(lambda path: gr.update(value=SOURCES[1]) if path else gr.update(), image, source, api_visibility="private")
    # the cap comes last so that API callers written before it existed keep working
    go.click(run, [source, image, model, label, eps, steps, seed, compare, cap],
             [before, out, twin_out, probs, plot, *change, twin_probs, probs_before],
             api_name="boost")
    update = on_model_change(store, "boost", with_predict=True, cap=True)  # label, eps, steps, step size, cap: no step-size slider here
    model.change(friendly(lambda name: [u for i, u in enumerate(update(name)) if i != 3]), model, [label, eps, steps, cap],
                 api_visibility="private")
