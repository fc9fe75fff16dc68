"""synth.measures.evaluation: PGD and AutoAttack verdicts, AutoAttack's standard version for any number of classes."""
import logging

import pytest
import torch

import synth
from synth.measures.evaluation import correct_under_attack, standard_attacks


def test_standard_attacks_follow_the_number_of_classes():
    assert standard_attacks(10) == {"attacks": ["apgd-ce", "apgd-t", "fab-t", "square"], "target_classes": 9}
    assert standard_attacks(1000)["target_classes"] == 9
    assert standard_attacks(5) == {"attacks": ["apgd-ce", "apgd-t", "fab-t", "square"], "target_classes": 4}
    assert standard_attacks(2) == {"attacks": ["apgd-ce", "fab-t", "square"], "target_classes": 1}
    with pytest.raises(ValueError, match="2 classes"):
        standard_attacks(1)


def test_autoattack_standard_runs_on_a_two_class_model(caplog):
    """horse2zebra-l2 has 2 classes: AutoAttack's 9 targets and targeted DLR loss do not exist there. On images that
    PGD-20 breaks it breaks them too, with no warning about impossible targets."""
    model = synth.load_model("horse2zebra-l2")
    test = synth.data.load("horse2zebra", "test", 128)
    idx = torch.arange(0, len(test), 13)[:20]
    x, y = test.images[idx].float() / 255, test.labels[idx]
    eps = model.card["robust"]["eps"]
    pgd = correct_under_attack(model, x, y, norm="l2", eps=eps)
    weak = (~pgd).nonzero().flatten()[:3]
    assert len(weak) >= 1
    with caplog.at_level(logging.WARNING, logger="auto-attack"):
        aa = correct_under_attack(model, x[weak], y[weak], norm="l2", eps=eps, attack="autoattack")
    assert not aa.any()
    assert not [r for r in caplog.records if "target" in r.getMessage() or "DLR" in r.getMessage()]


def test_unknown_attack_is_refused():
    model = synth.load_model("cifar10-l2")
    with pytest.raises(ValueError, match="'pgd' or 'autoattack'"):
        correct_under_attack(model, torch.rand(1, 3, 32, 32), torch.tensor([0]), norm="l2", eps=0.5, attack="cw")
