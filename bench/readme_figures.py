"""Pictures a person checks: for every task at its default preset (CIFAR-10, or ``--dataset imagenette``), a grid of start /
robust result / standard result on the same fixed inputs (the inputs of
``bench/effect.py``, one per target class), drawn with nearest-neighbour scaling so the
pixels are visible; plus class-conditional samples of the bundled robust models. Written to
docs/figures/ (the README shows the generation and translation grids).

    python -m bench.readme_figures [--tasks generate_multivariate translate ...]
    python -m bench.readme_figures --dataset imagenette     # docs/figures/effect_imagenette_<task>.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

import synth
from bench.effect import DATASETS, TASKS, Context, RowUnavailable, report_name
from synth import viz

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures"


def one_per_class(inputs, n=10):
    """Indices of the first input of each target class 0..9 (fewer when a class is missing)."""
    first = {}
    for i, y in enumerate(inputs.labels.tolist()):
        first.setdefault(y, i)
    return torch.tensor([first[c] for c in sorted(first)][:n])


def task_grid(ctx, name, path):
    task = TASKS[name]
    inputs = task.inputs(ctx, 100 if task.spec.strip else 200)
    idx = one_per_class(inputs)
    sub = type(inputs)(inputs.starts[idx], inputs.labels[idx],
                       {k: v[idx] if isinstance(v, torch.Tensor) and len(v) == len(inputs.starts) else v
                        for k, v in inputs.args.items()}, None if inputs.originals is None else inputs.originals[idx])
    rows = [sub.starts] + [task.run(m, sub, ctx.preset(task), {}).cpu() for m in (ctx.robust, ctx.standard)]
    generator = task.row.options.get("generator")
    start_name = f"{generator} sample" if generator else task.spec.start_title
    titles = [("to " if task.spec.target or task.spec.takes == "pairs" else "") + ctx.robust.classes[c]
              for c in sub.labels.tolist()]
    # at least one screen pixel per image pixel (the figure is saved at 120 dpi): 32 px drawn 3.75x, 128 px 1.1x
    viz.grid(torch.cat(rows), 3, row_titles=[start_name, "robust", "standard"], col_titles=titles,
             scale=max(1.0, ctx.size / 115), path=path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="cifar10", choices=list(DATASETS))
    p.add_argument("--tasks", nargs="+", default=None, choices=list(TASKS), help="default: every task the data set has")
    args = p.parse_args()
    ctx = Context(args.dataset, None)
    for name in args.tasks or TASKS:
        try:
            task_grid(ctx, name, OUT / f"{report_name(name, args.dataset)}.png")
        except RowUnavailable as err:
            print(f"skipped {name}: {err}")
    if args.dataset != "cifar10":
        return
    res = synth.generate(ctx.robust, torch.arange(10).repeat_interleave(6), generator=torch.Generator().manual_seed(0))
    grid = res.x.view(10, 6, 3, 32, 32).transpose(0, 1).reshape(-1, 3, 32, 32)  # rows = samples, columns = classes
    viz.grid(grid, 6, col_titles=ctx.robust.classes, scale=0.9, path=OUT / "cifar10_samples.png")
    if "imagenette-l2" in synth.bundled_names():
        net = synth.load_model("imagenette-l2")
        res = synth.generate(net, torch.arange(10), generator=torch.Generator().manual_seed(0))
        viz.grid(res.x, 2, col_titles=[f"{net.classes[i].split()[-1]} / {net.classes[i + 5].split()[-1]}" for i in range(5)],
                 scale=1.6, path=OUT / "imagenette_samples.png")
    print("wrote", *sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
