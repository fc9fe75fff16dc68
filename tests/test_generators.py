"""synth.generators: the bundled generators load and sample; the shared training loop trains and resumes."""
import pytest
import torch
from safetensors.torch import load_file

from synth.generators import ConditionalDCGAN, ConditionalVAE, bundled_generators, load_generator
from synth.generators.dcgan import Discriminator
from synth.generators.train import main as train_main


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


def _train(tmp_path, kind, epochs, runs="runs"):
    train_main(["--kind", kind, "--name", "tiny", "--epochs", str(epochs), "--batch-size", "32", "--limit-train", "96",
                "--width", "8", "--latent", "16", "--runs-dir", str(tmp_path / runs), "--out-dir", str(tmp_path / runs / "out")])
    return load_file(str(tmp_path / runs / "out" / "tiny.safetensors"))


def test_dcgan_training_moves_the_generator_and_a_resumed_run_matches_an_uninterrupted_one(tmp_path):
    straight = _train(tmp_path, "dcgan", 2, "a")
    _train(tmp_path, "dcgan", 1, "b")          # stops after epoch 1 (its checkpoint stays in runs/tiny)
    resumed = _train(tmp_path, "dcgan", 2, "b")  # the same command with 2 epochs continues from it
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
    fresh = ConditionalDCGAN(10, 16, 8).state_dict()
    assert any(not torch.equal(fresh[k], straight[k]) for k in fresh if fresh[k].is_floating_point())


def test_vae_training_lowers_its_loss(tmp_path):
    import json
    _train(tmp_path, "vae", 3)
    log = json.loads((tmp_path / "runs" / "out" / "tiny.json").read_text())["training"]["log"]
    assert log[-1]["loss"] < log[0]["loss"]
