"""Generate tab: class-conditional samples from seeds (Santurkar et al. 2019, §3.1)."""
from __future__ import annotations

import gradio as gr
import torch

from ..seeds import KINDS, for_model
from ..tasks import generate
from .inputs import MAX_SAMPLES, check_count, check_steps, class_index
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import image_grid, pil
from .widgets import (settings, class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values, primary_button,
                      result_panel, seed_box)

FIELDS = ("eps", "steps", "step_size", "max_prob")


TITLE = "Generate"
BUTTON = "Generate"  # its primary button


def build(store, examples=()):
    cfg = preset_values("generate", store.get(store.default))  # the multivariate seeds' preset
    gr.Markdown("**Make images of a class out of blurry noise.** Pick a class and press *Generate*: the robust model "
                "paints the class into a random start (shown first). Tick *compare* to watch an ordinary classifier try "
                "the same: it is just as sure of the class, but you will not see it.")
    with gr.Row():
        with gr.Column():
            model = model_dropdown(store)
            label = class_dropdown(store)
            count = gr.Slider(1, MAX_SAMPLES, value=4, step=1, label="samples")
            compare = compare_box()
            go = primary_button(BUTTON)
            with settings("The start is a *seed* drawn from a distribution fitted to the class's training images "
                          "(multivariate: a blurry colour layout of the class; univariate: per-pixel colours; uniform: "
                          "plain noise; mixture: several layouts). The model then raises its score for the class with "
                          "small steps (projected gradient descent), never moving further than *eps* from the seed."):
                kind = gr.Radio(list(KINDS), value=cfg.seed_kind or "multivariate", label="seed distribution")
                controls = pgd_controls(cfg, FIELDS)
                seed = seed_box()
        with gr.Column():
            panel = result_panel("generate", compare=compare, start="seeds (the start)")
            seed_img = panel.start

    @friendly
    def run(model_name, label_name, seed_kind, eps, steps, step_size, seed_v, compare_v, max_prob=None, count_v=1,
            progress=gr.Progress()):
        n_steps, n = check_steps(steps), check_count(count_v)
        m0 = store.get(model_name)
        y = torch.full((n,), class_index(m0, label_name))
        # the seeds are drawn once, by this request's own generator: the twin and any merged batch start from them
        dist = for_model(m0, seed_kind)
        if "fallback" in dist.info:  # a model without seed statistics: say which seeds it got
            gr.Info(dist.info["fallback"], duration=12)
        seeds = dist.sample(y, torch.Generator().manual_seed(int(seed_v or 0)))
        yield {seed_img: pil(image_grid(seeds))}
        options = dict(eps=float(eps), steps=n_steps, step_size=float(step_size), max_prob=float(max_prob or 1.0))

        def job(m):
            return Job(m, generate, {"label": y.to(m.device), "seeds": seeds.to(m.device)}, options)

        grid = lambda x: pil(image_grid(x))
        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(grid), panel.status,
                          lambda results: {seed_img: grid(seeds), **panel.show(store, results, grid)})

    # the cap and the sample count come last so that API callers written before them keep working
    c = controls
    go.click(on_gpu(run), [model, label, kind, c["eps"], c["steps"], c["step_size"], seed, compare, c["max_prob"], count],
             [seed_img, panel.main, panel.twin, panel.probs, panel.plot, panel.twin_probs, panel.status], api_name="generate",
             concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "generate", model, controls, label, variant=kind, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own class and seed) through the API."""
    from .requests import Request
    m = store.get(store.default)
    cfg = preset_values("generate", m)
    return Request("generate", (store.default, m.classes[j % len(m.classes)], cfg.seed_kind or "multivariate", cfg.eps,
                                cfg.steps, cfg.step_size, j, False, cfg.max_prob or 1.0, 4),
                   at={"model": 0, "class": 1, "seeds": 2, "eps": 3, "steps": 4, "step_size": 5, "seed": 6, "compare": 7,
                       "count": 9}, result=1)
