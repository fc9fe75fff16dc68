"""Interpolate tab: robust feature interpolation between two images (BIGRoC eq. 3, Fig. 6)."""
from __future__ import annotations

import gradio as gr
import torch

from ..imageio import to_pil
from ..tasks import interpolate
from ..tasks.interpolate import DEFAULT_FRACTIONS
from .common import BF16, FIT_NOTE, ImageUpload, check_steps, compare_box, friendly, image_input, model_dropdown, preset_values, run_pair


def build(store, examples=()):
    gr.Markdown("Frames from a source to a target image: each frame matches the target's features at several layers "
                "inside an L2 ball of radius c * ||target - source||, c from 0 to 1. With a standard model the frames "
                "stay close to the source and then jump. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            with gr.Row():
                two = len(examples) >= 2
                source = ImageUpload(type="filepath", label="source", height=180, sources=["upload", "clipboard"],
                                     value=examples[0] if two else None)
                target = ImageUpload(type="filepath", label="target", height=180, sources=["upload", "clipboard"],
                                     value=examples[1] if two else None)
            if len(examples) >= 2:
                gr.Examples([[examples[i], examples[i + 1]] for i in range(0, len(examples) - 1, 2)], [source, target])
            model = model_dropdown(store)
            frames = gr.Slider(3, 10, value=len(DEFAULT_FRACTIONS), step=1, label="frames")
            steps = gr.Slider(1, 200, value=preset_values("interpolate", store.get(store.default)).steps, step=1,
                              label="steps per frame")
            compare = compare_box()
            go = gr.Button("Interpolate", variant="primary")
        with gr.Column():
            robust_frames = gr.Gallery(label="frames (robust model)", columns=6, height=200, format="png", elem_id="interpolate-result")
            standard_frames = gr.Gallery(label="frames (standard model)", columns=6, height=200, format="png")
            distance = gr.Markdown()

    @friendly
    def run(src, tgt, model_name, n_frames, steps_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        xs, xt = image_input(m0, src), image_input(m0, tgt)
        fractions = torch.linspace(0, 1, int(n_frames)).tolist()
        total = n_steps * len(fractions)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: interpolate(m, xs.to(m.device), xt.to(m.device), fractions=fractions, steps=n_steps,
                                                     callback=_frame_progress(cb, n_steps), bf16=BF16), total, progress)
        items = list(results.values())
        text = "\n".join(f"- {n}: feature distance to the target per frame "
                         f"{', '.join(f'{v:.1f}' for v in r.extras['distance'].tolist())}" for n, r in results.items())
        return to_pil(items[0].x), (to_pil(items[1].x) if len(items) > 1 else None), text

    go.click(run, [source, target, model, frames, steps, compare], [robust_frames, standard_frames, distance], api_name="interpolate")


def _frame_progress(cb, steps):
    """pgd's step counter restarts each frame; turn it into a running count for the progress bar."""
    state = {"done": 0, "last": 0}

    def inner(step, x, score):
        if step < state["last"]:
            state["done"] += steps
        state["last"] = step
        cb(state["done"] + step, x, score)
    return inner
