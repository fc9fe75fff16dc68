"""Super-resolution tab (§3.4, eq. 4): downsample by k, then upsample with PGD."""
from __future__ import annotations

import gradio as gr

from ..imageio import to_tensor
from ..tasks import downsample, super_resolve
from .common import (BF16, FIT_NOTE, change_outputs, change_panel, check_steps, class_dropdown, compare_box, friendly, ImageUpload,
                     loss_plot, model_dropdown, need_image, on_model_change, optional_label, outputs_of, pgd_sliders, pil,
                     preset_values, probs_label, result_images, run_pair, shown_image)


FACTORS = (2, 4, 8)
MIN_SIDE = 4  # px: below this there is nothing to upscale or to shrink


def build(store, examples=()):
    cfg = preset_values("super_resolve", store.get(store.default))
    gr.Markdown(f"A large image is shrunk by the factor (block means) and brought back with nearest-neighbour or bicubic "
                f"upsampling plus targeted PGD, and PSNR is measured against it; a small image (at most half the model's "
                f"size a side) is upscaled itself. {FIT_NOTE}")
    with gr.Row():
        with gr.Column():
            image = ImageUpload(type="filepath", label="image", height=256, sources=["upload", "clipboard"],
                                value=examples[0] if examples else None)
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            factor = gr.Radio(list(FACTORS), value=cfg.factor, label="factor")
            init = gr.Radio(["nearest", "bicubic"], value=cfg.upsample, label="initialisation")
            consistent = gr.Checkbox(value=cfg.consistent, label="keep block means (the result downsamples back to the input)")
            low_given = gr.Checkbox(value=False, label="my image is already low resolution")
            eps, steps, step_size = pgd_sliders(cfg)
            compare = compare_box()
            go = gr.Button("Super-resolve", variant="primary")
        with gr.Column():
            with gr.Row():
                low_img = shown_image("low resolution")
                init_img = shown_image("upsampled (initialisation)")
            out, twin_out = result_images("super_resolve")
            change = change_panel()
            scores = gr.Markdown()
            probs = gr.Label(label="classifier's probabilities", num_top_classes=5)
            plot = loss_plot()

    @friendly
    def run(path, model_name, label_name, k, init_v, consistent_v, low_v, eps_v, steps_v, step_v, compare_v,
            progress=gr.Progress()):
        n_steps = check_steps(steps_v)
        m0 = store.get(model_name)
        k = int(k)
        h, w = m0.input_size
        if h % k:
            raise gr.Error(f"factor {k} does not divide the model's input size {h}")
        upload = to_tensor(need_image(path))
        side = min(upload.shape[-2:])
        if side < MIN_SIDE:
            raise gr.Error(f"The image is {upload.shape[-1]}x{upload.shape[-2]} pixels; super-resolution needs at least "
                           f"{MIN_SIDE} pixels a side.")
        if low_v or side <= h // 2:  # already low resolution: upscale it (output = factor x input)
            k = min(FACTORS, key=lambda f: abs(h // f - side)) if not low_v else k
            low, truth = to_tensor(need_image(path), (h // k, w // k)), None
            what = (f"Your {upload.shape[-1]}x{upload.shape[-2]} image, taken as {h // k}x{w // k}, upscaled x{k} to "
                    f"{h}x{w} (the model's size).")
        else:
            truth = to_tensor(need_image(path), m0.input_size)
            low = downsample(truth, k)
            what = (f"The experiment: your image, reduced to the model's {h}x{w}, is shrunk x{k} to {h // k}x{w // k} "
                    f"(block means) and restored; PSNR and SSIM compare the result with the {h}x{w} image. To upscale an "
                    f"image that is already small, upload one of at most {h // 2} px a side.")
        y = optional_label(m0, label_name)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: super_resolve(m, low.to(m.device), factor=k, label=y, init=init_v,
                                                       consistent=bool(consistent_v), ground_truth=truth, callback=cb,
                                                       bf16=BF16, eps=eps_v, steps=n_steps, step_size=step_v),
                           n_steps, progress)
        main, twin, frame = outputs_of(results)
        first = next(iter(results.values()))
        text = what
        if truth is not None:
            start = f"{init_v} upsampling" + (" + block-mean projection" if consistent_v else "")
            lines = [f"| {start} | {float(first.extras['psnr_init'][0]):.2f} dB | {float(first.extras['ssim_init'][0]):.3f} |"]
            lines += [f"| {n} | {float(r.extras['psnr'][0]):.2f} dB | {float(r.extras['ssim'][0]):.3f} |" for n, r in results.items()]
            text += "\n\n| against your image | PSNR | SSIM |\n|---|---:|---:|\n" + "\n".join(lines)
        return (pil(low), pil(first.extras["upsampled"]), main, twin, text, probs_label(m0, first), frame,
                *change_outputs(first.extras["upsampled"], first.x))

    go.click(run, [image, model, label, factor, init, consistent, low_given, eps, steps, step_size, compare],
             [low_img, init_img, out, twin_out, scores, probs, plot, *change], api_name="super_resolve")
    model.change(on_model_change(store, "super_resolve", with_predict=True), model, [label, eps, steps, step_size],
                 api_visibility="private")
