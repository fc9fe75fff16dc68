"""Any PyTorch classifier as a synth model: :func:`wrap` (``synth.wrap``)."""
from __future__ import annotations

import torch
from torch import nn

from ..architectures import GenericBackbone
from ..model import RobustClassifier, Robustness


def wrap(module: nn.Module, *, mean, std, classes, input_size, robust: Robustness | tuple | None = None,
         dataset: str = "custom", name: str = "wrapped", card: dict | None = None) -> RobustClassifier:
    """A classifier on normalised images -> a :class:`RobustClassifier` every task and app tab takes.

    R(x), the representation feature painting and interpolation use, is found automatically: the input of the
    network's final ``nn.Linear`` (see :class:`synth.architectures.GenericBackbone`). The module is modified in
    place (its head is moved out) and put in eval mode.

    Args:
        module: maps (N, 3, H, W) normalised images to (N, K) logits.
        mean, std: the per-channel normalisation it expects (applied inside the wrapper: tasks pass [0, 1] images).
        classes: K class names (or ``range(K)``).
        input_size: (H, W) or one int.
        robust: how it was adversarially trained, ``Robustness("l2", 3.0)`` or ``("l2", 3.0)``; None = standard.
        dataset: the training data set's name (picks the tasks' default presets when synth has presets for it).

    Raises:
        ValueError: no ``nn.Linear`` head, or the network's output is not the head's (e.g. a head after a
        non-linear layer), or the class count differs from the head's.
    """
    size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    classes = [str(c) for c in classes]
    module.eval()
    probe = torch.rand(2, 3, *size, generator=torch.Generator().manual_seed(0))
    param = next(module.parameters(), None)
    probe = probe.to(param.device if param is not None else "cpu")
    norm = (probe - torch.as_tensor(mean, device=probe.device).view(1, -1, 1, 1)) / torch.as_tensor(
        std, device=probe.device).view(1, -1, 1, 1)
    with torch.no_grad():
        reference = module(norm)
    backbone = GenericBackbone(module)
    if backbone.fc.out_features != len(classes):
        raise ValueError(f"the head {backbone.head_name} has {backbone.fc.out_features} outputs, but {len(classes)} "
                         f"class names were given")
    with torch.no_grad():
        again = backbone.fc(backbone.forward_features(norm))
    if not torch.allclose(again, reference, atol=1e-4, rtol=1e-4):
        raise ValueError(f"the network's output is not its last nn.Linear's ({backbone.head_name}); pass a model whose "
                         "logits come straight from a linear head")
    if isinstance(robust, tuple):
        robust = Robustness(*robust)
    model = RobustClassifier(backbone, mean, std, classes, size, dataset, robust, name,
                             {"source": "synth.wrap", "head": backbone.head_name, **(card or {})})
    return model.eval()
