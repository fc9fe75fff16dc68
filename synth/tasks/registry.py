"""The task registry: each task module declares a :class:`Task` beside its function, and everything around the
tasks iterates :data:`TASKS` instead of naming them: the command line (``synth.batch.cli``: one subcommand per task,
its options, its batch job), the demo (``app.py``: one tab per task, from ``synth/app/tab_<name>.py``), the
robust-vs-standard bench (``bench/effect.py``: one row per task and bench variant), the latency bench and the
parametrised tests. A new task is its module (function + ``Task``), its preset, its tab and a README line.

A task's inputs are built the same way everywhere from a :class:`Batch` (images in [0, 1] at the model's size,
classes, random streams) by ``Task.prepare``, so the CLI's ``synth translate --images dataset:cifar10/test ...`` and
the bench's translation row run the same call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from ..randomness import Generators


@dataclass
class Batch:
    """What a task's inputs are built from.

    Attributes:
        images: (N, 3, H, W) in [0, 1] at the model's size, or None for tasks that start from seeds or a generator.
        labels: (N,) int64 classes (the inputs' own, or the targets of a task with ``Task.target``), or None: the
            task predicts them where it can.
        generator: one ``torch.Generator`` for the batch or one per sample (``synth.randomness``).
        pairs: (N, 3, H, W) the second image of each pair (``Task.takes == "pairs"``), else None.
    """
    images: torch.Tensor | None
    labels: torch.Tensor | None
    generator: Generators = None
    pairs: torch.Tensor | None = None

    def __len__(self):
        for v in (self.images, self.labels, self.pairs):
            if v is not None:
                return len(v)
        return 0


@dataclass(frozen=True)
class Option:
    """A task-specific input: the CLI's ``--<name>`` and a key of ``prepare``'s ``options``.

    ``kind``: ``int``, ``float``, ``str`` or ``bool`` (a flag); ``default`` None means the task's own default."""
    name: str
    help: str
    kind: type = str
    default: object = None
    required: bool = False


@dataclass(frozen=True)
class BenchRow:
    """One row of ``bench/effect.py`` for a task: the inputs' ``options``, the 32-px ``sweep`` of preset overrides,
    whether the sweep chooses the default (else the row is reported only), ``variant`` the preset variant it is
    measured at (e.g. a seed kind), ``region`` "mask" when only the masked part changes (judged on it), ``psnr``
    when the task restores originals (PSNR of starts and results to them), ``suffix`` its name after the task's."""
    suffix: str = ""
    options: dict = field(default_factory=dict)
    sweep: tuple = ()
    chooses: bool = True
    variant: str | None = None
    region: str | None = None
    psnr: bool = False


@dataclass(frozen=True)
class Task:
    """A task's declaration.

    Attributes:
        name: the function's name; the preset key (``synth.<preset>.<data set>``) unless ``preset`` says otherwise;
            the CLI's subcommand with ``_`` -> ``-``; the tab module ``synth/app/tab_<name>.py``.
        function: ``function(model, **prepare(...), preset=..., generator=..., bf16=..., **overrides)`` -> its result.
        result: the result type (a ``TaskResult`` subclass).
        summary: one plain line: what it does (the CLI's help).
        prepare: ``(model, batch: Batch, options: dict, config: PGDConfig) -> dict`` the function's keyword inputs
            for the batch (``config``: the setting the call will run, e.g. super-resolution's factor).
        start: the result's field holding the images PGD started from (what the bench compares the results to).
        start_title: what the start is called in figures ("seed", "source", "harmonic fill", ...).
        takes: ``"images"`` (--images), ``"classes"`` (a count of samples of --classes), ``"pairs"`` (--images with
            --targets, one call per pair) or ``"images_or_classes"``.
        target: the labels are classes to move *to* (the bench gives each input another class than its own).
        needs_label: the task cannot predict its classes; the CLI asks for --label without labelled inputs.
        options: its :class:`Option` s.
        columns: ``(result, options, batch) -> dict`` extra manifest columns (per-sample lists or shared values).
        strip: the result holds F frames per call, written side by side (interpolation).
        order: position of its tab and subcommand.
        preset: preset key when it is not ``name``.
        variant_option: the option that names the preset variant (generation's seed kind), if any.
        setting: ``(model, preset, overrides, config) -> config`` the setting a call with ``overrides`` really runs,
            for tasks that derive a field from others (boosting's step eps / T); None: ``config`` as it is.
        bench: its rows in ``bench/effect.py`` (empty: not benchmarked).
        aliases: earlier CLI names that still work.
    """
    name: str
    function: Callable
    result: type
    summary: str
    prepare: Callable[..., dict]
    start: str
    start_title: str = "start"
    takes: str = "images"
    target: bool = False
    needs_label: bool = False
    options: tuple = ()
    columns: Callable | None = None
    strip: bool = False
    order: int = 100
    preset: str | None = None
    variant_option: str | None = None
    setting: Callable | None = None
    bench: tuple = (BenchRow(),)
    aliases: tuple = ()

    @property
    def cli(self) -> str:
        """The subcommand: ``super_resolve`` -> ``super-resolve``."""
        return self.name.replace("_", "-")

    @property
    def preset_key(self) -> str:
        return self.preset or self.name

    def config(self, model, preset=None, options: dict | None = None, **overrides):
        """The setting a call runs: ``preset`` (a name, a ``PGDConfig``, or None for the model's default, at the
        variant ``options`` names) with ``overrides``.

        Raises:
            ValueError: an override of a field the task does not read.
        """
        from ._common import config
        variant = (options or {}).get(self.variant_option) if self.variant_option else None
        return config(self.preset_key, model, preset, overrides, variant=variant)

    def __call__(self, model, batch: Batch, options: dict | None = None, *, preset=None, bf16: bool = False,
                 callback=None, **overrides):
        """Run the task on ``batch``: its inputs from ``prepare``, the batch's random streams, ``preset`` (default:
        the model's, at the options' variant) with ``overrides``. Returns the task's result."""
        options = dict(options or {})
        cfg = self.config(model, preset, options, **overrides)
        inputs = self.prepare(model, batch, options, cfg)
        return self.function(model, **inputs, preset=cfg, generator=batch.generator, bf16=bf16, callback=callback)


def ball_sweep(eps_values, steps: int = 60, caps=(None,), extra=()) -> tuple[dict, ...]:
    """A bench sweep at 32 px: radii ``eps_values`` x confidence caps ``caps`` (None: no cap) at the papers' step rule
    2.5 * eps / steps, plus ``extra`` (eps, cap) pairs (``bench/effect.py`` scales radii to larger images)."""
    from ..presets import step_for
    pairs = [(e, c) for e in eps_values for c in caps] + list(extra)
    return tuple({"eps": float(e), "steps": steps, "step_size": round(step_for(e, steps), 4), **({"max_prob": c} if c else {})}
                 for e, c in pairs)


TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add ``task`` to :data:`TASKS` (each task module calls it once, at import).

    Raises:
        ValueError: a second task of that name, or a ``takes`` / ``start`` that is not one of the known kinds.
    """
    if task.name in TASKS and TASKS[task.name] is not task:
        raise ValueError(f"task {task.name!r} is registered twice")
    if task.takes not in ("images", "classes", "pairs", "images_or_classes"):
        raise ValueError(f"{task.name}: takes must be images, classes, pairs or images_or_classes, not {task.takes!r}")
    if task.start not in getattr(task.result, "__dataclass_fields__", {}):
        raise ValueError(f"{task.name}: its result {task.result.__name__} has no field {task.start!r}")
    TASKS[task.name] = task
    return task


def registered() -> list[Task]:
    """Every registered task, in tab order."""
    return sorted(TASKS.values(), key=lambda t: (t.order, t.name))


def by_cli(name: str) -> Task:
    """The task whose subcommand (or an alias of it) is ``name``."""
    for t in TASKS.values():
        if name == t.cli or name in t.aliases:
            return t
    raise KeyError(name)
