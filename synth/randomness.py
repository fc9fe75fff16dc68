"""Per-sample random streams (as NVlabs/edm's ``StackedRandomGenerator``): wherever a task draws noise (seeds, a
random start), ``generator`` may be one ``torch.Generator`` for the whole batch or a sequence of them, one per
sample. With one per sample, sample i depends only on its own generator, so it is the same in a batch of 1 or of
1,000, on one process or sharded over many (``synth.batch.cli`` seeds generator i with the base seed and i)."""
from __future__ import annotations

from typing import Callable, Sequence, Union

import torch

Generators = Union[torch.Generator, Sequence[torch.Generator], None]


def is_per_sample(generator: Generators) -> bool:
    """Whether ``generator`` is a sequence of generators, one per sample."""
    return isinstance(generator, (list, tuple))


def draw(fn: Callable, shape: tuple, generator: Generators) -> torch.Tensor:
    """``fn(shape, generator=...)`` (``torch.rand`` / ``torch.randn``) on the CPU: at once with one generator, or row by
    row with one generator per sample (``shape[0]`` of them).

    Raises:
        ValueError: a sequence whose length is not ``shape[0]``.
    """
    if is_per_sample(generator):
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for {shape[0]} samples")
        return torch.cat([fn((1, *shape[1:]), generator=g) for g in generator]) if shape[0] else torch.empty(shape)
    return fn(shape, generator=generator)


def per_sample(generators: Generators, index: int) -> torch.Generator | None:
    """The generator of sample ``index``: its own in a per-sample sequence, else the shared one."""
    return generators[index] if is_per_sample(generators) else generators
