"""The Blocks build with a stub model store and the callbacks behave, without launching."""
import gradio as gr
import pytest
from PIL import Image

from app import build_demo
from synth.app.tab_generate import seed_kind_preset
from synth.app.common import ModelStore, check_steps, editor_input, friendly, on_model_change
from synth.presets import PRESETS

from ..conftest import make_tiny


GENERATE_CAP = PRESETS["synth.generate.cifar10"].max_prob


def stub_store():
    models = {"tiny-l2": make_tiny(0, dataset="cifar10"), "tiny-standard": make_tiny(1, dataset="cifar10")}
    return ModelStore(names=list(models), loader=models.__getitem__, published=False)


def test_build_has_all_tabs(monkeypatch):
    monkeypatch.setattr("synth.app.common.example_images", lambda store, n=6: [])
    monkeypatch.setattr("app.example_images", lambda store, n=6: [])
    demo = build_demo(stub_store())
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"generate", "inpaint", "translate", "super_resolve", "sketch_to_image", "paint_features", "boost",
            "interpolate"} <= names


def test_twin_and_choices():
    store = stub_store()
    assert store.twin("tiny-l2") == "tiny-standard"
    assert store.twin("tiny-standard") is None or store.twin("tiny-standard") == "tiny-standard"
    assert [v for _, v in store.choices()] == ["tiny-l2", "tiny-standard"]


def test_model_change_sets_the_presets_cap():
    """Switching model resets the cap slider to that model's preset: its cap for CIFAR-10 generation, off (1) for a
    data set whose preset has none."""
    models = {"tiny-l2": make_tiny(0, dataset="cifar10"), "big-l2": make_tiny(1, dataset="imagenette")}
    store = ModelStore(names=list(models), loader=models.__getitem__, published=False)
    label, eps, steps, step_size, cap = on_model_change(store, "generate", cap=True)("tiny-l2")
    assert cap["value"] == GENERATE_CAP < 1 and eps["value"] == 30.0
    assert on_model_change(store, "generate", cap=True)("big-l2")[-1]["value"] == 1.0
    assert len(on_model_change(store, "generate")("tiny-l2")) == 4
    # the seed-kind radio: uniform seeds switch the cap off, multivariate ones bring it back
    assert seed_kind_preset(store, "tiny-l2", "uniform")[-1]["value"] == 1.0
    assert seed_kind_preset(store, "tiny-l2", "multivariate")[-1]["value"] == GENERATE_CAP
    # Generate's model switch passes the selected seed kind: the new model gets that kind's preset
    assert on_model_change(store, "generate", cap=True)("tiny-l2", "uniform")[-1]["value"] == 1.0
    mixture_cap = PRESETS["synth.generate.cifar10_mixture"].max_prob or 1.0
    assert on_model_change(store, "generate", cap=True)("tiny-l2", "mixture")[-1]["value"] == mixture_cap


def test_friendly_errors():
    @friendly
    def bad(kind):
        if kind == "value":
            raise ValueError("unknown class 'zebra'")
        raise RuntimeError("boom")
    with pytest.raises(gr.Error, match="unknown class"):
        bad("value")
    with pytest.raises(gr.Error, match="Something went wrong"):
        bad("other")
    with pytest.raises(gr.Error, match="between 1 and"):
        check_steps(10**6)


def test_editor_mask(tmp_path):
    model = make_tiny()
    bg = tmp_path / "bg.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(bg)
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 32, 32))
    layer.save(tmp_path / "layer.png")
    x, m = editor_input(model, {"background": str(bg), "layers": [str(tmp_path / "layer.png")], "composite": None})
    assert x.shape == (1, 3, 16, 16) and m.shape == (1, 1, 16, 16)
    assert m.sum() == 64  # a quarter of 16x16
    with pytest.raises(gr.Error, match="Draw"):
        editor_input(model, {"background": str(bg), "layers": [], "composite": None})
