"""Super-resolution tab (§3.4, eq. 4): downsample by k, then upsample with PGD."""
from __future__ import annotations

import gradio as gr

from ..imageio import to_tensor
from ..tasks import downsample, super_resolve
from .common import (BF16, FIT_NOTE, ImageUpload, check_steps, class_dropdown, compare_box, friendly, loss_plot, model_dropdown,
                    need_image, on_model_change, optional_label, outputs_of, pgd_sliders, pil, preset_values, probs_label, result_images,
                    run_pair, shown_image)


def build(store, examples=()):
    cfg = preset_values("super_resolve", store.get(store.default))
    gr.Markdown(f"Your image is shrunk by the factor (block mean) and brought back with nearest-neighbour or bicubic "
                f"upsampling plus targeted PGD; PSNR is measured against your image. Tick 'already low resolution' "
                f"to upsample the upload itself. {FIT_NOTE}")
    with gr.Row():
        with gr.Column():
            image = ImageUpload(type="filepath", label="image", height=256, sources=["upload", "clipboard"])
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            factor = gr.Radio([2, 4, 8], value=cfg.factor, label="factor")
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
        if low_v:
            low, truth = to_tensor(need_image(path), (h // k, w // k)), None
        else:
            truth = to_tensor(need_image(path), m0.input_size)
            low = downsample(truth, k)
        y = optional_label(m0, label_name)
        results = run_pair(store, model_name, compare_v,
                           lambda m, cb: super_resolve(m, low.to(m.device), factor=k, label=y, init=init_v,
                                                       consistent=bool(consistent_v), ground_truth=truth, callback=cb,
                                                       bf16=BF16, eps=eps_v, steps=n_steps, step_size=step_v),
                           n_steps, progress)
        main, twin, frame = outputs_of(results)
        first = next(iter(results.values()))
        text = ""
        if truth is not None:
            start = f"{init_v} upsampling" + (" + block-mean projection" if consistent_v else "")
            lines = [f"| {start} | {float(first.extras['psnr_init'][0]):.2f} dB | {float(first.extras['ssim_init'][0]):.3f} |"]
            lines += [f"| {n} | {float(r.extras['psnr'][0]):.2f} dB | {float(r.extras['ssim'][0]):.3f} |" for n, r in results.items()]
            text = "| against your image | PSNR | SSIM |\n|---|---:|---:|\n" + "\n".join(lines)
        return pil(low), pil(first.extras["upsampled"]), main, twin, text, probs_label(m0, first), frame

    go.click(run, [image, model, label, factor, init, consistent, low_given, eps, steps, step_size, compare],
             [low_img, init_img, out, twin_out, scores, probs, plot], api_name="super_resolve")
    model.change(on_model_change(store, "super_resolve", with_predict=True), model, [label, eps, steps, step_size],
                 api_visibility="private")
