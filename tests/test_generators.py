"""synth.generators: the bundled generators load and sample (their training: tests/train/test_generator.py)."""
import pytest
import torch

from synth.generators import ConditionalDCGAN, ConditionalVAE, bundled_generators, load_generator
from synth.train.generator_steps import Discriminator


@pytest.mark.parametrize("cls", [ConditionalVAE, ConditionalDCGAN])
def test_samples_are_images_of_the_asked_shape_and_seeded(cls):
    g = cls(10, 16, 8)
    a = g.sample(torch.tensor([0, 3, 9]), torch.Generator().manual_seed(1))
    b = g.sample(torch.tensor([0, 3, 9]), torch.Generator().manual_seed(1))
    assert a.shape == (3, 3, 32, 32) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b)


def test_dcgan_forward_is_generation_and_depends_on_the_class():
    g = ConditionalDCGAN(10, 16, 8).eval()
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = g(z, torch.tensor([1, 2]))
        assert torch.equal(x, g.generate(z, torch.tensor([1, 2])))
        assert not torch.allclose(x, g(z, torch.tensor([7, 7])))


def test_discriminator_uses_the_class():
    d = Discriminator(10, 8).eval()
    torch.nn.init.normal_(d.embed.weight, std=1.0)
    x = torch.rand(2, 3, 32, 32)
    assert not torch.allclose(d(x, torch.tensor([0, 0])), d(x, torch.tensor([5, 5])))


def test_bundled_generators_load():
    names = bundled_generators()
    assert "cifar10-cvae" in names
    for name in names:
        x = load_generator(name).sample(torch.arange(4), torch.Generator().manual_seed(0))
        assert x.shape == (4, 3, 32, 32) and 0.02 < x.std() < 0.5  # images, not a constant


def test_unknown_generator_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no bundled generator 'nope'.*cifar10-cvae"):
        load_generator("nope")
    with pytest.raises(FileNotFoundError, match="no bundled generator 'cifar10-l2'"):
        load_generator("cifar10-l2")  # a classifier's card
