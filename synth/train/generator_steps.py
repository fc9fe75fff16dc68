"""The training steps of the bundled generators (``synth.train.generator`` runs the loop around them): the VAE's
loss and Adam step, and the DCGAN's projection discriminator with its hinge-loss steps. Training only: sampling the
generators (``synth.generators``) needs none of this."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..generators.dcgan import ConditionalDCGAN
from ..generators.vae import ConditionalVAE


def vae_loss(recon, x, mu, logvar, beta: float = 1.0):
    """Per-batch mean of (sum of squared error * 1/(2 sigma^2) with sigma 0.1) + beta KL."""
    rec = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1) / (2 * 0.1 ** 2)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return (rec + beta * kl).mean(), rec.mean(), kl.mean()


class VAETraining:
    """One Adam step of the VAE's loss per batch (``synth.train.generator`` runs the loop).

    Args:
        model: the VAE.
        lr: Adam's peak learning rate (one-cycle over ``total_steps``).
    """
    kind = "conditional VAE"
    card = {"optimizer": "Adam, one-cycle", "loss": "Gaussian likelihood (sigma 0.1) + KL"}

    def __init__(self, model: ConditionalVAE, lr: float, total_steps: int):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, lr, total_steps=total_steps)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        """x (B, 3, 32, 32) in [0, 1], y (B,) -> this step's losses."""
        self.model.train()
        recon, mu, logvar = self.model(x, y)
        loss, rec, kl = vae_loss(recon, x, mu, logvar)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return {"loss": loss.item()}

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "sched": self.sched.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])


class Discriminator(nn.Module):
    """The discriminator with a class projection: D(x, y) = linear(h) + <embed(y), h>, h its features; spectral
    normalisation on every convolution and the linear layer."""

    def __init__(self, num_classes: int = 10, width: int = 64):
        super().__init__()
        w, sn = width, nn.utils.parametrizations.spectral_norm
        self.features = nn.Sequential(
            sn(nn.Conv2d(3, w, 4, 2, 1)), nn.LeakyReLU(0.1),
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.1),
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.1), nn.Flatten())
        self.linear = sn(nn.Linear(4 * w * 16, 1))
        self.embed = nn.Embedding(num_classes, 4 * w * 16)
        nn.init.normal_(self.embed.weight, std=0.01)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x (N, 3, 32, 32) in [0, 1], y (N,) -> (N,) logits of "real"."""
        h = self.features(x * 2 - 1)
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)


class DCGANTraining:
    """One discriminator and one generator step per batch (``synth.train.generator`` runs the loop); the
    discriminator's gradients from the generator step are cleared before its next step.

    Args:
        model: the generator; the discriminator is made here with the same width.
        lr: Adam's learning rate (constant, as in the DCGAN paper).
    """
    kind = "conditional DCGAN"
    card = {"optimizer": "Adam, betas (0.5, 0.999), constant lr",
            "loss": "hinge loss, spectrally normalised projection discriminator"}

    def __init__(self, model: ConditionalDCGAN, lr: float, total_steps: int):
        self.model = model
        self.discriminator = Discriminator(model.num_classes, model.width)
        self.opt_g = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        """x (B, 3, 32, 32) in [0, 1], y (B,) -> this step's losses (discriminator, generator)."""
        g, d = self.model.train(), self.discriminator.train()
        fake = g.generate(torch.randn(len(x), g.latent, generator=generator), y)
        loss_d = F.relu(1 - d(x, y)).mean() + F.relu(1 + d(fake.detach(), y)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = -d(fake, y).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item()}

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
