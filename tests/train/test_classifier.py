"""The training command end to end on a tiny CIFAR-layout folder: adversarial training,
checkpoint + resume, the card and weights it writes, and loading them back."""
import json

import pytest
import torch
from PIL import Image

from synth import load_model
from synth.data import CIFAR10_CLASSES
import torch.nn.functional as F

from synth.train import augment, augment_resized_crop, augment_trivial, cutmix, load_size, main


def _cifar_folder(root, per_class=2, noise=0.1):
    g = torch.Generator().manual_seed(0)
    for split in ("train", "test"):
        for c, name in enumerate(CIFAR10_CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                # class-coloured noise, so there is something to learn
                base = torch.full((32, 32, 3), 0.1 * c)
                arr = ((base + noise * torch.rand(32, 32, 3, generator=g)).clamp(0, 1) * 255).to(torch.uint8).numpy()
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
    main(args + ["--epochs", "2", "--final-eval-size", "8"])  # nothing left to train: evaluates again
    sub = json.loads((tmp_path / "models" / "tiny-l2.json").read_text())["metrics"]
    # PGD on 8 images, clean accuracy still on all 20: the same number as before
    assert (sub["test_images"], sub["robust_test_images"], sub["clean_acc"]) == (20, 8, card["metrics"]["clean_acc"])
    model = load_model(str(tmp_path / "models" / "tiny-l2.json"))
    assert list(model.classes) == list(CIFAR10_CLASSES) and tuple(model.input_size) == (32, 32)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)

    # a second cycle from those weights: with a zero learning rate the convolutions stay as they were
    second = ["--name", "tiny-l2-b", "--init-from", str(tmp_path / "models" / "tiny-l2.json"), "--lr", "0",
              "--epochs", "1"] + args[2:]
    main(second + ["--augment", "resized-crop", "--crop-scale", "0.35"])
    again = load_model(str(tmp_path / "models" / "tiny-l2-b.json"))
    before, after = model.state_dict(), again.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.endswith("conv1.weight"))
    card_b = json.loads((tmp_path / "models" / "tiny-l2-b.json").read_text())
    assert card_b["training"]["init_from"]["name"] == "tiny-l2"
    assert card_b["training"]["augmentation"].startswith("random-resized crop")
    assert "(35-100% of the area" in card_b["training"]["augmentation"]
    assert card["training"]["augmentation"].startswith("random crop")
    assert [e["epoch"] for e in card_b["training"]["init_from"]["training"]["log"]] == [1, 2]


def test_init_from_other_architecture_fails(tmp_path):
    # strong noise: nearly constant images make BatchNorm's variance a difference of nearly equal float32 numbers,
    # which any two summation orders round apart
    _cifar_folder(tmp_path / "data", per_class=4, noise=0.5)
    with pytest.raises(ValueError, match="width"):
        main(["--name", "x", "--data-root", str(tmp_path / "data"), "--width", "8", "--init-from", "cifar10-l2",
              "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")])
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("scale", ["0", "1.5", "-0.2"])
def test_crop_scale_out_of_range_is_refused_before_anything_is_written(tmp_path, scale, capsys):
    with pytest.raises(SystemExit):
        main(["--name", "x", "--augment", "resized-crop", "--crop-scale", scale, "--epochs", "1",
              "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")])
    assert "--crop-scale must be in (0, 1]" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "models").exists()


def test_crop_scale_without_resized_crop_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--name", "x", "--crop-scale", "0.35", "--epochs", "1",
              "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")])
    assert "--crop-scale applies to --augment resized-crop only" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_load_size():
    assert load_size("cifar10", 32) == 32
    assert load_size("imagenette", 128) == 144


