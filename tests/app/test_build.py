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
    assert cap["value"] == (GENERATE_CAP or 1.0) and eps["value"] == PRESETS["synth.generate.cifar10"].eps
    assert on_model_change(store, "generate", cap=True)("big-l2")[-1]["value"] == 1.0
    assert len(on_model_change(store, "generate")("tiny-l2")) == 4
    # the seed-kind radio loads that kind's preset, and multivariate seeds bring back their own
    uniform_eps = PRESETS["synth.generate.cifar10_uniform"].eps
    assert seed_kind_preset(store, "tiny-l2", "uniform")[0]["value"] == uniform_eps
    assert seed_kind_preset(store, "tiny-l2", "uniform")[-1]["value"] == (PRESETS["synth.generate.cifar10_uniform"].max_prob or 1.0)
    assert seed_kind_preset(store, "tiny-l2", "multivariate")[-1]["value"] == (GENERATE_CAP or 1.0)
    # Generate's model switch passes the selected seed kind: the new model gets that kind's preset
    assert on_model_change(store, "generate", cap=True)("tiny-l2", "uniform")[1]["value"] == uniform_eps
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


def test_examples_are_ready_inputs(tmp_path):
    """The ready inputs: enlarged examples that reduce back to the model's size, a drawn mask that covers
    part of the image, and sketches; made once, then read back."""
    from synth.app.examples import DISPLAY, make_examples
    model = make_tiny(0, dataset="cifar10")
    ex = make_examples(model, tmp_path, n=4)
    assert len(ex) == 4 and len(ex.sketches) == 4 and ex.labels == sorted(ex.labels)
    assert Image.open(ex.images[0]).size == (DISPLAY, DISPLAY)
    x, m = editor_input(model, ex.editor_value(0))
    assert x.shape == (1, 3, 16, 16) and 0.05 < m.mean() < 0.2  # 30% of the side: 9% of the area
    _, m = editor_input(model, ex.editor_value(0, ex.paint_mask))
    assert 0.2 < m.mean() < 0.3
    assert make_examples(model, tmp_path, n=4) == ex  # the second call reads what the first wrote


def test_editor_refuses_a_mask_over_most_of_the_image(tmp_path):
    model = make_tiny()
    bg = tmp_path / "bg.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(bg)
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 64, 60))  # 94% of the image
    layer.save(tmp_path / "layer.png")
    with pytest.raises(gr.Error, match="covers 94% of the image"):
        editor_input(model, {"background": str(bg), "layers": [str(tmp_path / "layer.png")], "composite": None})


def test_change_views_make_a_subtle_change_visible():
    """A 2/255 change in one pixel becomes full contrast in the difference view; the rest stays mid-grey."""
    import torch
    from synth.app.common import change_views
    start = torch.full((1, 3, 8, 8), 0.5)
    result = start.clone()
    result[0, :, 2, 3] += 2 / 255
    (before, after), diff, largest = change_views(start, result, size=64)
    assert before.size == after.size == diff.size == (64, 64)
    assert abs(largest - 2.0) < 1e-3
    px = diff.load()
    assert px[3 * 8 + 4, 2 * 8 + 4] == (255, 255, 255) and px[0, 0] in ((127, 127, 127), (128, 128, 128))
