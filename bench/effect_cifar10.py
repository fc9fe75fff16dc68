"""Does each CIFAR-10 task show the papers' effect? Robust (`cifar10-l2`) and standard
(`cifar10-standard`) results side by side on the same inputs, judged by the independent robust
evaluator (`cifar10-evaluator`, a VGG-13 that no task optimises against), with how far the
images moved, and the criteria of `synth.effect` ((a) the evaluator sees the target in >= 90%
of the robust results, (b) the robust model raises that over the starts by >= 25 points and >= 4x
the standard twin's gain, (c) median L2 moved >= 5, (d) the evaluator's class-conditional FD of
the results at most the starts').

With ``--sweep`` each task runs the settings of its sweep and chooses its default: the lowest
FD among the settings that meet all four criteria; when none does, the lowest FD among those
that show the effect ((a)-(c)); else the setting that meets the most, then the lowest FD. Without
it only the task's current default runs. Each task's table goes into its section of
docs/results.md, the defaults' summary into the README; ``--render`` rewrites both from the
saved reports (after a chosen setting is put into ``synth/presets.py``).

    python -m bench.effect_cifar10 --tasks generate_multivariate translate --sweep [--n 500]
    python -m bench.effect_cifar10            # every task at its default
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass
from typing import Callable

import torch
from tqdm import tqdm

import synth
from bench._report import RESULTS, preset_check, report
from synth.presets import step_for
from synth import data, effect, metrics
from synth.generators import load_generator

SEED_KINDS = ("multivariate", "univariate", "uniform", "mixture")


def _ball_sweep(eps_values, steps=60, caps=(None,), extra=()):
    """Settings ``eps`` x ``max_prob`` with the papers' step rule 2.5 * eps / steps (1 = no cap), plus ``extra``
    (eps, cap) pairs."""
    pairs = [(e, c) for e in eps_values for c in caps] + list(extra)
    return [{"eps": float(e), "steps": steps, "step_size": round(step_for(e, steps), 4), **({"max_prob": c} if c else {})}
            for e, c in pairs]


@dataclass
class Inputs:
    """A task's fixed inputs: starts (N, 3, H, W) in [0, 1], target labels (N,), what the task call needs."""
    starts: torch.Tensor
    labels: torch.Tensor
    args: dict


@dataclass
class Task:
    """How to make a task's inputs and run it on a model with overrides; its sweep; extra measures."""
    preset: str
    inputs: Callable[["Context", int], Inputs]
    run: Callable[..., torch.Tensor]
    sweep: list
    chooses: bool = True          # tasks whose default the criteria choose (inpainting and SR only report)
    extra: Callable | None = None  # (inputs, results, ctx) -> dict of task-specific numbers


class Context:
    """Models and data shared by the tasks (loaded once)."""

    def __init__(self, evaluator: str | None, n_real: int = 2000):
        self.robust, self.standard = synth.load_model("cifar10-l2"), synth.load_model("cifar10-standard")
        test = data.cifar10("test")
        # real reference: the first n_real test images of a fixed shuffle; task inputs come from the rest
        order = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
        self.pool = test.images[order[n_real:]].float() / 255, test.labels[order[n_real:]]
        if evaluator:  # the figures need no judge
            self.evaluator = synth.load_model(evaluator)
            self.real = effect.RealFeatures(self.evaluator, test.images[order[:n_real]].float() / 255, test.labels[order[:n_real]])

    def test_images(self, n):
        x, y = self.pool
        return x[:n], y[:n]


def _other_class(labels, seed=1):
    shift = torch.randint(1, 10, (len(labels),), generator=torch.Generator().manual_seed(seed))
    return (labels + shift) % 10


