import pytest
import torch

from synth.architectures import build


@pytest.mark.parametrize("arch,size", [("resnet18_cifar", 32), ("vgg11_cifar", 32), ("vgg13_cifar", 32), ("mobilenet_v2_cifar", 32),
                                       ("resnet18", 64)])
def test_shapes_and_straight_through(arch, size):
    net = build(arch, 10, width=16).eval()
    x = torch.randn(2, 3, size, size, requires_grad=True)
    rep = net.forward_features(x)
    assert net.fc(rep).shape == (2, 10)
    # the straight-through ReLU has the same value and a gradient for every unit
    st = net.forward_features(x, straight_through=True)
    assert torch.allclose(rep, st, atol=1e-5)
    (g,) = torch.autograd.grad(st[:, 0].sum(), x)
    assert g.abs().sum() > 0


def test_unknown_arch():
    with pytest.raises(ValueError, match="unknown architecture"):
        build("resnet1000", 10)


@pytest.mark.parametrize("arch,size,expect", [("resnet18", 64, "net.layer4"), ("resnet18_cifar", 32, "layer4"),
                                              ("mobilenet_v2", 64, "net.features")])
def test_layer_names_capture_real_feature_maps(arch, size, expect):
    """Every listed stage is reached by the forward pass (torchvision nets are wrapped in ``net``)."""
    from synth.model import RobustClassifier
    model = RobustClassifier(build(arch, 3), (0.5,) * 3, (0.25,) * 3, ["a", "b", "c"], (size, size), "test", None)
    names = model.layer_names()
    assert expect in names
    out = model.outputs(torch.rand(1, 3, size, size), names)
    assert set(out.features) == set(names)


def test_mobilenet_width_is_width_mult_times_64():
    """``width`` scales MobileNetV2's channels like torchvision's width_mult (64 = the original)."""
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    full, half = build("mobilenet_v2_cifar", 10), build("mobilenet_v2_cifar", 10, width=32)
    assert full.net.features[0][0].out_channels == 32 and half.net.features[0][0].out_channels == 16
    assert count(half) < 0.4 * count(full)
