"""BIGRoC's middle row of Table 2 (unconditional there): a DCGAN (Radford et al., 2016) for 32x32 images, class-conditional so that the
boost's target is the class it was asked for (BIGRoC boosts an unconditional GAN toward the classifier's prediction;
``boost`` does that when no label is given).

Generator: z ~ N(0, I) and the one-hot class -> 4x4 x 4w -> three stride-2 transposed convolutions with BatchNorm
and ReLU -> tanh (the DCGAN paper's generator). Discriminator: three stride-2 convolutions with LeakyReLU and
spectral normalisation instead of BatchNorm, and a projection term for the class (Miyato & Koyama, 2018); hinge
loss, Adam 2e-4, betas (0.5, 0.999), one discriminator step per generator step. The first recipe tried here (the
paper's BatchNorm discriminator, non-saturating loss, a learned 128-d class embedding at the generator's input)
collapsed on CIFAR-10 within 6 epochs: per class one image whatever z (per-pixel std over z 0.013). Only the
generator is bundled.

``python -m synth.generators --kind dcgan --name cifar10-dcgan --epochs 20`` trains it (``synth.train.generator``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import ConditionalGenerator


class ConditionalDCGAN(ConditionalGenerator):
    """The DCGAN generator.

    Args:
        num_classes: K.
        latent: dimension of z.
        width: w, the channels of the last hidden layer (then 2w, 4w towards the input).
    """

    def __init__(self, num_classes: int = 10, latent: int = 128, width: int = 64):
        super().__init__()
        self.num_classes, self.latent, self.width = num_classes, latent, width
        w = width
        self.project = nn.Linear(latent + num_classes, 4 * w * 16)
        self.net = nn.Sequential(
            nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, 3, 4, 2, 1), nn.Tanh())

    def generate(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z (N, latent), y (N,) int64 -> (N, 3, 32, 32) images in [0, 1]."""
        h = self.project(torch.cat([z, F.one_hot(y, self.num_classes).to(z.dtype)], 1)).view(-1, 4 * self.width, 4, 4)
        return (self.net(h) + 1) / 2

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """A GAN generator's forward pass: :meth:`generate`."""
        return self.generate(z, y)


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