def _generation(kind: str) -> Task:
    def inputs(ctx, n):
        labels = torch.arange(10).repeat_interleave(n // 10)
        seeds = synth.seeds.for_model(ctx.robust, kind).sample(labels, torch.Generator().manual_seed(0))
        return Inputs(seeds, labels, {"seeds": seeds})

    preset = f"synth.generate.cifar10_{kind}" if kind != "multivariate" else "synth.generate.cifar10"
    # multivariate and mixture seeds start close to the class: smaller radii (multivariate: also the confidence caps and
    # the former default, eps 30 with cap 0.99); univariate and uniform seeds start far from it
    sweep = {"multivariate": _ball_sweep((6, 10, 20), caps=(1, 0.999), extra=[(30, 0.99)]),
             "mixture": _ball_sweep((6, 10, 20)), "univariate": _ball_sweep((10, 20, 30)),
             "uniform": _ball_sweep((10, 20, 30, 40))}[kind]
    return Task(preset, inputs, lambda m, i, p, ov: synth.generate(m, i.labels, seeds=i.args["seeds"], preset=p, bf16=True, **ov).x,
                sweep)


def _translation_inputs(ctx, n):
    x, y = ctx.test_images(n)
    return Inputs(x, _other_class(y), {})


def _sketch_inputs(ctx, n):
    x, y = ctx.test_images(n)
    sketches = synth.edge_sketch(x)
    return Inputs(sketches, y, {})


def _boost_inputs(ctx, n):
    labels = torch.arange(10).repeat_interleave(n // 10)
    samples = load_generator("cifar10-cvae").sample(labels, torch.Generator().manual_seed(0))
    return Inputs(samples, labels, {})


def _inpaint_inputs(ctx, n):
    x, y = ctx.test_images(n)
    mask = synth.random_patch_mask(n, (32, 32), 10, torch.Generator().manual_seed(0))
    return Inputs(synth.harmonic_fill(x, mask), y, {"image": x, "mask": mask})


def _inpaint_extra(i, results, ctx):
    return {k: float(metrics.psnr(x, i.args["image"], i.args["mask"]).mean()) for k, x in results.items()}


def _sr_inputs(ctx, n):
    x, y = ctx.test_images(n)
    low = synth.downsample(x, 4)
    start = synth.super_resolve(ctx.robust, low, steps=0).x.cpu()  # the default's start: bicubic, back-projected
    return Inputs(start, y, {"image": x, "low": low})


def _sr_extra(i, results, ctx):
    return {k: float(metrics.psnr(x, i.args["image"]).mean()) for k, x in results.items()}


def _paint_inputs(ctx, n):
    x, y = ctx.test_images(n)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1  # the centre quarter
    return Inputs(x, _other_class(y), {"mask": mask})


def _paint(model, i, p, ov):
    feature = model.net.fc.weight.argmax(1)[i.labels]  # each model's own strongest unit of the target class
    return synth.paint_features(model, i.starts, i.args["mask"], feature, preset=p, bf16=True, **ov).x


def _interpolation_inputs(ctx, n):
    x, y = ctx.test_images(2 * n)
    return Inputs(x[:n], y[n:], {"target": x[n:]})


def _interpolate(model, i, p, ov, frame=3):
    """The frame at fraction 0.6 of each pair (the middle of the default six)."""
    return torch.cat([synth.interpolate(model, s[None], t[None], preset=p, bf16=True, **ov).x[frame:frame + 1].cpu()
                      for s, t in zip(tqdm(i.starts, leave=False, mininterval=10), i.args["target"])])


TASKS = {
    **{f"generate_{kind}": _generation(kind) for kind in SEED_KINDS},
    "translate": Task("synth.translate.cifar10", _translation_inputs,
                      lambda m, i, p, ov: synth.translate(m, i.starts, i.labels, preset=p, bf16=True, **ov).x,
                      _ball_sweep((5, 10, 15))),
    "sketch_to_image": Task("synth.sketch_to_image.cifar10", _sketch_inputs,
                            lambda m, i, p, ov: synth.sketch_to_image(m, i.starts, i.labels, preset=p, bf16=True, **ov).x,
                            _ball_sweep((6, 10, 15))),
    "boost": Task("synth.boost.cifar10", _boost_inputs,
                  lambda m, i, p, ov: synth.boost(m, i.starts, i.labels, preset=p, bf16=True, **ov).x,
                  [{"eps": e, "steps": 30, **({"max_prob": c} if c else {})} for e, c in ((3.0, 1), (8.0, 1), (8.0, 0.9))]),
    "paint_features": Task("synth.paint_features.cifar10", _paint_inputs, _paint, [], chooses=False),
    "inpaint": Task("synth.inpaint.cifar10", _inpaint_inputs,
                    lambda m, i, p, ov: synth.inpaint(m, i.args["image"], i.args["mask"], preset=p, bf16=True, **ov).x,
                    [], chooses=False, extra=_inpaint_extra),
    "super_resolve": Task("synth.super_resolve.cifar10", _sr_inputs,
                          lambda m, i, p, ov: synth.super_resolve(m, i.args["low"], preset=p, bf16=True, **ov).x,
                          [], chooses=False, extra=_sr_extra),
    "interpolate": Task("synth.interpolate.cifar10", _interpolation_inputs, _interpolate, [], chooses=False),
}


def measure(ctx, task: Task, inputs: Inputs, overrides: dict) -> dict:
    """Run robust and standard on the same inputs with ``overrides``; the comparison and extras."""
    results = {}
    for name, model in (("robust", ctx.robust), ("standard", ctx.standard)):
        results[name] = torch.cat([task.run(model, dataclasses.replace(inputs, starts=inputs.starts[k:k + 250],
                                                                        labels=inputs.labels[k:k + 250],
                                                                        args=_slice(inputs.args, k, len(inputs.starts))),
                                            task.preset, overrides).cpu()
                                   for k in range(0, len(inputs.starts), 250)])
    c = effect.compare(ctx.real, inputs.starts, results["robust"], results["standard"], inputs.labels,
                       standard_judge=ctx.standard)
    out = {"overrides": overrides, "comparison": c, **results}
    if task.extra:
        out["extra"] = task.extra(inputs, {"starts": inputs.starts, **results}, ctx)
    return out


def _slice(args: dict, k: int, n: int) -> dict:
    """Batch k..k+250 of every per-sample tensor in ``args`` (masks of one image broadcast)."""
    return {key: v[k:k + 250] if isinstance(v, torch.Tensor) and len(v) == n else v for key, v in args.items()}


def choose(rows: list[dict]) -> int:
    """Index of the default: the lowest FD among the rows that meet all four criteria; when none does, among those that
    show the effect ((a)-(c): the effect comes before realism, or the rule would pick a sample that barely left its
    seed), the lowest FD; else the most criteria met, then the lowest FD."""
    def key(i):
        c = rows[i]["comparison"]
        effect_shown = all(c.checks[k][2] for k in "abc")
        return (not c.shown, not effect_shown, -sum(ok for *_, ok in c.checks.values()), c.robust.fd)
    return min(range(len(rows)), key=key)


def saved_rows(data_out: dict) -> list[dict]:
    """The rows of a saved report (bench/results/effect_<task>.json) in the form :func:`markdown` takes."""
    return [{"overrides": r["overrides"], "comparison": effect.Comparison.from_dict(r), "extra": r.get("extra")}
            for r in data_out["rows"]]


def setting_text(cfg: synth.presets.PGDConfig) -> str:
    cap = f", cap {cfg.max_prob:g}" if cfg.max_prob not in (None, 1) else ""
    return f"eps {cfg.eps:g}, {cfg.steps} steps, step {cfg.step_size:.3g}{cap}"


def markdown(name: str, task: Task, n: int, rows: list[dict], chosen: int | None, evaluator: str) -> str:
    head = ("| setting | agreement: starts / robust / standard | `cifar10-standard` agrees: robust / standard | "
            "class FD: starts / robust / standard | median L2 moved: robust / standard | mean change /255: robust / standard | "
            + ("PSNR (dB): starts / robust / standard | " if task.extra else "") + "verdict |\n"
            "|---|---|---|---|---|---|" + ("---|" if task.extra else "") + "---|\n")
    lines = []
    for i, r in enumerate(rows):
        c = r["comparison"]
        cfg = synth.presets.resolve(task.preset, **r["overrides"])
        s, ro, st = c.starts, c.robust, c.standard
        mark = " **(default)**" if i == chosen else ""
        extra = (" / ".join(f"{r['extra'][k]:.2f}" for k in ("starts", "robust", "standard")) + " | ") if task.extra else ""
        lines.append(f"| {setting_text(cfg)}{mark} | {100 * s.agreement:.1f} / **{100 * ro.agreement:.1f}** / {100 * st.agreement:.1f}% "
                     f"| {100 * ro.agreement_standard:.1f} / {100 * st.agreement_standard:.1f}% "
                     f"| {s.fd:.1f} / **{ro.fd:.1f}** / {st.fd:.1f} | {ro.median_l2:.2f} / {st.median_l2:.2f} "
                     f"| {ro.mean_change:.1f} / {st.mean_change:.1f} | {extra}{effect.verdict(c)} |")
    text = (f"`{name}`: {n} inputs, preset `{task.preset}`; agreement and class-conditional FD in `{evaluator}`'s eyes "
            f"(FD to its features of 2,000 real test images, per target class, averaged). ")
    if chosen is not None:
        c = rows[chosen]["comparison"]
        cfg = synth.presets.resolve(task.preset, **rows[chosen]["overrides"])
        shows = all(c.checks[k][2] for k in "abc")
        rule = ("the lowest FD of the settings that meet (a)-(d)" if c.shown else
                "no setting meets all four; the lowest FD of those that show the effect ((a)-(c)): it " + effect.verdict(c)
                if shows else "no setting shows the effect; the one that meets the most criteria, then the lowest FD: it "
                + effect.verdict(c))
        text += f"Default chosen: {setting_text(cfg)}, by {rule}. " + preset_check(task.preset, cfg.eps, cfg.max_prob) + " "
    return text + "\n\n" + head + "\n".join(lines)


def _setting(cfg: synth.presets.PGDConfig) -> synth.presets.PGDConfig:
    """``cfg`` without its source text, a cap of 1 written as no cap: what makes two settings the same."""
    return dataclasses.replace(cfg, source="", max_prob=None if cfg.max_prob in (None, 1) else cfg.max_prob)


def summary() -> str:
    """The README's table: each task at its default (the chosen row of a sweep, else its only row), from the saved reports."""
    lines, evaluator = [], "cifar10-evaluator"
    for name, task in TASKS.items():
        path = RESULTS / f"effect_{name}.json"
        if not path.exists():
            continue
        d = json.loads(path.read_text())
        rows = saved_rows(d)
        current = _setting(synth.presets.resolve(task.preset))
        default = [i for i, r in enumerate(rows) if _setting(synth.presets.resolve(task.preset, **r["overrides"])) == current]
        if not default:
            lines.append(f"| {name} | `{task.preset}` not measured at its current setting: run the bench | | | | |")
            continue
        c = rows[default[0]]["comparison"]
        s, ro, st = c.starts, c.robust, c.standard
        lines.append(f"| {name} | {setting_text(current)} | {100 * s.agreement:.0f} / **{100 * ro.agreement:.0f}** / "
                     f"{100 * st.agreement:.0f}% | {s.fd:.1f} / **{ro.fd:.1f}** / {st.fd:.1f} | "
                     f"{ro.median_l2:.1f} / {st.median_l2:.1f} | {effect.verdict(c) if task.chooses else 'reported only'} |")
        evaluator = d["evaluator"]
    return ("Each CIFAR-10 task at its default preset, the robust `cifar10-l2` and its standard twin `cifar10-standard` on the "
            f"same inputs, judged by the independent robust `{evaluator}` (full tables with every setting tried and the "
            "`cifar10-standard` judge's column: [docs/results.md](docs/results.md)).\n\n"
            "| task | default | evaluator agrees: starts / robust / standard | class FD: starts / robust / standard | "
            "median L2 moved: robust / standard | (a)-(d) |\n|---|---|---|---|---|---|\n" + "\n".join(lines))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    p.add_argument("--sweep", action="store_true", help="run each task's sweep and choose its default")
    p.add_argument("--n", type=int, default=500, help="inputs per task (a multiple of 10)")
    p.add_argument("--evaluator", default="cifar10-evaluator")
    p.add_argument("--n-real", type=int, default=2000)
    p.add_argument("--threads", type=int, default=None, help="torch threads (1 beside a training run on 2 cores)")
    p.add_argument("--render", action="store_true",
                   help="only rewrite docs/results.md from bench/results/effect_*.json (e.g. after setting a chosen preset)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.render:
        for name in args.tasks:
            path = RESULTS / f"effect_{name}.json"
            if path.exists():
                d = json.loads(path.read_text())
                report(f"effect_{name}", d, markdown(name, TASKS[name], d["n"], saved_rows(d), d["chosen"], d["evaluator"]),
                       doc="docs/results.md", measured=d["measured"], machine=d["machine"], script=d.get("script"))
        report("effect_summary", {}, summary())
        return
    ctx = Context(args.evaluator, args.n_real)
    for name in args.tasks:
        task = TASKS[name]
        n = min(args.n, 100) if name == "interpolate" else args.n
        inputs = task.inputs(ctx, n)
        settings = task.sweep if args.sweep and task.sweep else [{}]
        rows = []
        for ov in settings:
            rows.append(measure(ctx, task, inputs, ov))
            print(name, ov, effect.verdict(rows[-1]["comparison"]), rows[-1]["comparison"].as_dict()["robust"], flush=True)
        chosen = choose(rows) if args.sweep and task.chooses and task.sweep else None
        data_out = {"n": n, "evaluator": args.evaluator, "preset": task.preset, "chosen": chosen, "sweep": args.sweep,
                    "rows": [{"overrides": r["overrides"], **r["comparison"].as_dict(), "extra": r.get("extra")} for r in rows]}
        report(f"effect_{name}", data_out, markdown(name, task, n, rows, chosen, args.evaluator), doc="docs/results.md")
    report("effect_summary", {}, summary())


if __name__ == "__main__":
    main()
