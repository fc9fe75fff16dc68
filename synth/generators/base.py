"""What every bundled generator is: a class-conditional map from z ~ N(0, I) to 32x32 images in [0, 1]."""
from __future__ import annotations

import torch
from torch import nn

from ..randomness import draw


class ConditionalGenerator(nn.Module):
    """Subclasses set ``latent`` (the dimension of z) and define :meth:`generate`."""
    latent: int

    def generate(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z (N, latent), y (N,) int64 -> (N, 3, 32, 32) images in [0, 1]."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, label: torch.Tensor, generator: torch.Generator | None = None, batch_size: int = 500) -> torch.Tensor:
        """(N, 3, 32, 32) images in [0, 1] for labels (N,) int64, z ~ N(0, I) from ``generator``, in eval mode."""
        self.eval()
        label = torch.as_tensor(label, dtype=torch.long).flatten()
        z = draw(torch.randn, (len(label), self.latent), generator)  # one generator, or one per sample
        dev = next(self.parameters()).device
        return torch.cat([self.generate(z[i:i + batch_size].to(dev), label[i:i + batch_size].to(dev)).cpu()
                          for i in range(0, len(label), batch_size)])
