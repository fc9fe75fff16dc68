"""Interpolate tab: robust feature interpolation between two images (BIGRoC eq. 3, Fig. 6)."""
from __future__ import annotations

import gradio as gr
import torch

from ..imageio import to_pil
from ..tasks import interpolate
from ..tasks.interpolate import DEFAULT_FRACTIONS
from .inputs import FIT_NOTE, ImageUpload, check_steps, image_input
from .gpu import on_gpu
from .runs import Job, friendly, stream
from .views import DISPLAY
from .widgets import settings, compare_box, follow_model, model_dropdown, preset_values, primary_button

MAX_FRAMES = 10


def frames(model, source, target, *, steps: int, fractions: tuple, callback=None, bf16=False):
    """``interpolate`` with its step counter running over all frames (pgd restarts it at every frame), so a
    progress bar and the live view see one run of ``steps * len(fractions)`` steps."""
    state = {"done": 0, "last": 0}

    def running(step, x, score):
        if step < state["last"]:
            state["done"] += steps
        state["last"] = step
        return callback(state["done"] + step, x, score) if callback else None
    return interpolate(model, source, target, fractions=fractions, steps=steps, callback=running, bf16=bf16)


def gallery(label: str, elem_id: str | None = None) -> gr.Gallery:
    return gr.Gallery(label=label, columns=3, height="auto", object_fit="contain", format="png", elem_id=elem_id,
                      elem_classes="pixelated", allow_preview=True)


TITLE = "Interpolate"
BUTTON = "Interpolate"  # its primary button


def build(store, examples=()):
    gr.Markdown("**Morph one image into another.** Each frame moves further toward the target image in what the robust "
                "model sees; with *compare*, the standard model's frames stay near the source and then jump. " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            with gr.Row():
                two = len(examples) >= 2
                source = ImageUpload(type="filepath", label="source", height=DISPLAY // 2 + 64, sources=["upload", "clipboard"],
                                     value=examples[0] if two else None)
                target = ImageUpload(type="filepath", label="target", height=DISPLAY // 2 + 64, sources=["upload", "clipboard"],
                                     value=examples[1] if two else None)
            if len(examples) >= 2:
                gr.Examples([[examples[i], examples[i + 1]] for i in range(0, len(examples) - 1, 2)], [source, target])
            model = model_dropdown(store)
            n_frames = gr.Slider(3, MAX_FRAMES, value=len(DEFAULT_FRACTIONS), step=1, label="frames")
            with settings("Frame k matches the target's features at several layers of the model while staying within "
                          "a distance of c_k times the distance between the two images from the source (c from 0 to 1); "
                          "BIGRoC, eq. 3."):
                steps = gr.Slider(1, 200, value=preset_values("interpolate", store.get(store.default)).steps, step=1,
                                  label="steps per frame", info="how many small changes make each frame")
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            robust_frames = gallery("frames (robust model)", "interpolate-result")
            standard_frames = gallery("frames (standard model, compare mode)")
            standard_frames.visible = False  # shown while compare is ticked
            compare.change(lambda on: gr.update(visible=bool(on)), compare, standard_frames, api_visibility="private",
                           show_progress="hidden")
            status = gr.Markdown(elem_id="interpolate-status")
            distance = gr.Markdown()

    @friendly
    def run(src, tgt, model_name, frames_v, steps_v, compare_v, progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        xs, xt = image_input(m0, src), image_input(m0, tgt)
        fractions = tuple(torch.linspace(0, 1, int(frames_v)).tolist())
        shown, done = [robust_frames, standard_frames], {}

        def job(m):
            return Job(m, frames, {"source": xs.to(m.device), "target": xt.to(m.device)}, {"steps": n_steps, "fractions": fractions},
                       merge=False)

        def live(i, step, x):  # the finished frames and the one being made
            k = (step - 1) // n_steps
            done[(i, k)] = x
            return {shown[i]: to_pil(torch.cat([done[(i, j)] for j in range(k + 1) if (i, j) in done]))}

        def finish(results):
            items = list(results.values())
            text = "\n".join(f"- {n}: feature distance to the target per frame "
                             f"{', '.join(f'{v:.1f}' for v in r.distance.tolist())}" for n, r in results.items())
            return {robust_frames: to_pil(items[0].x), standard_frames: to_pil(items[1].x) if len(items) > 1 else None,
                    distance: text}

        yield from stream(store, model_name, compare_v, job, n_steps * len(fractions), progress, live, status, finish)

    follow_model(store, "interpolate", model, {"steps": steps}, compare=compare)
    go.click(on_gpu(run), [source, target, model, n_frames, steps, compare], [robust_frames, standard_frames, distance, status],
             api_name="interpolate", show_progress="hidden")


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo to another) through the API; not merged."""
    from .requests import Request
    steps = preset_values("interpolate", store.get(store.default)).steps
    return Request("interpolate", (uploads.image(j), uploads.second, store.default, len(DEFAULT_FRACTIONS), steps, False),
                   at={"model": 2, "frames": 3, "steps": 4, "compare": 5}, result=0)