def test_resized_crop_whole_image_is_a_resize_and_crops_vary():
    ramp = torch.linspace(0, 1, 144).view(1, 1, 1, 144).expand(4, 3, 144, 144).contiguous()
    g = torch.Generator().manual_seed(0)
    whole = augment_resized_crop(ramp, 128, g, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    resized = F.interpolate(ramp, size=128, mode="bilinear", align_corners=False)
    # flipped images are the mirrored ramp; either way the whole-image box is a plain resize
    assert all(torch.allclose(w, r, atol=0.01) or torch.allclose(w, r.flip(2), atol=0.01) for w, r in zip(whole, resized))
    crops = augment_resized_crop(ramp, 128, g)
    assert crops.shape == (4, 3, 128, 128) and crops.min() >= 0 and crops.max() <= 1
    spans = crops[:, 0, 0, :].amax(1) - crops[:, 0, 0, :].amin(1)
    assert spans.max() - spans.min() > 0.05  # different boxes cover different parts of the ramp


def test_trivial_augment_changes_most_images_and_replays_from_the_generator():
    x = torch.rand(32, 3, 32, 32)
    first = augment_trivial(x, 32, torch.Generator().manual_seed(1))
    assert torch.equal(first, augment_trivial(x, 32, torch.Generator().manual_seed(1)))  # resumable: same seed, same images
    assert first.shape == (32, 3, 32, 32) and first.dtype == torch.float32 and 0 <= first.min() and first.max() <= 1
    cropped = augment(x, 32, torch.Generator().manual_seed(1))  # the same crops and flips, before TrivialAugment
    changed = ((first - cropped).abs().flatten(1).amax(1) > 2 / 255).sum()
    assert changed > 16  # one operation per image; only the identity (1 in 14) and zero strengths leave it as it was


@pytest.mark.parametrize("extra", [[], ["--ema", "0.9"], ["--norm", "linf", "--eps", "0.03", "--attack-random-start"]],
                         ids=["plain", "ema", "linf-random-start"])
def test_resume_inside_an_epoch_replays_the_same_run(tmp_path, monkeypatch, capsys, extra):
    """Killed mid-epoch, the run resumes from the in-epoch checkpoint and ends with exactly the
    weights of an uninterrupted run (same batches, augmentations, optimizer state and weight average)."""
    import synth.train.classifier as train_mod
    from safetensors.torch import load_file
    _cifar_folder(tmp_path / "data")
    common = ["--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--eps", "0.5",
              "--attack-steps", "1", "--eval-steps", "1", "--threads", "1", "--epochs", "2",
              "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")] + extra
    main(["--name", "whole", "--checkpoint-minutes", "1000"] + common)

    calls, real_lr_at = [], train_mod.lr_at

    def dies_at_fourth_batch(progress, peak):
        calls.append(progress)
        if progress == 3 / 4:  # epoch 2, batch 2 of 2 (after the in-epoch checkpoint at its batch 1)
            raise KeyboardInterrupt
        return real_lr_at(progress, peak)
    monkeypatch.setattr(train_mod, "lr_at", dies_at_fourth_batch)
    with pytest.raises(KeyboardInterrupt):
        main(["--name", "cut", "--checkpoint-minutes", "0"] + common)
    monkeypatch.setattr(train_mod, "lr_at", real_lr_at)
    capsys.readouterr()
    main(["--name", "cut", "--checkpoint-minutes", "0"] + common)
    assert "resumed cut at epoch 1, batch 1 of epoch 2" in capsys.readouterr().out
    whole, cut = load_file(tmp_path / "models" / "whole.safetensors"), load_file(tmp_path / "models" / "cut.safetensors")
    assert whole.keys() == cut.keys() and all(torch.equal(whole[k], cut[k]) for k in whole)
    card = json.loads((tmp_path / "models" / "cut.json").read_text())
    assert [e["epoch"] for e in card["training"]["log"]] == [1, 2]
    assert card["training"]["attack"]["random_start"] == ("--attack-random-start" in extra)


