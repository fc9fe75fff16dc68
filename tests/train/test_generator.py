"""synth.train.generator: the one training loop of the generators trains and resumes."""
import json

import torch
from safetensors.torch import load_file

from synth.generators import ConditionalDCGAN
from synth.train.generator import main as train_main


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
    _train(tmp_path, "vae", 3)
    log = json.loads((tmp_path / "runs" / "out" / "tiny.json").read_text())["training"]["log"]
    assert log[-1]["loss"] < log[0]["loss"]
