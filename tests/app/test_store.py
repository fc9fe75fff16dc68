"""The demo's model store: twins, the selector's labels, and one sentence for a model without its weights."""
import pytest

from synth.app.store import DOWNLOAD_MARK, ModelStore, ModelUnavailable
from synth.sources import ModelUnavailableError

from ..conftest import make_tiny
from .test_build import stub_store


def test_twin_and_choices():
    store = stub_store()
    assert store.twin("tiny-l2") == "tiny-standard"
    assert store.twin("tiny-standard") is None  # a standard model is not its own twin
    assert [v for _, v in store.choices()] == ["tiny-l2", "tiny-standard"]


def test_published_models_without_weights_are_marked(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    store = ModelStore(names=["tiny-l2"], loader=lambda n: make_tiny(), published=True)
    labels = dict((v, k) for k, v in store.choices())
    assert labels["madry/imagenet-l2-3"].endswith(DOWNLOAD_MARK) and labels["torchvision/resnet50"].endswith(DOWNLOAD_MARK)
    (tmp_path / "CIFAR.pt").write_bytes(b"x")  # a weights file in the model folder: no longer marked
    assert dict((v, k) for k, v in store.choices())["madry/cifar10-paper"] == "madry/cifar10-paper"


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

    from app import build_demo
    store = stub_store()
    demo = build_demo(store)
    assert len(store.selectors) == 8  # one per tab
    dropdowns = [b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.label == "model"]
    assert len(dropdowns) == 8 and all(d in store.selectors for d in dropdowns)
