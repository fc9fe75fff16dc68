"""The widgets every tab is made of: PGD controls built from a preset's fields by name, the
model / class / seed / compare controls, and the result panels, all images shown at one
common size with sharp pixels."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import gradio as gr
import torch

from .. import presets
from .inputs import MAX_STEPS, PREDICTED
from ..sources import SOURCES
from .store import ModelStore, ModelUnavailable
from .views import DISPLAY, ROLES, change_text, change_views, loss_frame, pil, probs_of

BRUSH = 16  # px on the DISPLAY-px drawing canvas: 2 pixels of a 32-px image
# Every shown image fills a DISPLAY-px box with sharp pixels; its file (the download) stays true-size.
DISPLAY_CSS = (".pixelated img { image-rendering: pixelated; width: 100%; height: 100%; object-fit: contain; }\n"
               ".pixelated .thumbnail-item img, .pixelated .grid-wrap img { image-rendering: pixelated; object-fit: contain; }\n"
               # on a phone the start and the results stay side by side, smaller, so the result follows the button
               "@media (max-width: 640px) { .result-row { flex-wrap: nowrap !important; gap: 4px !important; }\n"
               "  .result-row > * { min-width: 0 !important; flex: 1 1 0 !important; }\n"
               "  .result-row .pixelated { height: 150px !important; } }\n"
               # the chart's own legend is cut off under the plot; its label names the colours instead
               ".loss-plot g.role-legend { display: none; }")


def _round(v: float) -> float:
    """Preset values as a person reads them (2.5 * 6 / 60 -> 0.25, 2.5 * 2 / 30 -> 0.1667)."""
    return float(f"{v:.4g}")


# preset field -> how its control is built from a PGDConfig, and what value the control shows for it
CONTROLS = {
    "eps": (lambda cfg: gr.Slider(0.0, max(5 * cfg.eps, 1.0), step=0.1, label=f"eps ({cfg.norm.upper()} radius)",
                                  info="how far the image may move from where it starts (larger: bigger changes)"),
            lambda cfg: _round(cfg.eps), lambda cfg: {"maximum": max(5 * cfg.eps, 1.0)}),
    "steps": (lambda cfg: gr.Slider(1, MAX_STEPS, step=1, label="steps", info="how many small changes the model makes"),
              lambda cfg: cfg.steps, lambda cfg: {}),
    "step_size": (lambda cfg: gr.Slider(0.01, max(4 * cfg.step_size, 1.0), step=0.01, label="step size",
                                        info="how large each change is"),
                  lambda cfg: _round(cfg.step_size), lambda cfg: {"maximum": max(4 * cfg.step_size, 1.0)}),
    "lam": (lambda cfg: gr.Slider(0.0, max(4 * (cfg.lam or 1.0), 10.0), step=0.5, label="lambda (penalty weight)",
                                  info="how strongly the rest of the image is kept as it was"),
            lambda cfg: cfg.lam or 0.0, lambda cfg: {}),
    "max_prob": (lambda cfg: gr.Slider(0.5, 1.0, step=0.01, label="confidence cap",
                                       info="an image stops moving once p(class) reaches it (1 = off, as in the papers)"),
                 lambda cfg: cfg.max_prob or 1.0, lambda cfg: {}),
}


@contextlib.contextmanager
def settings(help_text: str = ""):
    """The technical controls of a tab, collapsed: every tab runs at its defaults without opening it. ``help_text``
    says, in a sentence or two, what the method does (the terms the controls use)."""
    with gr.Accordion("settings", open=False, elem_classes="settings"):
        if help_text:
            gr.Markdown(help_text)
        yield


def preset_values(task: str, model, variant: str | None = None) -> presets.PGDConfig:
    """The task's default preset for ``model`` (and ``variant``, e.g. Generate's seed kind)."""
    return presets.for_model(task, model, variant)


def pgd_controls(cfg: presets.PGDConfig, fields=("eps", "steps", "step_size")) -> dict:
    """{field: slider} preset to ``cfg``, in the order of ``fields`` (names of ``PGDConfig`` fields)."""
    out = {}
    for name in fields:
        make, value, _ = CONTROLS[name]
        out[name] = make(cfg)
        out[name].value = value(cfg)
    return out


def control_updates(controls: dict, cfg: presets.PGDConfig) -> dict:
    """{slider: update} setting each control of ``controls`` to ``cfg``'s value (and range)."""
    return {comp: gr.update(value=CONTROLS[name][1](cfg), **CONTROLS[name][2](cfg)) for name, comp in controls.items()}


