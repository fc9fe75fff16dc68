"""Super-resolution tab (§3.4, eq. 4): downsample by k, then upsample with PGD."""
from __future__ import annotations

import gradio as gr
import torch

from ..imageio import fit_square, to_tensor
from ..tasks import downsample, super_resolve
from .inputs import FIT_NOTE, PREDICTED, ImageUpload, check_steps, decoded, need_image, optional_label
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, ROLES, pil
from .widgets import (settings, change_panel, class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values,
                      primary_button, result_panel, shown_image)

FACTORS = (2, 4, 8)
MIN_SIDE = 4  # px: below this there is nothing to upscale or to shrink


def low_resolution(model, path, factor: int, already_low: bool):
    """(low-resolution input (1, 3, h, w), ground truth (1, 3, H, W) or None, the factor, what is done, in words).

    A large upload is the experiment: reduced to the model's size, shrunk by ``factor`` (block means) and
    restored, with PSNR against it. An upload of at most half the model's side (or ``already_low``) is upscaled
    itself, by the factor that brings it closest to the model's size (output = factor x input)."""
    h, w = model.input_size
    if h % factor:
        raise ValueError(f"factor {factor} does not divide the model's input size {h}")
    upload = to_tensor(decoded(need_image(path)))  # decoded once; both branches resize this
    side = min(upload.shape[-2:])
    if side < MIN_SIDE:
        raise ValueError(f"The image is {upload.shape[-1]}x{upload.shape[-2]} pixels; super-resolution needs at least "
                         f"{MIN_SIDE} pixels a side.")
    if already_low or side <= h // 2:
        factor = factor if already_low else min(FACTORS, key=lambda f: abs(h // f - side))
        return (fit_square(upload, (h // factor, w // factor)), None, factor,
                f"Your {upload.shape[-1]}x{upload.shape[-2]} image, taken as {h // factor}x{w // factor}, upscaled x{factor} to "
                f"{h}x{w} (the model's size).")
    truth = fit_square(upload, model.input_size)
    return (downsample(truth, factor), truth, factor,
            f"The experiment: your image, reduced to the model's {h}x{w}, is shrunk x{factor} to {h // factor}x{w // factor} "
            f"(block means) and restored; PSNR and SSIM compare the result with the {h}x{w} image. To upscale an "
            f"image that is already small, upload one of at most {h // 2} px a side.")


TITLE = "Super-resolution"
BUTTON = "Super-resolve"  # its primary button


def _restore_eps(store) -> float:
    """The radius of the default model's classical-start setting (``*_restore``), which only sharpens."""
    from ..presets import PRESETS, default_for
    return PRESETS[default_for("super_resolve", store.get(store.default), "restore")].eps if store.default else 0.5


def build(store, examples=()):
    cfg = preset_values("super_resolve", store.get(store.default))
    gr.Markdown(f"**Make a small image large.** Your image is shrunk (by the factor below) and enlarged again: the "
                f"smooth enlargement is a blur, and the robust model draws into it the detail of the class (legs, "
                f"wheels, antlers), while the result still shrinks back exactly to the small image. The detail is the "
                f"model's idea of the class, not your photo's, so the result is further from your original than the "
                f"blur (PSNR, in dB: higher is closer); compare with the standard model, which adds only a faint "
                f"speckle. A small image (at most half the model's size a side) is enlarged itself. {FIT_NOTE}")
    with gr.Row():
        with gr.Column():
            image = ImageUpload(type="filepath", label="image", height=DISPLAY, sources=["upload", "clipboard"],
                                value=examples[0] if examples else None)
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            factor = gr.Radio(list(FACTORS), value=cfg.factor, label="factor")
            low_given = gr.Checkbox(value=False, label="my image is already low resolution")
            with settings("The shrunk image is enlarged by copying pixels (*nearest*, the paper) or smoothly (*bicubic*), "
                          "then small steps (projected gradient descent) raise the model's score for the class, never "
                          "moving further than *eps* from the enlargement. *Keep block means*: every step is corrected so "
                          "that the result, shrunk again, is exactly the small image. A large *eps* (the default) lets the "
                          "model draw the class; a small one (e.g. " + f"{_restore_eps(store):g}" + ") only sharpens, the closest "
                          "to your original."):
                init = gr.Radio(["nearest", "bicubic"], value=cfg.upsample, label="enlarge the small image by")
                consistent = gr.Checkbox(value=cfg.consistent, label="keep block means (the result shrinks back to the input)")
                controls = pgd_controls(cfg)
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            with gr.Row(elem_classes="result-row"):
                low_img = shown_image("low resolution")
                init_img = shown_image("upsampled (initialisation)")
            panel = result_panel("super_resolve", compare=compare)
            change = change_panel()
            scores = gr.Markdown()

    @friendly
    def run(path, model_name, label_name, k, init_v, consistent_v, low_v, eps, steps, step_size, compare_v,
            progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        low, truth, k, what = low_resolution(m0, path, int(k), bool(low_v))
        y = optional_label(m0, label_name)
        options = dict(factor=k, init=init_v, consistent=bool(consistent_v), eps=float(eps), steps=n_steps,
                       step_size=float(step_size))

        def job(m):
            return Job(m, super_resolve, {"low_res": low.to(m.device), "ground_truth": None if truth is None else truth.to(m.device),
                                          "label": None if y is None else torch.tensor([y], device=m.device)}, options)

        def finish(results):
            first = next(iter(results.values()))
            text = what
            if truth is not None:
                start = f"the enlargement alone ({init_v})"
                lines = [f"| {start} | {float(first.psnr_init[0]):.2f} dB | {float(first.ssim_init[0]):.3f} |"]
                lines += [f"| {role} model (`{n}`) | {float(r.psnr[0]):.2f} dB | {float(r.ssim[0]):.3f} |"
                          for role, (n, r) in zip(ROLES, results.items())]
                text += ("\n\n| how close to your image | PSNR (higher: closer) | SSIM (1: identical) |\n|---|---:|---:|\n"
                         + "\n".join(lines))
            return {low_img: pil(low), init_img: pil(first.upsampled), scores: text, **panel.show(store, results),
                    **change.show(first.upsampled, first.x)}

        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status, finish)

    go.click(on_gpu(run), [image, model, label, factor, init, consistent, low_given, *controls.values(), compare],
             [low_img, init_img, panel.main, panel.twin, scores, panel.probs, panel.plot, change.slider, change.diff, change.note,
              panel.twin_probs, panel.status], api_name="super_resolve", concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "super_resolve", model, controls, label, with_predict=True, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (its own photo) through the API."""
    from .requests import Request
    cfg = preset_values("super_resolve", store.get(store.default))
    return Request("super_resolve", (uploads.image(j), store.default, PREDICTED, cfg.factor, cfg.upsample, cfg.consistent,
                                     False, cfg.eps, cfg.steps, cfg.step_size, False),
                   at={"model": 1, "class": 2, "factor": 3, "eps": 7, "steps": 8, "step_size": 9, "compare": 10}, result=2)
