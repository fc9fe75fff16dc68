"""Generate tab: class-conditional samples from seeds (Santurkar et al. 2019, §3.1)."""
from __future__ import annotations

import functools

import gradio as gr
import torch

from ..seeds import KINDS
from ..tasks import generate
from .common import (BF16, MAX_SAMPLES, cap_slider, check_steps, class_dropdown, class_index, compare_box, friendly, image_grid,
                     model_dropdown, on_model_change, outputs_of, pgd_sliders, pil, preset_values, probs_label, result_panel,
                     run_pair, seed_box, shown_image, twin_probs_value)


def seed_kind_preset(store, model_name, seed_kind):
    """Slider updates (eps, steps, step size, cap) to the seed kind's own preset (``synth.generate.cifar10_uniform`` ...):
    the model switch's updates without the class list, which a seed-kind change keeps."""
    return on_model_change(store, "generate", cap=True)(model_name, seed_kind)[1:]


def build(store, examples=()):
    cfg = preset_values("generate", store.get(store.default))  # the multivariate seeds' preset
    gr.Markdown("Draw a seed from the class's seed distribution and maximise the class's log-probability "
                "inside an L2 ball around it (targeted PGD on a robust classifier).")
    with gr.Row():
        with gr.Column():
            model = model_dropdown(store)
            label = class_dropdown(store)
            kind = gr.Radio(list(KINDS), value=cfg.seed_kind or "multivariate", label="seed distribution")
            eps, steps, step_size = pgd_sliders(cfg)
            cap = cap_slider(cfg, "; seeds far from the class (uniform, univariate) need it higher or off")
            count = gr.Slider(1, MAX_SAMPLES, value=4, step=1, label="samples (one batched PGD call)")
            seed = seed_box()
            compare = compare_box()
            go = gr.Button("Generate", variant="primary")
        with gr.Column():
            seed_img = shown_image("seed")
            out, twin_out, probs, plot, twin_probs = result_panel("generate")

    @friendly
    def run(model_name, label_name, seed_kind, eps_v, steps_v, step_v, seed_v, compare_v, cap_v=None, count_v=1,
            progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        y = class_index(store.get(model_name), label_name)
        n = int(count_v or 1)
        if not 1 <= n <= MAX_SAMPLES:
            raise gr.Error(f"samples must be between 1 and {MAX_SAMPLES} (got {n}).")
        first = {}

        def one(m, cb):
            gen = torch.Generator().manual_seed(int(seed_v or 0))
            seeds = first["seeds"] if "seeds" in first else seed_kind
            res = generate(m, [y] * n, seeds=seeds, generator=gen, callback=cb, bf16=BF16, eps=eps_v, steps=n_steps,
                           step_size=step_v, max_prob=cap_v)
            first.setdefault("seeds", res.extras["seeds"])  # the twin starts from the same seeds
            return res

        results = run_pair(store, model_name, compare_v, one, n_steps, progress)
        main, twin, frame = outputs_of(results, key=lambda r: image_grid(r.x))
        first_res = next(iter(results.values()))
        return (pil(image_grid(first_res.extras["seeds"])), main, twin, probs_label(store.get(model_name), first_res), frame,
                twin_probs_value(store, results))

    # the cap and the sample count come last so that API callers written before them keep working
    go.click(run, [model, label, kind, eps, steps, step_size, seed, compare, cap, count],
             [seed_img, out, twin_out, probs, plot, twin_probs],
             api_name="generate")
    kind_preset = friendly(functools.partial(seed_kind_preset, store))
    kind.change(kind_preset, [model, kind], [eps, steps, step_size, cap], api_visibility="private")
    model.change(on_model_change(store, "generate", cap=True), [model, kind], [label, eps, steps, step_size, cap],
                 api_visibility="private")
