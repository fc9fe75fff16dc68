"""Weak generators to boost with BIGRoC: a small class-conditional VAE for CIFAR-10.

``python -m synth.generators --epochs 20`` trains it on the CPU and writes
``assets/models/cifar10-cvae.safetensors`` with a JSON card; :func:`load_generator` loads
it and :meth:`ConditionalVAE.sample` draws images for given classes. The generator is
only a source of images to improve; nothing in the synthesis code depends on it.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm import tqdm

from .sources import ASSETS


class ConditionalVAE(nn.Module):
    """Conv VAE on 32x32 images with the class (one-hot) given to encoder and decoder.

    Args:
        num_classes: K.
        latent: dimension of z.
        width: channels of the first conv (then x2, x4).
    """

    def __init__(self, num_classes: int = 10, latent: int = 64, width: int = 48):
        super().__init__()
        self.num_classes, self.latent, self.width = num_classes, latent, width
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2), nn.Flatten())
        self.to_stats = nn.Linear(4 * w * 16 + num_classes, 2 * latent)
        self.from_latent = nn.Linear(latent + num_classes, 4 * w * 16)
        self.decoder = nn.Sequential(
            nn.BatchNorm2d(4 * w), nn.ReLU(), nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(), nn.ConvTranspose2d(w, 3, 4, 2, 1))

    def _onehot(self, y):
        return F.one_hot(y, self.num_classes).float()

    def encode(self, x, y):
        mu, logvar = self.to_stats(torch.cat([self.encoder(x * 2 - 1), self._onehot(y)], 1)).chunk(2, 1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, z, y):
        h = self.from_latent(torch.cat([z, self._onehot(y)], 1)).view(-1, 4 * self.width, 4, 4)
        return torch.sigmoid(self.decoder(h))

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z, y), mu, logvar

    @torch.no_grad()
    def sample(self, label: torch.Tensor, generator: torch.Generator | None = None, batch_size: int = 500) -> torch.Tensor:
        """(N, 3, 32, 32) images in [0, 1] for labels (N,) int64, z ~ N(0, I) from ``generator``."""
        self.eval()
        label = torch.as_tensor(label, dtype=torch.long).flatten()
        z = torch.randn(len(label), self.latent, generator=generator)
        dev = next(self.parameters()).device
        return torch.cat([self.decode(z[i:i + batch_size].to(dev), label[i:i + batch_size].to(dev)).cpu()
                          for i in range(0, len(label), batch_size)])


def vae_loss(recon, x, mu, logvar, beta: float = 1.0):
    """Per-batch mean of (sum of squared error * 1/(2 sigma^2) with sigma 0.1) + beta KL."""
    rec = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1) / (2 * 0.1 ** 2)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return (rec + beta * kl).mean(), rec.mean(), kl.mean()


def load_generator(name: str = "cifar10-cvae", device=None) -> ConditionalVAE:
    """A bundled generator by name (card + safetensors in ``assets/models``)."""
    card_path = ASSETS / f"{name}.json"
    if not card_path.exists():
        raise FileNotFoundError(f"no bundled generator {name!r} at {card_path}; train it with python -m synth.generators")
    card = json.loads(card_path.read_text())
    model = ConditionalVAE(card["num_classes"], card["latent"], card["width"])
    model.load_state_dict(load_file(str(card_path.with_suffix(".safetensors"))))
    model.card = card
    return model.to(device or "cpu").eval()


def main(argv=None):
    from . import data
    p = argparse.ArgumentParser(prog="python -m synth.generators", description="Train the CIFAR-10 conditional VAE.")
    p.add_argument("--name", default="cifar10-cvae")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--latent", type=int, default=64)
    p.add_argument("--width", type=int, default=48)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--limit-train", type=int, default=None)
    p.add_argument("--out-dir", default=str(ASSETS))
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train = data.cifar10("train")
    if args.limit_train:
        train = train.subset(args.limit_train)
    model = ConditionalVAE(len(train.classes), args.latent, args.width)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = len(train) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps * args.epochs)
    g, t0, log = torch.Generator().manual_seed(0), time.time(), []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(train), generator=g)
        tot = 0.0
        for b in tqdm(range(steps), desc=f"{args.name} {epoch + 1}/{args.epochs}", mininterval=30):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x, y = train.float(idx), train.labels[idx]
            x = torch.where(torch.rand(len(x), 1, 1, 1, generator=g) < 0.5, x.flip(3), x)
            recon, mu, logvar = model(x, y)
            loss, rec, kl = vae_loss(recon, x, mu, logvar)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item()
        log.append({"epoch": epoch + 1, "loss": tot / steps, "minutes": (time.time() - t0) / 60})
        print(json.dumps(log[-1]), flush=True)
    card = {"name": args.name, "kind": "conditional VAE", "dataset": "cifar10", "classes": list(train.classes),
            "num_classes": len(train.classes), "latent": args.latent, "width": args.width,
            "training": {"epochs": args.epochs, "batch_size": args.batch_size, "optimizer": "Adam, one-cycle",
                         "lr": args.lr, "loss": "Gaussian likelihood (sigma 0.1) + KL", "augmentation": "horizontal flip",
                         "wall_minutes": round((time.time() - t0) / 60, 1), "device": f"cpu, {torch.get_num_threads()} threads",
                         "log": log},
            "parameters": sum(p.numel() for p in model.parameters())}
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / f"{args.name}.safetensors"))
    (out / f"{args.name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {out}/{args.name}.safetensors")


if __name__ == "__main__":
    main()
