"""Model sources: bundled, robustness-format, torchvision, offline errors, unsafe pickles."""
import json
import os
import pickle

import pytest
import torch

from synth import load_model
from synth.sources import ModelUnavailableError, UnsafeCheckpointError, load_bundled, save_bundled
from synth.sources.robustness_lib import import_robustness, make_and_restore_model, on_device

from .conftest import make_tiny


def test_bundled_roundtrip(tmp_path):
    model = make_tiny()
    card = {"name": "tiny-bundle", "arch": "resnet18_cifar", "width": 4, "dataset": "tiny", "input_size": [16, 16],
            "classes": list(model.classes), "mean": [0.5] * 3, "std": [0.25] * 3, "robust": {"norm": "l2", "eps": 0.5}}
    # the tiny net has 1 block per stage; the card's arch builds 2, so save a real one
    from synth.architectures import build
    from synth.model import RobustClassifier
    real = RobustClassifier(build("resnet18_cifar", 4, 4), (0.5,) * 3, (0.25,) * 3, model.classes, (16, 16), "tiny", None)
    save_bundled(real, card, tmp_path)
    loaded = load_model(str(tmp_path / "tiny-bundle.json"))
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(real.eval()(x), loaded(x), atol=1e-6)
    assert loaded.robust.eps == 0.5 and loaded.classes == model.classes and not loaded.training
    assert json.loads((tmp_path / "tiny-bundle.json").read_text())["name"] == "tiny-bundle"
    assert load_bundled(tmp_path / "tiny-bundle.json").input_size == (16, 16)


def test_bundled_names_resolve():
    from synth.sources import bundled_names
    for name in bundled_names():
        m = load_model(name)
        assert m.name == name and len(m.classes) == len(m.card["classes"])


def _madry_resnet50():
    rb = import_robustness()
    ds = rb.datasets.ImageNet("/tmp")
    torch.manual_seed(0)
    return rb.attacker.AttackerModel(ds.get_model("resnet50", False), ds), ds


def test_robustness_checkpoint_roundtrip(tmp_path):
    """A random ResNet-50 saved the way the Madry lab saves checkpoints, loaded back."""
    am, _ = _madry_resnet50()
    path = tmp_path / "imagenet_l2_3_0.pt"
    torch.save({"model": {"module." + k: v for k, v in am.state_dict().items()}, "epoch": 7}, path)
    model = load_model(str(path))
    am.eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(am(x, make_adv=False)[0], model(x), atol=1e-4)
        assert model.representation(x).shape == (2, 2048)
    assert len(model.classes) == 1000 and model.card["epoch"] == 7
    with model.capture(["model.layer3"]) as feats:
        model(x)
    assert feats["model.layer3"].shape[1] == 1024


def test_make_and_restore_model_on_cpu(tmp_path):
    am, ds = _madry_resnet50()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": {"module." + k: v for k, v in am.state_dict().items()}, "epoch": 1}, path)
    cuda_before, load_before = torch.Tensor.cuda, torch.load
    restored, ckpt = make_and_restore_model(arch="resnet50", dataset=ds, resume_path=str(path), device="cpu")
    assert next(restored.parameters()).device.type == "cpu" and ckpt["epoch"] == 1
    assert torch.Tensor.cuda is cuda_before and torch.load is load_before  # patches undone
    # the library's own attacker runs on CPU inside on_device()
    restored.eval()
    with on_device("cpu"):
        _, adv = restored(torch.rand(1, 3, 32, 32), torch.tensor([3]), make_adv=True, constraint="2", eps=1.0,
                          step_size=0.5, iterations=2)
    assert adv.min() >= 0 and adv.max() <= 1 and adv.shape == (1, 3, 32, 32)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/synth-pwned",))


def test_malicious_pickle_refused(tmp_path):
    if os.path.exists("/tmp/synth-pwned"):
        os.remove("/tmp/synth-pwned")
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"model": _Evil()}, f)
    with pytest.raises(UnsafeCheckpointError, match="refused"):
        load_model(str(path))
    torch.save({"model": {"x": _Evil()}}, tmp_path / "evil2.pt")
    with pytest.raises(UnsafeCheckpointError):
        load_model(str(tmp_path / "evil2.pt"))
    assert not os.path.exists("/tmp/synth-pwned")


