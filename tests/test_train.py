"""The training command end to end on a tiny CIFAR-layout folder: adversarial training,
checkpoint + resume, the card and weights it writes, and loading them back."""
import json

import pytest
import torch
from PIL import Image

from synth import load_model
from synth.data import CIFAR10_CLASSES
from synth.train import load_size, main


def _cifar_folder(root, per_class=2):
    g = torch.Generator().manual_seed(0)
    for split in ("train", "test"):
        for c, name in enumerate(CIFAR10_CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                # class-coloured noise, so there is something to learn
                base = torch.full((32, 32, 3), 0.1 * c)
                arr = ((base + 0.1 * torch.rand(32, 32, 3, generator=g)).clamp(0, 1) * 255).to(torch.uint8).numpy()
                Image.fromarray(arr).save(root / split / name / f"{i}.png")


def test_train_resume_card_and_load(tmp_path, capsys):
    _cifar_folder(tmp_path / "data")
    args = ["--name", "tiny-l2", "--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10",
            "--eps", "0.5", "--attack-steps", "1", "--eval-steps", "2", "--threads", "1",
            "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")]
    main(args + ["--epochs", "1"])
    assert (tmp_path / "runs" / "tiny-l2" / "last.pt").exists()
    main(args + ["--epochs", "2"])  # resumes at epoch 1 instead of starting over
    assert "resumed tiny-l2 at epoch 1" in capsys.readouterr().out
    card = json.loads((tmp_path / "models" / "tiny-l2.json").read_text())
    assert [e["epoch"] for e in card["training"]["log"]] == [1, 2]
    assert card["robust"] == {"norm": "l2", "eps": 0.5}
    assert card["metrics"]["test_images"] == 20 and 0 <= card["metrics"]["robust_acc"] <= card["metrics"]["clean_acc"]
    assert card["metrics"]["attack"]["steps"] == 2
    model = load_model(str(tmp_path / "models" / "tiny-l2.json"))
    assert list(model.classes) == list(CIFAR10_CLASSES) and tuple(model.input_size) == (32, 32)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)

    # a second cycle from those weights: with a zero learning rate the convolutions stay as they were
    second = ["--name", "tiny-l2-b", "--init-from", str(tmp_path / "models" / "tiny-l2.json"), "--lr", "0",
              "--epochs", "1"] + args[2:]
    main(second)
    again = load_model(str(tmp_path / "models" / "tiny-l2-b.json"))
    before, after = model.state_dict(), again.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.endswith("conv1.weight"))
    card_b = json.loads((tmp_path / "models" / "tiny-l2-b.json").read_text())
    assert card_b["training"]["init_from"]["name"] == "tiny-l2"
    assert [e["epoch"] for e in card_b["training"]["init_from"]["training"]["log"]] == [1, 2]


def test_init_from_other_architecture_fails(tmp_path):
    _cifar_folder(tmp_path / "data", per_class=1)
    with pytest.raises(ValueError, match="width"):
        main(["--name", "x", "--data-root", str(tmp_path / "data"), "--width", "8", "--init-from", "cifar10-l2",
              "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")])
    assert not (tmp_path / "models").exists()


def test_load_size():
    assert load_size("cifar10", 32) == 32
    assert load_size("imagenette", 128) == 144