def model_dropdown(store: ModelStore):
    dropdown = gr.Dropdown(store.choices(), value=store.default, label="model",
                           info="the models this server can run; add others below the tabs")
    store.selectors.append(dropdown)
    return dropdown


def add_model_box(store: ModelStore):
    """A model-id box (below the tabs): a Hub, timm or RobustBench id (or a published name) is loaded and added to
    every tab's model selector; one sentence says why when it cannot be."""
    with gr.Row():
        box = gr.Textbox(label="add a model", scale=4,
                         placeholder=", ".join(s.example or s.prefix + "..." for s in SOURCES if s.addable))
        button = gr.Button("Add model", scale=1)
    status = gr.Markdown()

    def add(model_id):
        try:
            name = store.add(model_id)
        except ValueError as err:  # ModelUnavailable included: one sentence
            gr.Warning(str(err), duration=12)
            return [gr.update() for _ in store.selectors] + [""]
        m = store.get(name)
        return ([gr.update(choices=store.choices()) for _ in store.selectors]
                + [f"Added `{name}`: {len(m.classes)} classes, {m.input_size[0]} px"
                   f"{', ' + str(m.robust) if m.robust else ', standard'}. Choose it in any tab."])

    for trigger in (button.click, box.submit):
        trigger(add, box, [*store.selectors, status], api_visibility="private", show_progress="minimal")
    return box, button, status


def class_dropdown(store: ModelStore, with_predict: bool = False, label: str = "class", value=None):
    classes = list(store.get(store.default).classes) if store.default else []
    choices = ([PREDICTED] if with_predict else []) + classes
    # custom values: an API client may name a class of whichever model it asks for (checked against that model's
    # classes by inputs.class_index, with one plain message), not only the default model's
    return gr.Dropdown(choices, value=value if value is not None else (choices[0] if choices else None), label=label,
                       allow_custom_value=True)


def example_sets_class(store: ModelStore, shown: gr.Examples, examples, model: gr.Dropdown, label: gr.Dropdown,
                       upload: gr.components.Component | None = None):
    """Clicking example ``i`` of ``shown`` also sets ``label`` to the class of the photo it shows (as the papers fill
    in and draw the true class), when the selected model has that class. With ``upload`` (an editor whose value has a
    ``background``), an upload sets ``label`` too: to the example's class when the photo is one of the examples (the
    editor reports its ready value as an upload), else to "predicted by the model"."""
    names = [store.get(store.default).classes[y] for y in examples.labels]

    def known(name, model_name):
        try:
            return name in store.get(model_name).classes
        except Exception:  # noqa: BLE001 - a model that cannot load says so on its own change event
            return False

    def pick(picked, model_name):
        return names[picked[0]] if known(names[picked[0]], model_name) else gr.update()
    shown.dataset.click(pick, [shown.dataset, model], label, queue=False)

    def photo_changed(value, model_name, last):
        """A new photo in ``upload`` (a path Gradio names after the content; drawing on it keeps the path): its
        example's class, else "predicted by the model"; the same photo: the class as the visitor left it."""
        photo = (value or {}).get("background")
        if photo is None or photo == last:
            return gr.update(), last
        i = examples.index_of(photo)
        return (names[i] if i is not None and known(names[i], model_name) else PREDICTED), photo
    if upload is not None:
        last = gr.State(None)
        upload.change(photo_changed, [upload, model, last], [label, last], queue=False, trigger_mode="always_last",
                      api_visibility="private", show_progress="hidden")


