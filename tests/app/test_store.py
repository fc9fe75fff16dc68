"""The demo's model store: twins, the selector's labels, and one sentence for a model without its weights."""
import pytest

from synth.app.store import ModelStore, ModelUnavailable
from synth.sources import ModelUnavailableError

from ..conftest import make_tiny
from .test_build import stub_store


def test_twin_and_choices():
    store = stub_store()
    assert store.twin("tiny-l2") == "tiny-standard"
    assert store.twin("tiny-standard") is None  # a standard model is not its own twin
    assert [v for _, v in store.choices()] == ["tiny-l2", "tiny-standard"]


def test_published_models_without_weights_are_not_offered(tmp_path, monkeypatch):
    """Only models that can run here are in the selectors: offline, a published model appears once its file is here."""
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    store = ModelStore(names=["tiny-l2"], loader=lambda n: make_tiny(), published=True)
    assert [v for _, v in store.choices()] == ["tiny-l2"]
    (tmp_path / "CIFAR.pt").write_bytes(b"x")  # a weights file in the model folder: now it can run
    assert "madry/cifar10-paper" in [v for _, v in store.choices()]


def test_compare_box_follows_the_twin():
    from synth.app.widgets import compare_update
    store = ModelStore(names=["tiny-l2", "tiny-standard"], loader=lambda n: make_tiny(), published=False)
    assert compare_update(store, "tiny-l2")["interactive"] is True
    off = compare_update(store, "tiny-standard")
    assert off["interactive"] is False and off["value"] is False and "no standard twin" in off["info"]


def test_unavailable_model_is_one_sentence_without_paths():
    def loader(name):
        raise ModelUnavailableError(f"{name}: not at /root/.cache/synth/models (gaierror: Name or service not known)")
    store = ModelStore(names=[], loader=loader, published=True)
    with pytest.raises(ModelUnavailable) as err:
        store.get("madry/imagenet-l2-3")
    msg = str(err.value)
    assert msg.count(". ") == 0 and msg.endswith(".")  # one sentence
    assert "resnet50_l2_eps3.ckpt" in msg and "huggingface.co/madrylab" in msg
    assert "/root" not in msg and "gaierror" not in msg


def test_a_visitor_adds_a_model_by_id(tmp_path):
    """The model-id box: a loadable id joins every selector; a path, an unknown prefix or a model whose weights
    cannot be fetched gets one sentence and changes nothing."""
    loaded = []

    def loader(name):
        if name == "hf:me/unreachable":
            raise ModelUnavailableError("hf:me/unreachable: not cached, no network")
        loaded.append(name)
        return make_tiny()

    store = ModelStore(names=["tiny-l2"], loader=loader, published=False)
    assert store.add(" hf:me/tiny ") == "hf:me/tiny"
    assert [v for _, v in store.choices()] == ["tiny-l2", "hf:me/tiny"] and loaded == ["hf:me/tiny"]
    for bad, message in (("/etc/passwd", "Enter a model id starting with"), ("timm:resnet18@/srv/x.pt", "not with a file"),
                         ("hf:me/unreachable", "cannot be downloaded by this server")):
        with pytest.raises(ValueError, match=message):
            store.add(bad)
    assert [v for _, v in store.choices()] == ["tiny-l2", "hf:me/tiny"]


def test_the_add_box_updates_every_tab_selector():
    import gradio as gr

    from app import TABS, build_demo
    store = stub_store()
    demo = build_demo(store)
    assert len(TABS) >= 8 and len(store.selectors) == len(TABS)  # one per tab
    dropdowns = [b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.label == "model"]
    assert len(dropdowns) == len(TABS) and all(d in store.selectors for d in dropdowns)
