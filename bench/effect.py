"""Does each task show the papers' effect? The bundled robust model and its standard twin side by
side on the same inputs (CIFAR-10: `cifar10-l2` / `cifar10-standard`; Imagenette at 128 px:
`imagenette-l2` / `imagenette-standard`), judged by the data set's independent robust evaluator
(`cifar10-evaluator`, `imagenette-evaluator`: VGG-13s that no task optimises against), with how
far the images moved, and the criteria of `synth.measures.effect` ((a) the evaluator sees the target in
>= 90% of the robust results, (b) the robust model raises that over the starts by >= 25 points
and >= 4x the standard twin's gain, (c) median L2 moved >= 5 at 32 px, scaled by sqrt(pixels /
1024), so >= 20 at 128 px, (d) the evaluator's class-conditional FD of the results at most the
starts').

With ``--sweep`` each task runs the settings of its sweep and chooses its default: the lowest
FD among the settings that meet all four criteria; when none does, the lowest FD among those
that show the effect ((a)-(c)); else the setting that meets the most, then the lowest FD. Without
it only the task's current default runs. Each task's table goes into its section of
docs/results.md, the defaults' summary into the README; ``--render`` rewrites both from the
saved reports (after a chosen setting is put into ``synth/presets.py``). The sweeps are written
at 32 px; on a larger data set every radius is scaled by sqrt(H * W) / 32 (x4 at 128 px).

    python -m bench.effect --tasks generate_multivariate translate --sweep [--n 500]
    python -m bench.effect                    # every CIFAR-10 task at its default
    python -m bench.effect --dataset imagenette --sweep --n 200
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
from synth import data
from synth import metrics
from synth.measures import effect
import synth.generators
from synth.tasks import registry


@dataclass(frozen=True)
class Dataset:
    """A data set the bench runs on: its bundled robust model, standard twin and evaluator, its test images (a row
    whose inputs the data set cannot give, e.g. a generator or seed kind fitted only for CIFAR-10, is skipped)."""
    robust: str
    standard: str
    evaluator: str
    test: Callable[[], "data.ImageSet"]
    size: int
    batch: int       # images per task call
    caps: bool = True  # sweep the confidence caps too (they stop CIFAR-10 samples ~2 from their seeds: not repeated at 128 px)

    @property
    def scale(self) -> float:
        """Radii scale with sqrt(pixel count): sqrt(H * W) / 32."""
        return self.size / 32


DATASETS = {
    "cifar10": Dataset("cifar10-l2", "cifar10-standard", "cifar10-evaluator", lambda: data.cifar10("test"), 32, 250),
    "imagenette": Dataset("imagenette-l2", "imagenette-standard", "imagenette-evaluator",
                          lambda: data.imagenette("val", 128), 128, 50, caps=False),
}


def scaled(setting: dict, scale: float) -> dict:
    """A 32-px sweep setting at images sqrt(H * W) / 32 = ``scale`` times larger: eps and step size times ``scale``."""
    if scale == 1:
        return setting
    return {**setting, **{k: round(setting[k] * scale, 4) for k in ("eps", "step_size") if k in setting}}


class RowUnavailable(Exception):
    """A bench row the data set cannot run (its generator is another data set's, its seed kind is not fitted)."""


@dataclass
class Inputs:
    """A row's fixed inputs: ``starts`` (N, 3, H, W) in [0, 1] where PGD starts, ``labels`` (N,) the classes the
    results should show, ``args`` the task's keyword inputs (``Task.prepare``), ``originals`` (N, 3, H, W) the
    images the inputs were made from (PSNR of tasks that restore), or None."""
    starts: torch.Tensor
    labels: torch.Tensor
    args: dict
    originals: torch.Tensor | None = None


@dataclass
class Task:
    """A bench row of a registered task (``synth.tasks.registry``): its inputs from the test images, its run on a model
    with overrides, its sweep and what it is judged on."""
    spec: registry.Task
    row: registry.BenchRow

    @property
    def sweep(self) -> list:
        return list(self.row.sweep)

    @property
    def chooses(self) -> bool:
        return self.row.chooses and bool(self.row.sweep)

    @property
    def region(self) -> str | None:
        return self.row.region

    @property
    def extra(self):
        return _psnr if self.row.psnr else None

    def preset(self, dataset: str) -> str:
        """The preset the row runs on ``dataset``: the task's, at the row's variant where that exists."""
        base = f"synth.{self.spec.preset_key}.{dataset}"
        variant = f"{base}_{self.row.variant}" if self.row.variant else base
        return variant if variant in synth.presets.PRESETS else base

    def target_preset(self, dataset: str) -> str:
        """Where the row's chosen setting belongs (it may not exist yet)."""
        base = f"synth.{self.spec.preset_key}.{dataset}"
        return f"{base}_{self.row.variant}" if self.row.variant else base

    def inputs(self, ctx: "Context", n: int) -> Inputs:
        """``n`` inputs (a multiple of the class count for tasks that start from classes) built by the task's
        ``prepare`` from the test images or classes, with one random stream (seed 0) for the whole set.

        Raises:
            RowUnavailable: the data set cannot give the row's inputs.
        """
        spec, k = self.spec, len(ctx.robust.classes)
        options = dict(self.row.options)
        images = pairs = None
        if spec.takes == "classes" or (spec.takes == "images_or_classes" and options.get("generator")):
            labels = torch.arange(k).repeat_interleave(n // k)
            if options.get("generator"):
                card = synth.generators.ASSETS / f"{options['generator']}.json"
                if not card.exists() or json.loads(card.read_text()).get("dataset") != ctx.name:
                    raise RowUnavailable(f"no bundled {options['generator']} for {ctx.name}")
        else:
            x, y = ctx.test_images(2 * n if spec.takes == "pairs" else n)
            images, labels = x[:n], (y[n:] if spec.takes == "pairs" else y[:n])
            pairs = x[n:] if spec.takes == "pairs" else None
            labels = _other_class(labels) if spec.target else labels
        cfg = spec.config(ctx.robust, self.preset(ctx.name), options)
        try:
            args = spec.prepare(ctx.robust, registry.Batch(images, labels, torch.Generator().manual_seed(0), pairs), options, cfg)
        except FileNotFoundError as err:
            raise RowUnavailable(str(err)) from None
        args = {key: v.cpu() if isinstance(v, torch.Tensor) else v for key, v in args.items()}
        starts = self.run(ctx.robust, Inputs(None, labels, args), self.preset(ctx.name), {"steps": 0}, start=True)
        return Inputs(starts, labels, args, images)

    def run(self, model, inputs: Inputs, preset: str, overrides: dict, start: bool = False) -> torch.Tensor:
        """The task's results on ``model`` (the start images with ``start``), the frame ``row.options["frame"]`` of
        each pair for tasks whose result is a strip of frames."""
        spec = self.spec
        pick = (lambda r: getattr(r, spec.start)) if start else (lambda r: r.x)
        if not spec.strip:
            return pick(spec.function(model, **_on(inputs.args, model.device), preset=preset, bf16=True, **overrides)).cpu()
        n, frame = len(inputs.labels), self.row.options.get("frame", -1)
        out = []
        for i in tqdm(range(n), leave=False, mininterval=10, disable=start):
            r = spec.function(model, **_on(_slice(inputs.args, i, n, 1), model.device), preset=preset, bf16=True, **overrides)
            out.append(pick(r)[:1] if start else r.x[frame:frame + 1])
        return torch.cat(out).cpu()


def _on(args: dict, device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in args.items()}


def _psnr(i: Inputs, results: dict, ctx) -> dict:
    """PSNR (dB) of the starts and of each model's results to the original images (on the mask where there is one)."""
    mask = i.args.get("mask")
    return {k: float((metrics.psnr(x, i.originals) if mask is None else metrics.psnr(x, i.originals, mask)).mean())
            for k, x in results.items()}


def _rows() -> dict[str, Task]:
    """Every registered task's bench rows by name: the task's name, ``_<suffix>`` for its other rows."""
    return {spec.name + (f"_{row.suffix}" if row.suffix else ""): Task(spec, row)
            for spec in registry.registered() for row in spec.bench}


class Context:
    """Models and data of one data set shared by the tasks (loaded once).

    Args:
        dataset: a key of :data:`DATASETS`.
        evaluator: the judge's model name (None: no judge, for the figures); by default the data set's.
        n_real: real test images kept as the FD reference (task inputs come from the others).
    """

    def __init__(self, dataset: str = "cifar10", evaluator: str | None = "", n_real: int = 2000):
        self.name, self.setup = dataset, DATASETS[dataset]
        self.robust, self.standard = synth.load_model(self.setup.robust), synth.load_model(self.setup.standard)
        test = self.setup.test()
        # real reference: the first n_real test images of a fixed shuffle; task inputs come from the rest
        order = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
        self.pool = test.images[order[n_real:]].float() / 255, test.labels[order[n_real:]]
        self.evaluator_name = self.setup.evaluator if evaluator == "" else evaluator
        if self.evaluator_name:  # the figures need no judge
            self.evaluator = synth.load_model(self.evaluator_name)
            self.real = effect.RealFeatures(self.evaluator, test.images[order[:n_real]].float() / 255, test.labels[order[:n_real]])

    @property
    def size(self) -> int:
        return self.setup.size

    def preset(self, task: Task) -> str:
        return task.preset(self.name)

    def test_images(self, n):
        x, y = self.pool
        return x[:n], y[:n]


def preset_of(task: Task, dataset: str) -> str:
    """The row's preset on ``dataset``."""
    return task.preset(dataset)


def new_section(name: str, dataset: str) -> dict:
    """Where a row's first report goes in docs/results.md: a heading from its task's summary, after the row before
    it (a new task needs no hand-made section)."""
    names = list(TASKS)
    i = names.index(name)
    level = "##" if dataset == "cifar10" else "###"
    return {"heading": f"{level} {TASKS[name].spec.summary[0].upper()}{TASKS[name].spec.summary[1:]}",
            "after": report_name(names[i - 1], dataset) if i else None}


def report_name(name: str, dataset: str) -> str:
    """bench/results/<report_name>.json and its docs/results.md section: ``effect_<task>`` on CIFAR-10,
    ``effect_<dataset>_<task>`` on the others."""
    return f"effect_{name}" if dataset == "cifar10" else f"effect_{dataset}_{name}"


def _other_class(labels, seed=1):
    shift = torch.randint(1, 10, (len(labels),), generator=torch.Generator().manual_seed(seed))
    return (labels + shift) % 10


TASKS = _rows()


def measure(ctx, task: Task, inputs: Inputs, overrides: dict) -> dict:
    """Run robust and standard on the same inputs with ``overrides``; the comparison and the task's extra measures."""
    results = {}
    for name, model in (("robust", ctx.robust), ("standard", ctx.standard)):
        b = ctx.setup.batch
        results[name] = torch.cat([task.run(model, dataclasses.replace(inputs, starts=inputs.starts[k:k + b],
                                                                        labels=inputs.labels[k:k + b],
                                                                        args=_slice(inputs.args, k, len(inputs.starts), b)),
                                            ctx.preset(task), overrides).cpu()
                                   for k in range(0, len(inputs.starts), b)])
    c = effect.compare(ctx.real, inputs.starts, results["robust"], results["standard"], inputs.labels,
                       standard_judge=ctx.standard, region=inputs.args[task.region] if task.region else None)
    out = {"overrides": overrides, "comparison": c, **results}
    if task.extra:
        out["extra"] = task.extra(inputs, {"starts": inputs.starts, **results}, ctx)
    return out


def _slice(args: dict, k: int, n: int, b: int) -> dict:
    """Batch k..k+b of every per-sample tensor in ``args`` (n per-sample values; masks of one image broadcast)."""
    return {key: v[k:k + b] if isinstance(v, torch.Tensor) and len(v) == n else v for key, v in args.items()}


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
    return [{"overrides": r["overrides"], "comparison": effect.Comparison.from_dict(r), "extra": r.get("extra"),
             **({"setting": r["setting"]} if "setting" in r else {})} for r in data_out["rows"]]


def run_config(task: Task, preset: str, overrides: dict) -> synth.presets.PGDConfig:
    """The setting a task call with ``overrides`` runs: the resolved preset, with boosting's step following its radius
    (BIGRoC's eps / T, ``synth.boost``) as the task computes it."""
    cfg = synth.presets.resolve(preset, **overrides)
    if task.spec.setting is not None:
        cfg = task.spec.setting(None, preset, overrides, cfg)
    return cfg


def ran_config(task: Task, preset: str, row: dict) -> synth.presets.PGDConfig:
    """The setting a row ran: the one recorded with it, else the preset with its overrides (as the task computes it)."""
    if "setting" in row:
        return dataclasses.replace(synth.presets.resolve(preset), **row["setting"])
    return run_config(task, preset, row["overrides"])


def setting_text(cfg: synth.presets.PGDConfig) -> str:
    cap = f", cap {cfg.max_prob:g}" if cfg.max_prob not in (None, 1) else ""
    return f"eps {cfg.eps:g}, {cfg.steps} steps, step {cfg.step_size:.3g}{cap}"


def markdown(name: str, task: Task, n: int, rows: list[dict], chosen: int | None, evaluator: str,
             dataset: str = "cifar10", preset: str | None = None) -> str:
    """A task's table in docs/results.md: every setting measured, robust and standard side by side, the verdicts.
    ``preset``: the preset the rows ran when it is no longer the task's (a saved report's ``ran_preset``, set by hand
    when a preset is renamed), default the task's current one."""
    preset, standard = preset or preset_of(task, dataset), DATASETS[dataset].standard
    head = (f"| setting | agreement: starts / robust / standard | `{standard}` agrees: robust / standard | "
            "class FD: starts / robust / standard | median L2 moved: robust / standard | mean change /255: robust / standard | "
            + ("PSNR (dB): starts / robust / standard | " if task.extra else "") + "verdict |\n"
            "|---|---|---|---|---|---|" + ("---|" if task.extra else "") + "---|\n")
    lines = []
    for i, r in enumerate(rows):
        c = r["comparison"]
        cfg = ran_config(task, preset, r)
        s, ro, st = c.starts, c.robust, c.standard
        mark = " **(default)**" if i == chosen else ""
        extra = (" / ".join(f"{r['extra'][k]:.2f}" for k in ("starts", "robust", "standard")) + " | ") if task.extra else ""
        lines.append(f"| {setting_text(cfg)}{mark} | {100 * s.agreement:.1f} / **{100 * ro.agreement:.1f}** / {100 * st.agreement:.1f}% "
                     f"| {100 * ro.agreement_standard:.1f} / {100 * st.agreement_standard:.1f}% "
                     f"| {s.fd:.1f} / **{ro.fd:.1f}** / {st.fd:.1f} | {ro.median_l2:.2f} / {st.median_l2:.2f} "
                     f"| {ro.mean_change:.1f} / {st.mean_change:.1f} | {extra}{effect.verdict(c)} |")
    text = (f"`{name}`: {n} inputs, preset `{preset}`; agreement and class-conditional FD in `{evaluator}`'s eyes "
            f"(FD to its features of 2,000 real test images, per target class, averaged). ")
    if task.region:
        text += ("Every column is measured on the region the task changes (its mask) cut out and resized to the image size, "
                 "as an image of its own (`synth.measures.effect.crop_region`). ")
    if chosen is not None:
        c = rows[chosen]["comparison"]
        cfg = ran_config(task, preset, rows[chosen])
        shows = all(c.checks[k][2] for k in "abc")
        rule = ("the lowest FD of the settings that meet (a)-(d)" if c.shown else
                "no setting meets all four; the lowest FD of those that show the effect ((a)-(c)): it " + effect.verdict(c)
                if shows else "no setting shows the effect; the one that meets the most criteria, then the lowest FD: it "
                + effect.verdict(c))
        target = task.target_preset(dataset)  # where the choice belongs (may not exist yet)
        check = (preset_check(target, cfg.eps, cfg.max_prob) if target in synth.presets.PRESETS
                 else f"`{target}` does not exist yet: add the choice to `synth/presets.py`.")
        text += f"Default chosen: {setting_text(cfg)}, by {rule}. " + check + " "
    return text + "\n\n" + head + "\n".join(lines)


def _setting(cfg: synth.presets.PGDConfig) -> synth.presets.PGDConfig:
    """``cfg`` without its source text, a cap of 1 written as no cap: what makes two settings the same."""
    return dataclasses.replace(cfg, source="", max_prob=None if cfg.max_prob in (None, 1) else cfg.max_prob)


def _recorded(cfg: synth.presets.PGDConfig) -> dict:
    """A setting as saved with its row (every field but the source text)."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k != "source"}


def summary(dataset: str = "cifar10") -> str:
    """The README's table for ``dataset``: each task at its default (the chosen row of a sweep, else its only row),
    from the saved reports."""
    setup = DATASETS[dataset]
    lines, evaluator = [], setup.evaluator
    for name, task in TASKS.items():
        path = RESULTS / f"{report_name(name, dataset)}.json"
        if not path.exists():
            continue
        d = json.loads(path.read_text())
        rows = saved_rows(d)
        preset = preset_of(task, dataset)
        current = _setting(synth.presets.resolve(preset))
        # the setting each row ran: recorded with it (a preset changed later must not relabel old numbers)
        ran = [_setting(dataclasses.replace(current, **r["setting"])) if "setting" in r else
               _setting(synth.presets.resolve(preset, **r["overrides"])) for r in d["rows"]]
        default = [i for i, s in enumerate(ran) if s == current]
        if not default:
            lines.append(f"| {name} | `{preset}` not measured at its current setting: run the bench | | | | |")
            continue
        c = rows[default[0]]["comparison"]
        s, ro, st = c.starts, c.robust, c.standard
        lines.append(f"| {name} | {setting_text(current)} | {100 * s.agreement:.0f} / **{100 * ro.agreement:.0f}** / "
                     f"{100 * st.agreement:.0f}% | {s.fd:.1f} / **{ro.fd:.1f}** / {st.fd:.1f} | "
                     f"{ro.median_l2:.1f} / {st.median_l2:.1f} | {effect.verdict(c) if task.chooses else 'reported only'} |")
        evaluator = d["evaluator"]
    title = {"cifar10": "CIFAR-10", "imagenette": "Imagenette (128 px)"}.get(dataset, dataset)
    return (f"Each {title} task at its default preset, the robust `{setup.robust}` and its standard twin `{setup.standard}` "
            f"on the same inputs, judged by the independent robust `{evaluator}` (full tables with every setting tried and the "
            f"`{setup.standard}` judge's column: [docs/results.md](docs/results.md)).\n\n"
            "| task | default | evaluator agrees: starts / robust / standard | class FD: starts / robust / standard | "
            "median L2 moved: robust / standard | (a)-(d) |\n|---|---|---|---|---|---|\n" + "\n".join(lines))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="cifar10", choices=list(DATASETS))
    p.add_argument("--tasks", nargs="+", default=None, choices=list(TASKS), help="default: every task the data set has")
    p.add_argument("--sweep", action="store_true", help="run each task's sweep and choose its default")
    p.add_argument("--n", type=int, default=500, help="inputs per task (a multiple of 10)")
    p.add_argument("--evaluator", default=None, help="default: the data set's (cifar10-evaluator, imagenette-evaluator)")
    p.add_argument("--n-real", type=int, default=2000)
    p.add_argument("--threads", type=int, default=None, help="torch threads (1 beside a training run on 2 cores)")
    p.add_argument("--render", action="store_true",
                   help="only rewrite docs/results.md from bench/results/effect_*.json (e.g. after setting a chosen preset)")
    args = p.parse_args()
    setup = DATASETS[args.dataset]
    tasks = list(args.tasks or TASKS)
    summary_name = report_name("summary", args.dataset)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.render:
        for name in tasks:
            path = RESULTS / f"{report_name(name, args.dataset)}.json"
            if path.exists():
                d = json.loads(path.read_text())
                report(report_name(name, args.dataset), d,
                       markdown(name, TASKS[name], d["n"], saved_rows(d), d["chosen"], d["evaluator"], args.dataset,
                                d.get("ran_preset")),
                       doc="docs/results.md", measured=d["measured"], machine=d["machine"], script=d.get("script"),
                       **new_section(name, args.dataset))
        report(summary_name, {}, summary(args.dataset))
        return
    ctx = Context(args.dataset, args.evaluator or setup.evaluator, args.n_real)
    for name in tasks:
        task = TASKS[name]
        n = min(args.n, 100) if task.spec.strip else args.n  # one call per pair: at most 100 pairs
        try:
            inputs = task.inputs(ctx, n)
        except RowUnavailable as err:
            print(f"skipped {name}: {err}")
            continue
        sweep = [ov for ov in task.sweep if setup.caps or ov.get("max_prob", 1) == 1]
        settings = [scaled(ov, setup.scale) for ov in sweep] if args.sweep and sweep else [{}]
        rows = []
        for ov in settings:
            rows.append(measure(ctx, task, inputs, ov))
            print(name, ov, effect.verdict(rows[-1]["comparison"]), rows[-1]["comparison"].as_dict()["robust"], flush=True)
        chosen = choose(rows) if args.sweep and task.chooses and task.sweep else None
        data_out = {"n": n, "evaluator": ctx.evaluator_name, "preset": preset_of(task, args.dataset), "chosen": chosen,
                    "sweep": args.sweep, "dataset": args.dataset,
                    "rows": [{"overrides": r["overrides"], "setting": _recorded(synth.presets.resolve(preset_of(task, args.dataset),
                                                                                        **r["overrides"])),
                              **r["comparison"].as_dict(), "extra": r.get("extra")} for r in rows]}
        report(report_name(name, args.dataset), data_out,
               markdown(name, task, n, rows, chosen, ctx.evaluator_name, args.dataset), doc="docs/results.md",
               **new_section(name, args.dataset))
    report(summary_name, {}, summary(args.dataset))


if __name__ == "__main__":
    main()
