"""Train a bundled generator on CIFAR-10: ``python -m synth.generators --kind vae|dcgan --name NAME --epochs E``.

One loop for every kind (each kind's ``*Training`` does one optimisation step per batch): batches of a fixed
per-epoch shuffle with horizontal flips, ``runs/<name>/last.pt`` written at every epoch's end and every
``--checkpoint-minutes`` inside one, so a killed run restarted with the same command resumes where it stopped and
replays the same batches. Writes ``assets/models/<name>.safetensors`` (the generator only) and a JSON card.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from ..sources import ASSETS
from ..generators.dcgan import ConditionalDCGAN
from ..generators.vae import ConditionalVAE
from .generator_steps import DCGANTraining, VAETraining

KINDS = {  # --kind: (generator, its training step, default lr, latent, width)
    "vae": (ConditionalVAE, VAETraining, 2e-3, 64, 32),
    "dcgan": (ConditionalDCGAN, DCGANTraining, 2e-4, 128, 64),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m synth.generators", description=__doc__.split("\n\n")[0])
    p.add_argument("--kind", default="vae", choices=list(KINDS))
    p.add_argument("--name", default=None, help="default: cifar10-cvae (vae), cifar10-dcgan (dcgan)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=None, help="default: 2e-3 (vae, one-cycle peak), 2e-4 (dcgan)")
    p.add_argument("--latent", type=int, default=None)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--limit-train", type=int, default=None, help="use only this many training images (tests)")
    p.add_argument("--runs-dir", default="runs", help="checkpoints (ignored by git)")
    p.add_argument("--checkpoint-minutes", type=float, default=10.0)
    p.add_argument("--out-dir", default=str(ASSETS))
    return p


def batch_order(epoch: int, n: int, seed: int) -> torch.Tensor:
    """Epoch ``epoch``'s shuffle of ``n`` images: the same on a resumed run."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 10_007 + epoch))


def main(argv=None):
    from .. import data
    args = parser().parse_args(argv)
    model_cls, training_cls, lr, latent, width = KINDS[args.kind]
    args.name = args.name or {"vae": "cifar10-cvae", "dcgan": "cifar10-dcgan"}[args.kind]
    args.lr, args.latent, args.width = args.lr or lr, args.latent or latent, args.width or width
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = data.cifar10("train")
    if args.limit_train:
        train = train.subset(args.limit_train)
    steps = len(train) // args.batch_size
    if steps < 1:
        raise SystemExit(f"--batch-size {args.batch_size} is larger than the {len(train)} training images")
    model = model_cls(len(train.classes), args.latent, args.width)
    training = training_cls(model, args.lr, steps * args.epochs)
    ckpt = Path(args.runs_dir) / args.name / "last.pt"
    first_epoch, batch, log, wall, sums_so_far = 0, 0, [], 0.0, {}
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        training.load_state_dict(state["training"])
        first_epoch, batch, log, wall, sums_so_far = state["epoch"], state["batch"], state["log"], state["wall"], state["sums"]
        print(f"resumed {args.name} at epoch {first_epoch + 1}, batch {batch}", flush=True)

    def save(epoch, batch, sums):
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"training": training.state_dict(), "epoch": epoch, "batch": batch, "log": log, "sums": sums,
                    "wall": wall + time.time() - t0, }, ckpt.with_suffix(".tmp"))
        ckpt.with_suffix(".tmp").replace(ckpt)

    t0, last_save = time.time(), time.time()
    for epoch in range(first_epoch, args.epochs):
        order = batch_order(epoch, len(train), args.seed)
        sums, sums_so_far = sums_so_far, {}  # a resumed epoch's sums up to its checkpoint
        for b in tqdm(range(batch, steps), desc=f"{args.name} {epoch + 1}/{args.epochs}", mininterval=30):
            g = torch.Generator().manual_seed(args.seed * 1_000_003 + epoch * steps + b)  # this batch's randomness
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            x, y = train.float(idx), train.labels[idx]
            x = torch.where(torch.rand(len(x), 1, 1, 1, generator=g) < 0.5, x.flip(3), x)
            for k, v in training.step(x, y, g).items():
                sums[k] = sums.get(k, 0.0) + v
            if time.time() - last_save > 60 * args.checkpoint_minutes and b + 1 < steps:
                save(epoch, b + 1, sums)
                last_save = time.time()
        batch = 0
        log.append({"epoch": epoch + 1, **{k: v / steps for k, v in sums.items()},
                    "minutes": (wall + time.time() - t0) / 60})
        print(json.dumps(log[-1]), flush=True)
        save(epoch + 1, 0, {})
        last_save = time.time()
    card = {"name": args.name, "kind": training_cls.kind, "dataset": "cifar10", "classes": list(train.classes),
            "num_classes": len(train.classes), "latent": args.latent, "width": args.width,
            "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, **training_cls.card,
                         "augmentation": "horizontal flip", "seed": args.seed,
                         "wall_minutes": round(log[-1]["minutes"], 1) if log else 0.0,
                         "device": f"cpu, {torch.get_num_threads()} threads",
                         "command": f"python -m synth.generators --kind {args.kind} --name {args.name} --epochs {args.epochs} "
                                        f"--width {args.width} --latent {args.latent} --batch-size {args.batch_size} "
                                        f"--lr {args.lr:g} --seed {args.seed}",
                         "log": log},
            "parameters": sum(p.numel() for p in model.parameters())}
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / f"{args.name}.safetensors"))
    (out / f"{args.name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {out}/{args.name}.safetensors")
