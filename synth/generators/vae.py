"""The weakest generator BIGRoC boosts (its Table 2's VAE row, unconditional there): a small class-conditional conv VAE for 32x32 images.

``python -m synth.generators --kind vae --name cifar10-cvae --epochs 15`` trains it (``synth.train.generator``; its loss and
training step are in ``synth.train.generator_steps``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import ConditionalGenerator


class ConditionalVAE(ConditionalGenerator):
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

    def generate(self, z, y):
        return self.decode(z, y)

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z, y), mu, logvar