def follow_model(store: ModelStore, task: str, model: gr.Dropdown, controls: dict, label: gr.Dropdown | None = None,
                 with_predict: bool = False, variant: gr.components.Component | None = None,
                 compare: gr.Checkbox | None = None):
    """Switching model (or ``variant``, Generate's seed kind) sets ``controls`` to the task's preset for it,
    ``label``'s choices to its classes and ``compare`` to usable only where the model has a standard twin. A model
    that cannot be loaded says why in a warning (one sentence) and the selector goes back to the default model, so
    the next click works."""

    def update(name, kind=None, changed_model=True):
        try:
            m = store.get(name)
        except ModelUnavailable as err:
            gr.Warning(str(err), duration=12)
            return {model: gr.update(value=store.default)}  # its own change event then restores the default's settings
        out = control_updates(controls, preset_values(task, m, kind))
        if label is not None and changed_model:
            choices = ([PREDICTED] if with_predict else []) + list(m.classes)
            out[label] = gr.update(choices=choices, value=choices[0])
        if compare is not None:
            out[compare] = compare_update(store, name)
        return out

    outputs = [model] + list(controls.values()) + ([label] if label is not None else []) + ([compare] if compare is not None else [])
    inputs = [model] + ([variant] if variant is not None else [])
    model.change(update, inputs, outputs, api_visibility="private", show_progress="hidden")
    if variant is not None:
        variant.change(lambda name, kind: update(name, kind, changed_model=False), inputs, outputs,
                       api_visibility="private", show_progress="hidden")
    return update


def compare_update(store: ModelStore, name: str):
    """The compare box for model ``name``: usable when it has a standard twin, else unticked, disabled, with the reason."""
    twin = store.twin(name)
    if twin:
        return gr.update(interactive=True, info=f"runs the same request on {twin}")
    return gr.update(value=False, interactive=False, info=f"{name} has no standard twin to compare with")


# Run before every request: close the toasts of earlier failures, so none sits over the new result.
CLEAR_TOASTS = "() => { document.querySelectorAll('.toast-close').forEach((b) => b.click()); }"


def primary_button(text: str) -> gr.Button:
    """A tab's run button; clicking it first clears earlier error messages."""
    button = gr.Button(text, variant="primary")
    button.click(None, js=CLEAR_TOASTS, api_visibility="private")
    return button


def seed_box():
    with gr.Row():
        seed = gr.Number(value=0, precision=0, label="seed", minimum=0)
        shuffle = gr.Button("randomize", size="sm")
    shuffle.click(lambda: int(torch.randint(0, 2**31 - 1, (1,))), outputs=seed, api_visibility="private")
    return seed


def compare_box():
    return gr.Checkbox(value=False, label="compare with the standard (non-robust) model")


def shown_image(label: str, elem_id: str | None = None) -> gr.Image:
    """A read-only image output: its true-size PNG enlarged to ``DISPLAY`` px with sharp pixels, downloadable."""
    return gr.Image(label=label, type="pil", format="png", height=DISPLAY, elem_classes="pixelated", interactive=False,
                    elem_id=elem_id, buttons=["download"])


# the curves' colours, named in the plot's label: the chart's own legend does not fit a half-width column
CURVE_COLOURS = {"robust": "#2563eb", "standard": "#f97316"}


CURVE_NOTE = ("A higher or faster curve is not a better image: the standard model raises its score with changes a person "
              "cannot see, the robust one only by changing what the image shows.")


def loss_plot():
    """The objective curves, with :data:`CURVE_NOTE` written under them (Gradio draws a plot's own caption in no
    layout this app uses)."""
    plot = gr.LinePlot(x="step", y="score", color="model", color_map=CURVE_COLOURS, height=260, elem_classes="loss-plot",
                       x_title="step", y_title="score for the target", color_title="model",
                       label="the model's score for the target at each step (blue: robust model, orange: standard model)")
    gr.Markdown(CURVE_NOTE, elem_classes="loss-caption")
    return plot


