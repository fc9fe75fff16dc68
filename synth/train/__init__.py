"""Training, the project's own models (the periphery: nothing in synthesis imports it).

- :mod:`synth.train.classifier`: standard and adversarial training of classifiers,
  ``python -m synth.train --name NAME ...`` (``torchrun ... -m synth.train`` for several processes).
- :mod:`synth.train.ddp`: data-parallel training with synchronised BatchNorm on the CPU and CUDA.
- :mod:`synth.train.generator`: the generators BIGRoC boosts, ``python -m synth.generators --kind vae|dcgan``;
  their loss, discriminator and per-batch steps in :mod:`synth.train.generator_steps`.
"""
from .classifier import augment, augment_resized_crop, augment_trivial, center, cutmix, evaluate, load_size, main

__all__ = ["main", "evaluate", "center", "load_size", "augment", "augment_resized_crop", "augment_trivial", "cutmix"]
