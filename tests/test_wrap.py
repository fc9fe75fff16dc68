"""Bring your own classifier: synth.wrap for any module, and timm models through load_model("timm:...");
R(x) is found automatically, and generation and feature painting work on them."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import synth
from synth import load_model, wrap

CLASSES = ["a", "b", "c", "d"]


def moves(model, x0):
    """generate and paint_features on ``model`` raise their objectives from ``x0``."""
    g = torch.Generator().manual_seed(0)
    eps = 2.0 * model.input_size[0] / 32  # the papers scale eps with the square root of the pixel count
    res = synth.generate(model, [0, 1], seeds=x0, eps=eps, steps=10, step_size=eps / 4, max_prob=1, generator=g)
    assert (res.history[-1] > res.history[0] + 0.01).all()  # log p(class) up for every sample
    mask = torch.zeros(1, 1, *model.input_size)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        feature = int(model.representation(x0).mean(0).argmax())  # an active component (a ReLU at 0 has no gradient)
    painted = synth.paint_features(model, x0, mask, feature, eps=eps, steps=10, step_size=eps / 4)
    with torch.no_grad():
        before, after = model.representation(x0)[:, feature], model.representation(painted.x)[:, feature]
    assert (after > before).all()


def test_wrap_a_torchvision_module_finds_its_representation():
    from torchvision.models import resnet18
    torch.manual_seed(0)
    net = resnet18(num_classes=4).eval()
    x0 = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    with torch.no_grad():
        expected = net((x0 - 0.5) / 0.25)
    model = wrap(net, mean=mean, std=std, classes=CLASSES, input_size=32, robust=("l2", 1.0))
    with torch.no_grad():
        assert torch.allclose(model(x0), expected, atol=1e-5)
        assert model.representation(x0).shape == (2, 512)
    assert model.robust.eps == 1.0 and model.card["head"] == "fc" and model.classes == tuple(CLASSES)
    moves(model, x0)


def test_wrap_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="no nn.Linear"):
        wrap(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()), mean=(0,) * 3, std=(1,) * 3,
             classes=CLASSES, input_size=16)
    head_then_softmax = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 4), nn.Softmax(1))
    with pytest.raises(ValueError, match="not its last nn.Linear"):
        wrap(head_then_softmax, mean=(0,) * 3, std=(1,) * 3, classes=CLASSES, input_size=16)
    with pytest.raises(ValueError, match="4 outputs, but 3 class names"):
        wrap(nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 4)), mean=(0,) * 3, std=(1,) * 3, classes="abc",
             input_size=16)


def test_timm_model_from_a_local_file(tmp_path):
    timm = pytest.importorskip("timm")
    from safetensors.torch import save_file
    torch.manual_seed(0)
    net = timm.create_model("resnet10t", num_classes=4).eval()
    path = tmp_path / "resnet10t-4.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    model = load_model(f"timm:resnet10t@{path}")
    x0 = torch.rand(2, 3, *model.input_size, generator=torch.Generator().manual_seed(1))
    cfg = net.pretrained_cfg
    norm = (x0 - torch.tensor(cfg["mean"]).view(1, 3, 1, 1)) / torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.allclose(model(x0), net(norm), atol=1e-5)
        assert model.representation(x0).shape == (2, net.num_features)
    assert model.classes == ("0", "1", "2", "3") and model.input_size == tuple(cfg["input_size"][1:])
    assert synth.sources.is_local(f"timm:resnet10t@{path}")
    moves(model, x0)
    with pytest.raises(ValueError, match="timm has no model"):
        load_model("timm:no-such-net@" + str(path))
    with pytest.raises(ValueError, match="no weights file"):
        load_model("timm:resnet10t@/no/such/file.safetensors")


def test_robustbench_checkpoint_where_its_loader_looks(tmp_path, monkeypatch):
    """A checkpoint of RobustBench's Rade2021Helper_R18_ddpm architecture (random weights) at the path robustbench's
    own loader reads, loaded through load_model("robustbench:..."): same logits, the leaderboard's threat model,
    and generation and feature painting work on it."""
    from synth.sources import robustbench_models as rb
    try:
        entries = rb.zoo("cifar10", "L2")
    except ModuleNotFoundError as err:
        pytest.skip(str(err))
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path))
    name = "robustbench:cifar10/L2/Rade2021Helper_R18_ddpm"
    assert not rb.is_local(name)
    torch.manual_seed(0)
    net = entries["Rade2021Helper_R18_ddpm"]["model"]().eval()
    path = rb.weights_path(name)
    path.parent.mkdir(parents=True)
    torch.save({"state_dict": net.state_dict()}, path)
    model = load_model(name)
    x0 = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(model(x0), net(x0), atol=1e-5)
    assert model.robust.norm == "l2" and model.robust.eps == 0.5 and model.dataset == "cifar10"
    assert model.classes[3] == "cat" and model.card["head"] == "logits" and rb.is_local(name)
    # what RobustBench reports, from its model_info (robustbench_info.json): the 90.57 / 76.15
    assert model.card["reported"]["clean_acc"] == 90.57 and model.card["reported"]["autoattack_acc"] == 76.15
    moves(model, x0)
    with pytest.raises(ValueError, match="no cifar10/L2 model 'Nobody2099'"):
        load_model("robustbench:cifar10/L2/Nobody2099")
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    with pytest.raises(synth.ModelUnavailableError, match="Wang2023Better_WRN-70-16.pt"):
        load_model("robustbench:cifar10/L2/Wang2023Better_WRN-70-16")


def test_robustbench_info_is_extracted_from_a_model_info_tree(tmp_path):
    """robustbench_info reads RobustBench's model_info/<dataset>/<threat>/<name>.json layout, accuracies as numbers."""
    from synth.sources import robustbench_info
    d = tmp_path / "model_info" / "cifar10" / "L2"
    d.mkdir(parents=True)
    (d / "Someone2024.json").write_text('{"clean_acc": "91.00", "autoattack_acc": "77.50", "reported": "null", '
                                        '"architecture": "WideResNet-28-10", "eps": "0.5", "footnote": ""}')
    out = tmp_path / "info.json"
    assert robustbench_info.write_info(tmp_path, out) == 1
    entry = json.loads(out.read_text())["models"]["cifar10/L2/Someone2024"]
    assert entry == {"clean_acc": 91.0, "autoattack_acc": 77.5, "architecture": "WideResNet-28-10", "eps": "0.5"}
    with pytest.raises(FileNotFoundError, match="model_info"):
        robustbench_info.extract_info(tmp_path / "nowhere")
