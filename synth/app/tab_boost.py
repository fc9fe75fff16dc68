"""Boost tab: BIGRoC (Alg. 2) on a generator's sample or an uploaded image."""
from __future__ import annotations

import functools
import json

import gradio as gr
import torch

from ..imageio import fit_square
from ..tasks import boost
from .inputs import FIT_NOTE, PREDICTED, ImageUpload, check_steps, image_input, optional_label
from .gpu import on_gpu
from .runs import MERGE_LIMIT, Job, friendly, stream
from .views import DISPLAY, pil, top5
from .widgets import (settings, change_panel, class_dropdown, compare_box, follow_model, model_dropdown, pgd_controls, preset_values,
                      primary_button, result_panel, seed_box)

FIELDS = ("eps", "steps", "max_prob")  # the step size is BIGRoC's eps / steps
UPLOAD = "my image"


def generator_sources() -> dict[str, str]:
    """{choice shown in the tab: bundled generator name}, e.g. "an image made by a small generator (cifar10-cvae, a VAE)"."""
    from ..generators import ASSETS, bundled_generators

    def kind(name: str) -> str:
        return json.loads((ASSETS / f"{name}.json").read_text())["kind"].split()[-1]
    return {f"an image made by a small generator ({name}, a {kind(name)})": name for name in bundled_generators()}


@functools.lru_cache(maxsize=None)
def loaded_generator(name: str):
    """A bundled generator, read from disk once per process (sampling never changes it)."""
    from ..generators import load_generator
    return load_generator(name)


def generator_sample(name: str, model, label: int | None, seed: int):
    """(a (1, 3, H, W) sample of the bundled conditional generator ``name`` at the model's size, the class the generator
    was asked for): the chosen class, or with none chosen one the seed picks, so the first click works. The boost's
    target is decided separately (the chosen class, else the model's prediction of the sample)."""
    if model.dataset != "cifar10":
        raise ValueError(f"The bundled generator {name} makes 32x32 CIFAR-10 images; choose a CIFAR-10 model or upload an image.")
    y = seed % len(model.classes) if label is None else label
    x = loaded_generator(name).sample(torch.tensor([y]), torch.Generator().manual_seed(seed))
    return fit_square(x, model.input_size), y


TITLE = "Boost"
BUTTON = "Boost"  # its primary button


def build(store, examples=()):
    cfg = preset_values("boost", store.get(store.default))
    generators = generator_sources()
    gr.Markdown("**Make a generated image look more like its class.** Boost a sample of a small image generator, or your "
                "own image: a few small changes by the robust model sharpen it toward the target class (shown with the "
                "result; by default the class the model already sees). " + FIT_NOTE)
    with gr.Row():
        with gr.Column():
            choices = [*generators, UPLOAD]
            source = gr.Radio(choices, value=choices[0], label="image to boost")
            image = ImageUpload(type="filepath", label="your image (when 'my image')", height=DISPLAY, sources=["upload", "clipboard"])
            if examples:
                gr.Examples([[e] for e in examples], [image])
            model = model_dropdown(store)
            label = class_dropdown(store, with_predict=True)
            with settings("The method is BIGRoC (boosting image generation via a robust classifier): a few small steps "
                          "(projected gradient descent) raise the model's "
                          "score for the target class, never moving the image further than *eps*; the *confidence cap* "
                          "stops an image once the model is that sure."):
                controls = pgd_controls(cfg, FIELDS)
            seed = seed_box()
            compare = compare_box()
            go = primary_button(BUTTON)
        with gr.Column():
            panel = result_panel("boost", "classifier's probabilities after boosting", compare=compare, start="before")
            before = panel.start
            probs_before = gr.Label(label="classifier's probabilities before boosting (robust model)", num_top_classes=5)
            change = change_panel()

    @friendly
    def run(source_v, path, model_name, label_name, eps, steps, seed_v, compare_v, max_prob=None, progress=gr.Progress()):
        n_steps = check_steps(steps)
        m0 = store.get(model_name)
        y = optional_label(m0, label_name)  # None: the model's prediction is the target
        drawn = None
        if source_v in generators:
            x, drawn = generator_sample(generators[source_v], m0, y, int(seed_v or 0))
        else:
            x = image_input(m0, path).cpu()
        predicted = y is None
        if predicted:  # decided once, by the requested model, so that the standard twin gets the same target
            y = int(m0.predict(x.to(m0.device))[0].argmax())
        target_note = (f"Target: **{m0.classes[y]}** ({'the robust model' if m0.robust else 'the model'}'s prediction of the "
                       f"image{'' if drawn is None else f'; the generator was asked for {m0.classes[drawn]}'})." if predicted
                       else f"Target: **{m0.classes[y]}** (your choice).")
        options = dict(eps=float(eps), steps=n_steps, max_prob=float(max_prob or 1.0))

        def job(m):
            return Job(m, boost, {"image": x.to(m.device), "label": torch.tensor([y], device=m.device)}, options)

        def finish(results):
            res = next(iter(results.values()))
            shown = change.show(x, res.x)
            shown[change.note] = target_note + " " + shown[change.note]
            return {before: pil(x), probs_before: top5(m0, m0.predict(x.to(m0.device))[0]), **panel.show(store, results),
                    **shown}

        yield {before: pil(x)}
        yield from stream(store, model_name, compare_v, job, n_steps, progress, panel.live(), panel.status, finish)

    # an uploaded or example image is what the visitor wants boosted
    image.change(lambda path: gr.update(value=UPLOAD) if path else gr.update(), image, source, api_visibility="private")
    # the cap comes last so that API callers written before it existed keep working
    c = controls
    go.click(on_gpu(run), [source, image, model, label, c["eps"], c["steps"], seed, compare, c["max_prob"]],
             [before, panel.main, panel.twin, panel.probs, panel.plot, change.slider, change.diff, change.note, panel.twin_probs,
              probs_before, panel.status], api_name="boost", concurrency_limit=MERGE_LIMIT, show_progress="hidden")
    follow_model(store, "boost", model, controls, label, with_predict=True, compare=compare)


def api_request(store, uploads, j: int = 0):
    """The tab's default request for visitor ``j`` (a VAE sample of seed j, the model's own prediction as the target)."""
    from .requests import Request
    cfg = preset_values("boost", store.get(store.default))
    vae = [choice for choice, name in generator_sources().items() if name == "cifar10-cvae"]
    source, image = (vae[0], None) if vae else (UPLOAD, uploads.image(j))
    return Request("boost", (source, image, store.default, PREDICTED, cfg.eps, cfg.steps, j, False, cfg.max_prob or 1.0),
                   at={"source": 0, "image": 1, "model": 2, "class": 3, "eps": 4, "steps": 5, "seed": 6, "compare": 7},
                   result=1)