def test_ema_ships_the_weight_average_not_the_last_weights(tmp_path):
    from safetensors.torch import load_file
    _cifar_folder(tmp_path / "data")
    main(["--name", "avg", "--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--epochs", "2",
          "--lr", "0.5", "--ema", "0.5", "--threads", "1", "--runs-dir", str(tmp_path / "runs"),
          "--out-dir", str(tmp_path / "models")])
    ck = torch.load(tmp_path / "runs" / "avg" / "last.pt", weights_only=True)
    shipped = load_file(tmp_path / "models" / "avg.safetensors")
    live, average = ck["model"], {k.removeprefix("module."): v for k, v in ck["ema"].items() if k.startswith("module.")}
    assert ck["ema"]["n_averaged"].item() == 4  # one update per optimiser step: 2 epochs x 2 batches
    conv = "net.conv1.weight"
    assert torch.allclose(shipped[conv], average[conv]) and not torch.allclose(shipped[conv], live[conv], atol=1e-4)
    assert all(torch.allclose(shipped[k], average[k].float()) for k in shipped)  # BN statistics averaged too
    card = json.loads((tmp_path / "models" / "avg.json").read_text())
    assert card["training"]["weight_ema"]["decay"] == 0.5


@pytest.mark.parametrize("decay", ["0", "1", "1.5"])
def test_ema_decay_out_of_range_is_refused(tmp_path, decay, capsys):
    with pytest.raises(SystemExit):
        main(["--name", "x", "--ema", decay, "--epochs", "1", "--runs-dir", str(tmp_path / "runs"),
              "--out-dir", str(tmp_path / "models")])
    assert "--ema must be in (0, 1)" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_resuming_a_run_without_ema_with_ema_is_refused(tmp_path):
    # strong noise: nearly constant images make BatchNorm's variance a difference of nearly equal float32 numbers,
    # which any two summation orders round apart
    _cifar_folder(tmp_path / "data", per_class=4, noise=0.5)
    args = ["--name", "x", "--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--threads", "1",
            "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")]
    main(args + ["--epochs", "1"])
    before = (tmp_path / "runs" / "x" / "last.pt").read_bytes()
    with pytest.raises(ValueError, match="without --ema"):
        main(args + ["--epochs", "2", "--ema", "0.9"])
    assert (tmp_path / "runs" / "x" / "last.pt").read_bytes() == before


def test_cutmix_pastes_one_box_of_the_partner_and_reports_the_own_share():
    g = torch.Generator().manual_seed(0)
    x = torch.arange(16, dtype=torch.float32).view(16, 1, 1, 1).expand(16, 3, 24, 20).clone()  # image i is all i
    mixed, partner, own = cutmix(x, 1.0, g)
    is_own, is_partner = mixed == x, mixed == x[partner]
    assert bool((is_own | is_partner).all())  # nothing but the two images
    other = partner != torch.arange(16)  # an image paired with itself is left as it is
    assert int(other.sum()) >= 12
    assert torch.allclose(own[other], is_own[other, 0].flatten(1).float().mean(1))
    assert 0 < own.min() and own.max() <= 1 and own.std() > 0.1  # box sizes vary
    box = ~is_own[:, 0]
    for m in box[other & (own < 1)]:  # the pasted region is one axis-aligned rectangle
        r, c = m.any(1).nonzero().flatten(), m.any(0).nonzero().flatten()
        assert bool(m[r.min():r.max() + 1, c.min():c.max() + 1].all()) and int(m.sum()) == len(r) * len(c)
    same, _, own0 = cutmix(x, 0.0, g)
    assert torch.equal(same, x) and bool((own0 == 1).all())


def test_cutmix_training_run_records_it(tmp_path):
    _cifar_folder(tmp_path / "data")
    main(["--name", "mix", "--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--epochs", "1",
          "--cutmix", "0.5", "--threads", "1", "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")])
    card = json.loads((tmp_path / "models" / "mix.json").read_text())
    assert "CutMix (probability 0.5" in card["training"]["augmentation"]


@pytest.mark.parametrize("bad, message", [(["--cutmix", "1.5"], "--cutmix must be a probability"),
                                          (["--cutmix", "0.5", "--eps", "0.5"], "--cutmix is for standard training")])
