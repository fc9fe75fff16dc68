"""Robust accuracy as the field measures it: PGD (this project's ``synth.pgd``) and AutoAttack (Croce & Hein 2020,
the RobustBench protocol) through its maintained implementation (PyPI ``pyautoattack``, the authors' code)."""
from __future__ import annotations

import torch

from ..constraints import ball
from ..objectives import class_score
from ..pgd import PGDResult, pgd
from ..presets import step_for

AUTOATTACK_NORMS = {"l2": "L2", "linf": "Linf"}


def standard_attacks(num_classes: int) -> dict:
    """AutoAttack's standard version for a ``num_classes``-way classifier: APGD-CE, APGD-T and FAB-T with 9 target
    classes each, and Square (5,000 queries). Below 10 classes each targeted attack tries the ``K - 1`` there are, and
    below 4 APGD-T is left out (its targeted DLR loss needs 4 classes), e.g. for the 2-class horse2zebra model.

    Returns:
        ``{"attacks": [...], "target_classes": int}`` as AutoAttack names them.
    """
    if num_classes < 2:
        raise ValueError(f"an attack needs at least 2 classes, not {num_classes}")
    targets = min(9, num_classes - 1)
    return {"attacks": ["apgd-ce", *(["apgd-t"] if num_classes >= 4 else []), "fab-t", "square"],
            "target_classes": targets}


def pgd_attack(model, x: torch.Tensor, y: torch.Tensor, norm: str, eps: float, steps: int, step_size: float,
               bf16: bool = False, start: torch.Tensor | None = None) -> PGDResult:
    """Untargeted PGD: maximise the cross-entropy of the true labels ``y`` inside the ball around ``x``
    ((N, 3, H, W) in [0, 1]); the attack of adversarial training and of the PGD evaluations. It starts at ``x``, or
    at ``start`` (same shape, e.g. a random point of the ball, ``ball(norm, eps).random_start(x, x, generator)``:
    FGSM with a random start, Wong et al. 2020)."""
    return pgd(model, x if start is None else start, -class_score(y), ball(norm, eps), steps=steps,
               step_size=step_size, anchor=x, bf16=bf16)


def correct_under_attack(model, x: torch.Tensor, y: torch.Tensor, *, norm: str, eps: float, attack: str = "pgd",
                         steps: int = 20, version: str = "standard", attacks: list[str] | None = None, seed: int = 0,
                         bf16: bool = False) -> torch.Tensor:
    """Which images stay correctly classified under the attack.

    Args:
        model: a ``RobustClassifier`` ([0, 1] images in, logits out).
        x: (N, 3, H, W) images in [0, 1]; y: (N,) labels.
        norm, eps: threat model and radius on [0, 1] images.
        attack: ``"pgd"`` (untargeted, ``steps`` steps of ``2.5 eps / steps``, no random start) or ``"autoattack"``.
        version, attacks: AutoAttack's ``version`` (``standard``: APGD-CE, APGD-T, FAB-T, Square, RobustBench's
            protocol; with fewer than 10 classes as :func:`standard_attacks` says) or ``custom`` with the list
            ``attacks`` (e.g. ``["apgd-ce"]``).

    Returns:
        (N,) bool.
    """
    model.eval()
    if eps <= 0:
        with torch.no_grad():
            return model(x).argmax(1) == y
    if attack == "pgd":
        return pgd_attack(model, x, y, norm, eps, steps, step_for(eps, steps), bf16).logits.argmax(1) == y
    if attack != "autoattack":
        raise ValueError(f"attack must be 'pgd' or 'autoattack', not {attack!r}")
    try:
        from pyautoattack import AutoAttack
    except ModuleNotFoundError:
        raise ModuleNotFoundError("AutoAttack is not installed: pip install pyautoattack") from None
    adversary = AutoAttack(model, norm=AUTOATTACK_NORMS[norm], eps=eps, version=version, seed=seed, device=x.device,
                           attacks=attacks if version == "custom" else None)
    adversary.verbose = False
    if version == "standard":
        with torch.no_grad():
            plan = standard_attacks(model(x[:1]).shape[1])
        adversary.attacks_to_run = plan["attacks"]
        adversary.apgd_targeted.n_target_classes = adversary.fab.n_target_classes = plan["target_classes"]
    x_adv, _ = adversary.run_standard_evaluation(x, y, batch_size=len(x))
    with torch.no_grad():
        return model(x_adv.to(x.device)).argmax(1) == y
