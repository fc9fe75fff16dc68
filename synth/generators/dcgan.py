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

``python -m synth.generators --kind dcgan --name cifar10-dcgan --epochs 20`` trains it (``synth.train.generator``; the
discriminator and the training step are in ``synth.train.generator_steps``).
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
