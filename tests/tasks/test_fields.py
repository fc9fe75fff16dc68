"""Every task reads every field of its row of ``presets.TASK_FIELDS`` (changing the field changes the images) and
refuses a setting of any other field (no preset field is silently ignored)."""
import pytest
import torch

import synth
from synth.presets import TASK_FIELDS
from synth.tasks import TASKS, Batch

from ..conftest import make_tiny

BASE = dict(steps=3)


def _images(n=2, seed=0):
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def _mask():
    m = torch.zeros(1, 1, 16, 16)
    m[..., 4:12, 4:12] = 1
    return m


# settings the base run needs beyond the task's default (the paper's inpainting objective reads lam and the penalty)
PRESET = {"inpaint": "synth.inpaint.cifar10_paper", "generate": "synth.generate.cifar10_prior"}
OPTIONS = {"paint_features": {"feature": 3}, "interpolate": {"frames": 2}}


def _run(task: str, model, **ov):
    """The task on fixed inputs with ``ov`` over a few-step base setting, through its registry entry; its result."""
    g = torch.Generator().manual_seed(0)
    ov = {**BASE, **ov}
    x = _images()
    if task == "attack":  # the Fig. 2 experiment, not a registered task
        return synth.attack_grid(model, x[:1], targets=["a", "b"], generator=g, **ov)
    spec = TASKS[task]
    labels = torch.tensor([2, 2] if spec.target else [0, 1])
    batch = {"classes": Batch(None, labels, g), "pairs": Batch(x[:1], labels[:1], g, x[1:])}.get(spec.takes, Batch(x, labels, g))
    return spec(model, batch, OPTIONS.get(task, {}), preset=PRESET.get(task), **ov)


# values of each field, the first that differs from the base setting's must change the images (tiny 4-class net, 16 px)
CHANGED = {"norm": ("linf",), "eps": (0.05,), "steps": (1,), "step_size": (0.01,), "random_start": (True,),
           "max_prob": (0.01,), "seed_kind": ("uniform", "univariate"), "lam": (0.0, 5.0), "penalty": ("norm", "mean_squared"),
           "fill": ("harmonic", "mean"), "masked": (True, False), "factor": (2, 4), "upsample": ("nearest", "bicubic"),
           "consistent": (False, True), "activation_scale": (5.0,), "momentum": (0.9,), "noise": (0.05,),
           "step_schedule": ("cosine",), "feature_prior": (0.05,), "feature_prior_start": (0.0,)}
NAMES = [*TASKS, "attack"]  # every registered task, and the attack grid (training: tests/train/test_classifier.py)
CASES = [(t, f) for t in NAMES for f in TASK_FIELDS[t] if not (t == "interpolate" and f == "norm")]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The tiny net on CIFAR-10 (the shipped seeds and presets) with a feature prior of its own in a user folder."""
    folder = tmp_path_factory.mktemp("user")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNTH_SEEDS_DIR", str(folder))
        net = make_tiny(dataset="cifar10")
        images = torch.rand(40, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        synth.priors.fit(net, images, torch.arange(40) % 4, rank=3).save(folder / "priors" / "tiny.safetensors")
        yield net


@pytest.mark.parametrize("task,field", CASES)
def test_each_task_reads_each_of_its_fields(model, task, field):
    base = _run(task, model)
    value = next(v for v in CHANGED[field] if v != getattr(base.config, field))
    changed = _run(task, model, **{field: value})
    assert changed.config.__getattribute__(field) == value or field == "step_size"  # (boost derives its step)
    assert base.x.shape != changed.x.shape or not torch.allclose(base.x, changed.x, atol=1e-6), f"{task} ignored {field}"


def test_every_task_has_its_fields():
    assert set(NAMES) <= set(TASK_FIELDS)


@pytest.mark.parametrize("task", NAMES)
def test_each_task_refuses_a_field_it_does_not_read(model, task):
    field = next(f for f in ("activation_scale", "fill", "max_prob") if f not in TASK_FIELDS[task])
    with pytest.raises(ValueError, match=f"{task} does not use {field}"):
        _run(task, model, **{field: CHANGED[field][0]})


def test_interpolate_refuses_linf(model):
    with pytest.raises(ValueError, match="L2"):
        _run("interpolate", model, norm="linf")