@dataclass
class ResultPanel:
    """The right-hand column of a task tab: the result, the standard twin's result (compare mode), both models'
    probabilities and the objective curves."""
    main: gr.Image
    twin: gr.Image
    probs: gr.Label | None
    twin_probs: gr.Label | None
    plot: gr.LinePlot
    status: gr.Markdown
    start: gr.Image | None = None

    def live(self, render=pil):
        """``stream``'s live view: the current iterate of model i (0 robust, 1 its twin) in its result image."""
        return lambda i, step, x: {(self.main, self.twin)[i]: render(x)}

    def show(self, store, results: dict, render=pil) -> dict:
        """{component: value} of the whole panel from ``stream``'s {model name: PGDResult} (the requested model first);
        the twin's image and probabilities are empty without compare mode."""
        (name, res), *twin = results.items()
        out = {self.main: render(res.x), self.twin: render(twin[0][1].x) if twin else None,
               self.plot: loss_frame({role: r.history for role, r in zip(ROLES, results.values())})}
        if self.probs is not None:
            out[self.probs] = probs_of(store.get(name), res)
            out[self.twin_probs] = probs_of(store.get(twin[0][0]), twin[0][1]) if twin else None
        return out


def result_panel(prefix: str, probs_title: str | None = "classifier's probabilities", compare: gr.Checkbox | None = None,
                 start: str | None = None) -> ResultPanel:
    """Result images (elem ids ``<prefix>-result``, ``<prefix>-twin``), after the image PGD starts from (``start``, its
    label; the panel's ``start``) in the same row, a line of progress (``<prefix>-status``), probabilities (unless
    ``probs_title`` is None) and the loss plot, full width so its legend fits. The standard model's image and
    probabilities show only while ``compare`` is ticked (an empty panel would take a phone's screen); on a phone the
    row's images stay side by side (``DISPLAY_CSS``), so the result is on the screen after the button."""
    shown = compare is None or bool(compare.value)
    with gr.Row(elem_classes="result-row"):
        first = shown_image(start, f"{prefix}-start") if start else None
        main = shown_image("result: robust model", f"{prefix}-result")
        twin = shown_image("result: standard model", f"{prefix}-twin")
        twin.visible = shown
    status = gr.Markdown(elem_id=f"{prefix}-status")
    probs = twin_probs = None
    if probs_title:
        with gr.Row():
            probs = gr.Label(label=probs_title + " (robust model)", num_top_classes=5)
            twin_probs = gr.Label(label=probs_title + " (standard model)", num_top_classes=5, visible=shown)
    if compare is not None:
        twins = [c for c in (twin, twin_probs) if c is not None]
        # one output takes one value, several take a list (a list for one image fails in Gradio's postprocess)
        compare.change(lambda on: {c: gr.update(visible=bool(on)) for c in twins}, compare, twins,
                       api_visibility="private", show_progress="hidden")
    return ResultPanel(main, twin, probs, twin_probs, loss_plot(), status, first)


@dataclass
class ChangePanel:
    """A before/after slider and the amplified difference, for changes too small to see side by side."""
    slider: gr.ImageSlider
    diff: gr.Image
    note: gr.Markdown

    def show(self, start, result) -> dict:
        """{component: value} for ``start`` -> ``result`` ((1, 3, H, W) in [0, 1] each)."""
        pair, diff, largest = change_views(start, result)
        return {self.slider: pair, self.diff: diff, self.note: change_text(largest)}


def change_panel() -> ChangePanel:
    with gr.Row():
        slider = gr.ImageSlider(label="before / after (drag the handle)", type="pil", format="png", interactive=False,
                                max_height=DISPLAY)
        diff = gr.Image(label="difference, amplified (grey = unchanged)", type="pil", format="png", height=DISPLAY,
                        elem_classes="pixelated", interactive=False)
    return ChangePanel(slider, diff, gr.Markdown())
