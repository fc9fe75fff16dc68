"""Every task reads every field of its row of ``presets.TASK_FIELDS`` (changing the field changes the images) and
refuses a setting of any other field (no preset field is silently ignored)."""
import pytest
import torch

import synth
from synth.presets import TASK_FIELDS

from ..conftest import make_tiny

BASE = dict(steps=3)


def _images(n=2, seed=0):
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def _mask():
    m = torch.zeros(1, 1, 16, 16)
    m[..., 4:12, 4:12] = 1
    return m


def _run(task: str, model, **ov):
    """The task on fixed inputs with ``ov`` over a few-step base setting; its result."""
    g = torch.Generator().manual_seed(0)
    ov = {**BASE, **ov}
    x = _images()
    if task == "generate":
        return synth.generate(model, ["a", "b"], generator=g, **ov)
    if task == "translate":
        return synth.translate(model, x, "c", generator=g, **ov)
    if task == "sketch_to_image":
        return synth.sketch_to_image(model, x, ["a", "b"], generator=g, **ov)
    if task == "attack":
        return synth.attack_grid(model, x[:1], targets=["a", "b"], generator=g, **ov)
    if task == "boost":
        return synth.boost(model, x, ["a", "b"], generator=g, **ov)
    if task == "inpaint":  # the paper's objective: mean fill, penalty, the whole image moves
        return synth.inpaint(model, x, _mask(), label=["a", "b"], preset="synth.inpaint.cifar10_paper", generator=g, **ov)
    if task == "super_resolve":
        factor = ov.get("factor", 4)
        return synth.super_resolve(model, synth.downsample(x, factor), label=["a", "b"], generator=g, **ov)
    if task == "paint_features":
        return synth.paint_features(model, x, _mask(), 3, generator=g, **ov)
    if task == "interpolate":
        return synth.interpolate(model, x[:1], x[1:], fractions=(0.5, 1.0), generator=g, **ov)
    raise KeyError(task)


# values of each field, the first that differs from the base setting's must change the images (tiny 4-class net, 16 px)
CHANGED = {"norm": ("linf",), "eps": (0.05,), "steps": (1,), "step_size": (0.01,), "random_start": (True,),
           "max_prob": (0.01,), "seed_kind": ("uniform", "univariate"), "lam": (0.0, 5.0), "penalty": ("norm", "mean_squared"),
           "fill": ("harmonic", "mean"), "masked": (True, False), "factor": (2, 4), "upsample": ("nearest", "bicubic"),
           "consistent": (False, True), "activation_scale": (5.0,)}
TASKS = [t for t in TASK_FIELDS if t != "train"]  # training reads its fields in synth.train (tests/test_train.py)
CASES = [(t, f) for t in TASKS for f in TASK_FIELDS[t] if not (t == "interpolate" and f == "norm")]


@pytest.fixture(scope="module")
def model():
    return make_tiny(dataset="cifar10")  # the shipped CIFAR-10 seeds and presets


@pytest.mark.parametrize("task,field", CASES)
def test_each_task_reads_each_of_its_fields(model, task, field):
    base = _run(task, model)
    value = next(v for v in CHANGED[field] if v != getattr(base.config, field))
    changed = _run(task, model, **{field: value})
    assert changed.config.__getattribute__(field) == value or field == "step_size"  # (boost derives its step)
    assert base.x.shape != changed.x.shape or not torch.allclose(base.x, changed.x, atol=1e-6), f"{task} ignored {field}"


@pytest.mark.parametrize("task", TASKS)
def test_each_task_refuses_a_field_it_does_not_read(model, task):
    field = next(f for f in ("activation_scale", "fill", "max_prob") if f not in TASK_FIELDS[task])
    with pytest.raises(ValueError, match=f"{task} does not use {field}"):
        _run(task, model, **{field: CHANGED[field][0]})


def test_interpolate_refuses_linf(model):
    with pytest.raises(ValueError, match="L2"):
        _run("interpolate", model, norm="linf")