def test_torchvision_from_local_weights(tmp_path, monkeypatch):
    """torchvision/resnet50 through the weights API, against a weights file the test writes."""
    import torchvision
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    torch.hub.set_dir(str(tmp_path / "hub"))
    try:
        weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V2
        target = tmp_path / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[1]
        target.parent.mkdir(parents=True)
        net = torchvision.models.resnet50()
        torch.save(net.state_dict(), target)
        model = load_model("torchvision/resnet50")
        x = torch.rand(1, 3, 64, 64)
        net.eval()
        with torch.no_grad():
            ref = net((x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
            assert torch.allclose(model(x), ref, atol=1e-4)
        assert model.robust is None and model.classes[0] == "tench" and model.input_size == (224, 224)
    finally:
        torch.hub.set_dir(os.path.expanduser("~/.cache/torch/hub"))


@pytest.mark.parametrize("name", ["madry/imagenet-l2-3", "madry/cifar10-l2-0.5", "torchvision/resnet50"])
def test_offline_error_names_file_source_and_place(tmp_path, monkeypatch, name):
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    torch.hub.set_dir(str(tmp_path / "hub"))
    try:
        with pytest.raises(ModelUnavailableError) as err:
            load_model(name)
    finally:
        torch.hub.set_dir(os.path.expanduser("~/.cache/torch/hub"))
    msg = str(err.value)
    assert ("http" in msg) and ("put it at" in msg) and (".pt" in msg or ".ckpt" in msg or ".pth" in msg)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown model"):
        load_model("no-such-model")


@pytest.mark.parametrize("name", ["madry/imagenet-l2-3", "madry/cifar10-l2-0.5", "torchvision/resnet18"])
def test_unreachable_host_fails_fast_without_download_attempt(tmp_path, monkeypatch, name):
    """No network (but not declared offline): one failed connection, then the error; no hub retries."""
    import socket
    import time

    import huggingface_hub
    monkeypatch.delenv("SYNTH_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    tried = []

    def refuse(address, timeout=None):
        tried.append(address)
        raise OSError("Name or service not known")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, local_files_only=False, **k: (
        (_ for _ in ()).throw(FileNotFoundError("not cached")) if local_files_only else pytest.fail("download attempted")))
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *a, **k: pytest.fail("download attempted"))
    torch.hub.set_dir(str(tmp_path / "hub"))
    t0 = time.perf_counter()
    try:
        with pytest.raises(ModelUnavailableError, match="Name or service not known"):
            load_model(name)
    finally:
        torch.hub.set_dir(os.path.expanduser("~/.cache/torch/hub"))
    assert len(tried) == 1 and time.perf_counter() - t0 < 2


def test_every_source_is_one_row_that_the_loader_and_the_demo_ask():
    """``synth.sources.SOURCES`` is the one list: each row loads and answers is_local through its module, the loader
    finds a row by its prefix, the demo's addable prefixes and its "cannot be fetched" sentence come from the rows."""
    from synth.app.store import ModelStore
    from synth.sources import SOURCES, published_names, source_for
    prefixes = [s.prefix for s in SOURCES]
    assert len(set(prefixes)) == len(prefixes) and {"madry/", "torchvision/", "hf:", "timm:", "robustbench:"} <= set(prefixes)
    for s in SOURCES:
        assert callable(s.module.load) and callable(s.module.is_local), s.prefix
        assert source_for(s.prefix + "x") is s
        if s.catalogue is not None:
            name = s.names()[0]
            assert s.knows(name) and name in published_names() and not s.knows(s.prefix + "no-such-key")
            filename, where = s.published_at(name)
            assert filename in s.cannot_fetch(name) and where in s.cannot_fetch(name)
        else:
            assert s.knows(s.prefix + "anything") and s.published_at(s.prefix + "anything") is None
        assert "choose a bundled model" in s.cannot_fetch(s.names()[0] if s.catalogue else s.prefix + "x")
    assert ModelStore.ADDABLE == tuple(s.prefix for s in SOURCES if s.addable)
    assert source_for("cifar10-l2") is None
    assert ModelStore.unavailable_message("madry/cifar10-l2-0.5") == source_for("madry/").cannot_fetch("madry/cifar10-l2-0.5")
