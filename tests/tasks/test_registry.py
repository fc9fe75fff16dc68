"""The task registry: every registered task has all its parts (function, result, preset on each data set, fields,
CLI subcommand, app tab with its API request, bench row, README line), runs through its declaration, and the
registry refuses a malformed declaration."""
import ast
import dataclasses
import importlib
from pathlib import Path

import pytest
import torch

import synth
from synth.presets import PRESETS, TASK_FIELDS
from synth.tasks import TASKS, Batch, registered
from synth.tasks.registry import by_cli, register

from ..conftest import make_tiny

ROOT = Path(__file__).resolve().parents[2]
TASK_LIST = registered()


def test_the_registry_holds_the_papers_tasks_and_colorization():
    assert {"generate", "inpaint", "translate", "super_resolve", "sketch_to_image", "paint_features", "boost", "interpolate",
            "colorize"} <= set(TASKS)
    assert [t.order for t in TASK_LIST] == sorted(t.order for t in TASK_LIST)


@pytest.mark.parametrize("task", TASK_LIST, ids=lambda t: t.name)
def test_every_task_has_all_its_parts(task):
    assert getattr(synth, task.name) is task.function  # exported from the package
    assert task.start in {f.name for f in dataclasses.fields(task.result)}
    assert task.preset_key in TASK_FIELDS
    for dataset in ("cifar10", "imagenette"):
        assert f"synth.{task.preset_key}.{dataset}" in PRESETS, dataset
    from synth.batch.cli import parser
    commands = parser()._subparsers._group_actions[0].choices
    assert task.cli in commands and by_cli(task.cli) is task
    tab = importlib.import_module(f"synth.app.tab_{task.name}")
    assert tab.TITLE and tab.BUTTON and callable(tab.build) and callable(tab.api_request)
    import app
    assert tab in app.tabs()
    from bench.effect import TASKS as ROWS
    assert any(row.spec is task for row in ROWS.values())
    assert f"| {tab.TITLE} |" in (ROOT / "README.md").read_text(), "the README's table of tabs"


@pytest.mark.parametrize("task", TASK_LIST, ids=lambda t: t.name)
def test_every_task_runs_through_its_declaration(task):
    """Its ``prepare`` builds inputs its function takes from a batch of images and classes; the result is its type,
    starts where the declaration says, and keeps the batch's images (or one strip of frames)."""
    model = make_tiny(dataset="cifar10")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 16, 16, generator=g)
    labels = torch.tensor([1, 2])
    batch = {"classes": Batch(None, labels, g), "pairs": Batch(x[:1], labels[:1], g, x[1:])}.get(task.takes, Batch(x, labels, g))
    options = {"paint_features": {"feature": 0}}.get(task.name, {})
    res = task(model, batch, options, steps=2)
    assert isinstance(res, task.result)
    start = getattr(res, task.start)
    assert start.shape[1:] == (3, 16, 16) and res.x.shape[1:] == (3, 16, 16)
    assert len(res.x) == (len(res.fractions) if task.strip else len(batch))
    if task.columns:
        assert isinstance(task.columns(res, options, batch), dict)


def test_register_refuses_a_second_task_of_a_name_and_a_start_its_result_lacks():
    spec = TASKS["translate"]
    with pytest.raises(ValueError, match="registered twice"):
        register(dataclasses.replace(spec))
    with pytest.raises(ValueError, match="no field"):
        register(dataclasses.replace(spec, name="translate_again", start="nowhere"))
    with pytest.raises(ValueError, match="takes"):
        register(dataclasses.replace(spec, name="translate_again", takes="videos"))
    assert "translate_again" not in TASKS


def test_the_cli_names_follow_the_tasks_and_keep_the_old_ones():
    assert by_cli("super-resolve") is TASKS["super_resolve"]
    assert by_cli("sketch") is by_cli("sketch-to-image") is TASKS["sketch_to_image"]
    assert by_cli("paint") is TASKS["paint_features"]
    with pytest.raises(KeyError):
        by_cli("teleport")


def test_a_task_module_needs_no_list_elsewhere():
    """The package finds task modules itself: outside a task's own module, its tab and the presets, no code of the
    package, app.py or the generic benches names a task in a string (no tab list, no subcommand table, no bench rows
    kept by hand) or imports its tab."""
    names = {*TASKS, *(n.replace("_", "-") for n in TASKS)}
    files = [*(ROOT / "synth").rglob("*.py"), ROOT / "app.py", ROOT / "bench" / "effect.py", ROOT / "bench" / "app_latency.py"]
    allowed = {ROOT / "synth" / "presets.py", *(ROOT / "synth" / "tasks" / f"{n}.py" for n in TASKS),
               *(ROOT / "synth" / "app" / f"tab_{n}.py" for n in TASKS)}
    named = []
    for path in set(files) - allowed:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                v = node.value
                if v in names or any(v in (f"tab_{n}", f".tab_{n}") or v.startswith(f"synth.{n}.") for n in TASKS):
                    named.append(f"{path.relative_to(ROOT)}:{node.lineno} {v!r}")
    assert not named, named
    assert len(files) > 50  # the package was read
