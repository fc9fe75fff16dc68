"""The Blocks build with a stub model store, and the model switch sets each tab's preset, without launching."""
import pytest

from app import build_demo
from synth.app.store import ModelStore
from synth.app.widgets import CONTROLS, control_updates, pgd_controls, preset_values
from synth.presets import PRESETS

from ..conftest import make_tiny


def stub_store():
    models = {"tiny-l2": make_tiny(0, dataset="cifar10"), "tiny-standard": make_tiny(1, dataset="cifar10")}
    return ModelStore(names=list(models), loader=models.__getitem__, published=False)


def test_build_has_all_tabs(monkeypatch):
    monkeypatch.setattr("app.example_images", lambda store, n=6: [])
    demo = build_demo(stub_store())
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"generate", "inpaint", "translate", "super_resolve", "sketch_to_image", "paint_features", "boost",
            "interpolate"} <= names


def _values(updates):
    return {comp.label.split(" ")[0]: up["value"] for comp, up in updates.items()}


def test_controls_come_from_the_presets_fields_by_name():
    """Each control shows its preset field's value (rounded as a person reads it: no 0.26666666666666666), and the
    updates a model switch sends are keyed by control, not by position."""
    model = make_tiny(0, dataset="cifar10")
    cfg = preset_values("generate", model)
    controls = pgd_controls(cfg, ("eps", "steps", "step_size", "max_prob"))
    assert list(controls) == ["eps", "steps", "step_size", "max_prob"]
    assert controls["eps"].value == cfg.eps and controls["steps"].value == cfg.steps
    assert controls["max_prob"].value == (cfg.max_prob or 1.0)
    uniform = PRESETS["synth.generate.cifar10_uniform"]
    ups = control_updates(controls, uniform)
    assert ups[controls["eps"]]["value"] == uniform.eps and ups[controls["max_prob"]]["value"] == (uniform.max_prob or 1.0)
    odd = pgd_controls(PRESETS["synth.generate.cifar10_uniform"].__class__(norm="l2", eps=2.0, steps=30, step_size=2.5 * 2 / 30,
                                                                           source="test"), ("step_size",))
    assert odd["step_size"].value == 0.1667
    with pytest.raises(KeyError):
        pgd_controls(cfg, ("no_such_field",))
    assert set(CONTROLS) >= {"eps", "steps", "step_size", "lam", "max_prob"}


def test_model_switch_sets_the_presets(monkeypatch):
    """Switching model (or Generate's seed kind) sets the controls to that model's (kind's) preset and the class list
    to its classes; a data set whose preset has no cap shows the cap off (1)."""
    import gradio as gr
    from synth.app.widgets import follow_model
    models = {"tiny-l2": make_tiny(0, dataset="cifar10"), "big-l2": make_tiny(1, dataset="imagenette")}
    store = ModelStore(names=list(models), loader=models.__getitem__, published=False)
    with gr.Blocks():
        model, kind, label = gr.Dropdown(["tiny-l2", "big-l2"]), gr.Radio(["multivariate", "uniform"]), gr.Dropdown([])
        controls = pgd_controls(preset_values("generate", models["tiny-l2"]), ("eps", "steps", "step_size", "max_prob"))
        update = follow_model(store, "generate", model, controls, label, variant=kind)
    ups = update("tiny-l2", "multivariate")
    assert ups[controls["eps"]]["value"] == PRESETS["synth.generate.cifar10"].eps
    assert ups[label]["choices"] == list(models["tiny-l2"].classes)
    assert update("big-l2", "multivariate")[controls["max_prob"]]["value"] == 1.0
    uniform = update("tiny-l2", "uniform", changed_model=False)
    assert uniform[controls["eps"]]["value"] == PRESETS["synth.generate.cifar10_uniform"].eps and label not in uniform


def test_a_model_without_its_weights_is_no_dead_end(monkeypatch):
    """Choosing a model whose weights cannot be had warns in one sentence and sets the selector back to the default
    model (whose change event restores its settings), so the next click works."""
    import gradio as gr
    from synth.app.widgets import follow_model
    from synth.sources import ModelUnavailableError

    def loader(name):
        if name == "madry/imagenet-l2-3":
            raise ModelUnavailableError("the weights file resnet50_l2_eps3.ckpt is not on this machine ... /root/.cache/x")
        return make_tiny(0, dataset="cifar10")
    store = ModelStore(names=["tiny-l2"], loader=loader, published=False)
    warnings = []
    monkeypatch.setattr(gr, "Warning", lambda message, duration=None: warnings.append(message))
    with gr.Blocks():
        model = gr.Dropdown(["tiny-l2"])
        controls = pgd_controls(preset_values("translate", make_tiny(0, dataset="cifar10")))
        update = follow_model(store, "translate", model, controls)
    out = update("madry/imagenet-l2-3")  # no dead end: the selector goes back to the default model
    assert list(out) == [model] and out[model]["value"] == store.default
    assert len(warnings) == 1 and "resnet50_l2_eps3.ckpt" in warnings[0] and "/root" not in warnings[0]


def test_every_compare_toggle_postprocesses_in_every_tab(monkeypatch):
    """Ticking *compare* shows the standard model's panels in every tab: each handler a compare box triggers returns
    what Gradio can postprocess for its outputs (a list for one image output failed in feature painting's tab, and
    its standard result stayed hidden)."""
    import asyncio

    import gradio as gr
    monkeypatch.setattr("app.example_images", lambda store, n=6: [])
    demo = build_demo(stub_store())
    toggles = [fn for fn in demo.fns.values() if len(fn.inputs) == 1 and isinstance(fn.inputs[0], gr.Checkbox)
               and "compare" in (fn.inputs[0].label or "") and fn.fn is not None]
    assert len(toggles) >= 8  # one per tab that compares
    for fn in toggles:
        for on in (True, False):
            out = asyncio.run(demo.postprocess_data(fn, fn.fn(on), None))
            assert len(out) == len(fn.outputs) and all(o.get("visible") is on for o in out), fn.name