def test_cutmix_bad_options_are_refused(tmp_path, bad, message, capsys):
    with pytest.raises(SystemExit):
        main(["--name", "x", "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")] + bad)
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_compiled_training_matches_eager_training(tmp_path):
    """--compile changes the speed, not the run: the same weights (float32) and a card that says so."""
    from safetensors.torch import load_file
    _cifar_folder(tmp_path / "data")
    common = ["--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--epochs", "1",
              "--no-bf16", "--threads", "1", "--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "models")]
    main(["--name", "eager"] + common)
    main(["--name", "compiled", "--compile"] + common)
    main(["--name", "untrained", "--lr", "0"] + common)
    eager, compiled, initial = (load_file(tmp_path / "models" / f"{n}.safetensors") for n in ("eager", "compiled", "untrained"))
    conv = "net.conv1.weight"
    assert not torch.allclose(eager[conv], initial[conv], atol=1e-3)  # training moved the weights
    assert all(torch.allclose(eager[k], compiled[k], atol=1e-4) for k in eager)
    cards = {n: json.loads((tmp_path / "models" / f"{n}.json").read_text())["training"] for n in ("eager", "compiled")}
    assert (cards["eager"]["compiled"], cards["compiled"]["compiled"]) == (False, True)


@pytest.mark.slow
def test_data_parallel_training_on_two_processes_matches_one(tmp_path):
    """torchrun -m synth.train with 2 gloo processes: each takes half of every batch, gradients are averaged and
    BatchNorm statistics are the global batch's, so the weights match one process on the same global batch.

    In the contiguous layout: torch's CPU BatchNorm backward on channels_last tensors is itself ~1% off a float64
    reference (the synchronised BatchNorm is within 1e-5 of it), which two runs would amplify step by step."""
    import os
    import subprocess
    import sys
    from safetensors.torch import load_file
    # strong noise: nearly constant images make BatchNorm's variance a difference of nearly equal float32 numbers,
    # which any two summation orders round apart
    _cifar_folder(tmp_path / "data", per_class=4, noise=0.5)
    common = ["--data-root", str(tmp_path / "data"), "--width", "8", "--batch-size", "10", "--epochs", "1", "--eps", "0.5",
              "--attack-steps", "1", "--no-bf16", "--no-channels-last", "--threads", "1", "--lr", "0.05",
              "--runs-dir", str(tmp_path / "runs"),
              "--out-dir", str(tmp_path / "models"), "--final-eval-size", "10"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", "synth.train", "--name", "one", *common], env=env, capture_output=True,
                         text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master-port",
                          str(29100 + os.getpid() % 300), "-m", "synth.train", "--name", "two", *common],
                         env=env, capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    untrained = subprocess.run([sys.executable, "-m", "synth.train", "--name", "untrained", *common, "--lr", "0"], env=env,
                               capture_output=True, text=True, timeout=300)
    assert untrained.returncode == 0, untrained.stderr[-2000:]
    a, b, u = (load_file(tmp_path / "models" / f"{n}.safetensors") for n in ("one", "two", "untrained"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-4, rtol=1e-4), (k, (a[k] - b[k]).abs().max().item(), (a[k] - u[k]).abs().max().item())
    # the step moved the weights far more than the two runs differ
    moved = max((a[k] - u[k]).abs().max().item() for k in a if k.endswith("weight"))
    differ = max((a[k] - b[k]).abs().max().item() for k in a if k.endswith("weight"))
    assert moved > 50 * differ, (moved, differ)
    assert "running_var" in " ".join(a) and not torch.allclose(a["net.bn1.running_var"], torch.ones_like(a["net.bn1.running_var"]))
    cards = {n: json.loads((tmp_path / "models" / f"{n}.json").read_text())["training"] for n in ("one", "two")}
    assert "2 processes (DistributedDataParallel, BatchNorm synchronised)" in cards["two"]["device"]
    assert cards["two"]["log"][0]["train_acc"] == cards["one"]["log"][0]["train_acc"]  # summed over the processes
