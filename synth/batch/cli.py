"""The ``synth`` command: every task as a batch job over image folders, data sets or a count.

    synth generate --model cifar10-l2 --n 50000 --out samples/           # all classes in turn
    synth fd --a samples/ --b dataset:cifar10/train --features cifar10-evaluator
    torchrun --nproc_per_node 2 -m synth generate ...                    # the same files, sharded (gloo / NCCL)

Inputs (``--images``, ``--targets``, ``fd``'s ``--a``/``--b``): a folder of images, a glob, an ``.npz`` written by
``--npz``, or ``dataset:NAME/SPLIT`` (``cifar10/test``, ``imagenette/val``, ``horse2zebra/test``). Outputs: one PNG
per sample and ``manifest.jsonl`` in ``--out`` (see :mod:`synth.batch.jobs`), and with ``--npz`` one ``images.npz``.
A job killed and restarted with the same command continues where it stopped. Bad input (a missing folder, an
unknown class, a count of 0, an unknown preset field) prints one line and exits with code 2 before writing anything.
"""
from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import distributed, presets
from . import jobs
from ..data import DataMissingError
from ..imageio import ImageError, to_tensor

TOP = 5  # probabilities written per sample (all of them for up to 10 classes)


class UsageError(ValueError):
    """Bad input on the command line: one line, exit code 2, nothing written."""


# --------------------------------------------------------------------------------------------- inputs


@dataclass
class Images:
    """An input image set: ``get(indices)`` -> (B, 3, H, W) in [0, 1] at the model's size; ``labels`` or None."""
    spec: str
    images: torch.Tensor | None = None  # (N, 3, H, W) uint8, data sets and npz
    files: list | None = None
    labels: torch.Tensor | None = None
    classes: tuple | None = None
    size: tuple | None = None

    def __len__(self):
        return len(self.files) if self.files is not None else len(self.images)

    def get(self, indices: list[int]) -> torch.Tensor:
        if self.files is not None:
            return torch.cat([to_tensor(str(self.files[i]), self.size) for i in indices])
        x = self.images[indices].float().div(255)
        if self.size and tuple(x.shape[-2:]) != tuple(self.size):
            from ..imageio import fit_square
            x = fit_square(x, self.size)
        return x


def open_images(spec: str, size: tuple | None) -> Images:
    """An input spec (folder, glob, ``.npz``, ``dataset:NAME/SPLIT``) at ``size`` (H, W).

    Raises:
        UsageError: nothing there, or an unknown data set.
    """
    if spec.startswith("dataset:"):
        from ..data import load
        name, _, split = spec[len("dataset:"):].partition("/")
        try:
            s = load(name, split or "test", size[0] if size else None)
        except (ValueError, DataMissingError) as err:
            raise UsageError(f"{spec}: {err}") from None
        return Images(spec, s.images, labels=s.labels, classes=s.classes, size=size)
    path = Path(spec)
    if path.suffix == ".npz" and path.is_file():
        with np.load(path) as z:
            return Images(spec, torch.from_numpy(z["images"]).permute(0, 3, 1, 2).contiguous(), size=size)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".webp"))
    else:
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not files:
        raise UsageError(f"no images at {spec!r} (a folder, a glob, an .npz or dataset:NAME/SPLIT)")
    return Images(spec, files=files, size=size)


def class_list(model, spec: str | None) -> list[int]:
    """``"all"``/None, or comma-separated class names or indices -> class indices."""
    if not spec or spec == "all":
        return list(range(len(model.classes)))
    out = []
    for part in spec.split(","):
        part = part.strip()
        if part.isdigit() and int(part) < len(model.classes):
            out.append(int(part))
        elif part in model.classes:
            out.append(model.classes.index(part))
        else:
            raise UsageError(f"unknown class {part!r} for {model.name}; classes: {', '.join(model.classes)}")
    return out


def overrides(pairs: list[str]) -> dict:
    """``["eps=2", "steps=40"]`` -> {"eps": 2.0, "steps": 40} (checked against ``PGDConfig``'s fields)."""
    import dataclasses
    fields = {f.name for f in dataclasses.fields(presets.PGDConfig) if f.name != "source"}
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or key not in fields:
            raise UsageError(f"unknown preset field {key!r} in --set {pair!r}; fields: {', '.join(sorted(fields))}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


# --------------------------------------------------------------------------------------------- jobs


@dataclass
class Job:
    """A subcommand's work: ``n`` samples, ``work(indices) -> (images or None, records)`` (see ``synth.batch.jobs.run``),
    and, for jobs with a result beyond the samples, ``summary(records) -> dict`` (written to summary.json)."""
    n: int
    work: object
    summary: object = None


def sample_generator(seed: int, index: int) -> torch.Generator:
    """The random stream of sample ``index``: the same whatever batch or process computes it."""
    return torch.Generator().manual_seed(seed * 1_000_003 + index)


def probabilities(model, probs: torch.Tensor) -> list[dict]:
    """Each row's top classes as {class name: probability} (all classes for up to 10)."""
    k = len(model.classes) if len(model.classes) <= 10 else TOP
    top = probs.float().topk(k, dim=1)
    return [{model.classes[j]: p for p, j in zip(ps.tolist(), js.tolist())} for ps, js in zip(top.values, top.indices)]


def records(model, indices, res, cfg, args, labels, **columns) -> list[dict]:
    """One manifest line per sample: index, seed, label, preset and overrides, final score, probabilities, ``columns``."""
    probs = probabilities(model, res.probs)
    rows = []
    for k, i in enumerate(indices):
        row = {"index": i, "seed": args.seed * 1_000_003 + i, "preset": args.preset_name, "overrides": args.overrides,
               "score": float(res.score[k]), "probs": probs[k]}
        if labels is not None:
            row["label"], row["class"] = int(labels[k]), model.classes[int(labels[k])]
        rows.append({**row, **{c: v[k] if isinstance(v, (list, torch.Tensor)) else v for c, v in columns.items()}})
    return rows


def resolve_config(task, model, args, options: dict):
    """The task's preset (``--preset`` or the model's default, at the variant the options name) with ``--set``
    overrides; its name is kept in ``args.preset_name`` for the manifest."""
    variant = options.get(task.variant_option) if task.variant_option else None
    args.preset_name = args.preset or (presets.default_for(task.preset_key, model, variant) if presets.has_presets(model)
                                       else f"derived from synth.{task.preset_key}.cifar10")
    try:
        return task.config(model, args.preset, options, **args.overrides)
    except KeyError as err:
        raise UsageError(f"unknown preset {args.preset!r}: {err.args[0] if err.args else err}") from None
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from None


def labels_for(model, args, inputs: Images, indices, given: list[int] | None):
    """The class of each sample: --label, else the data set's label (same class names), else None (the task predicts)."""
    if given:
        return torch.tensor([given[i % len(given)] for i in indices])
    if inputs.labels is not None and inputs.classes is not None and tuple(inputs.classes) == tuple(model.classes):
        return inputs.labels[indices]
    return None


def task_job(task, args, model) -> Job:
    """The batch job of a registered task: its inputs from ``--images`` (and ``--targets`` for pairs) or from a count
    of ``--classes``, built by the task's ``prepare`` with one random stream per sample (sample i is the same in
    any batch, process or restart)."""
    from ..tasks import Batch
    options = {o.name: getattr(args, o.name) for o in task.options}
    cfg = resolve_config(task, model, args, options)
    from_images = task.takes in ("images", "pairs") or (task.takes == "images_or_classes" and args.images)
    if from_images:
        inputs = open_images(args.images, model.input_size)
        given = class_list(model, args.label) if getattr(args, "label", None) else None
        if task.needs_label and given is None and (inputs.labels is None or tuple(inputs.classes or ()) != tuple(model.classes)):
            raise UsageError(f"{task.cli} needs --label (the images carry no labels of {model.name}'s classes)")
        pairs = open_images(options["targets"], model.input_size) if task.takes == "pairs" else None
        n = min(args.n or len(inputs), len(inputs), len(pairs) if pairs is not None else len(inputs))
    else:
        classes = class_list(model, args.classes)
        n = args.n

    def batch(indices) -> Batch:
        gens = [sample_generator(args.seed, i) for i in indices]
        if not from_images:
            return Batch(None, torch.tensor([classes[i % len(classes)] for i in indices], device=model.device), gens)
        y = labels_for(model, args, inputs, indices, given)
        return Batch(inputs.get(indices).to(model.device), None if y is None else y.to(model.device), gens,
                     pairs.get(indices).to(model.device) if pairs is not None else None)

    def run(b: Batch):
        try:
            return task(model, b, options, preset=cfg, bf16=args.bf16)
        except ValueError as err:  # the task's own checks of its inputs (a class that does not exist, ...)
            raise UsageError(f"{task.cli}: {err}") from None

    def work(indices):
        if task.strip:  # one call per pair, its frames side by side
            strips, rows = [], []
            for i in indices:
                b = batch([i])
                res = run(b)
                strips.append(torch.cat(list(res.x), dim=2))
                rows.append({"index": i, "seed": None, "preset": args.preset_name, "overrides": args.overrides,
                             **(task.columns(res, options, b) if task.columns else {})})
            return torch.stack(strips), rows
        b = batch(indices)
        res = run(b)
        y = getattr(res, "label", b.labels)  # the classes the task used (given, predicted or assigned)
        extra = task.columns(res, options, b) if task.columns else {}
        return res.x, records(model, indices, res, cfg, args, None if y is None else y.cpu(), **extra)
    return Job(n, work)


def job_evaluate(args, model):
    from ..measures.evaluation import correct_under_attack
    inputs = open_images(args.images, model.input_size)
    if inputs.labels is None or tuple(inputs.classes or ()) != tuple(model.classes):
        raise UsageError(f"evaluate needs a labelled set of {model.name}'s classes (dataset:{model.dataset}/test)")
    eps = model.robust.eps if args.eps is None and model.robust else (args.eps or 0.0)
    norm = args.norm or (model.robust.norm if model.robust else "l2")
    step = presets.step_for(eps, args.steps) if eps > 0 else 0.0
    n = min(args.n or len(inputs), len(inputs))

    def work(indices):
        x, y = inputs.get(indices).to(model.device), inputs.labels[indices].to(model.device)
        with torch.no_grad():
            clean = model(x).argmax(1) == y
        rows = [{"index": i, "label": int(y[k]), "clean_correct": bool(clean[k])} for k, i in enumerate(indices)]
        if eps > 0:
            robust = correct_under_attack(model, x, y, norm=norm, eps=eps, attack=args.attack, steps=args.steps,
                                          version=args.version, attacks=args.attacks, seed=args.seed, bf16=args.bf16)
            for k, row in enumerate(rows):
                row["robust_correct"] = bool(robust[k])
        return None, rows

    def summary(rows: list[dict]) -> dict:
        out = {"model": model.name, "images": args.images, "n": len(rows),
               "clean_acc": round(100 * sum(r["clean_correct"] for r in rows) / len(rows), 2),
               "attack": ({"name": "PGD", "norm": norm, "eps": eps, "steps": args.steps, "step_size": step,
                           "random_start": False} if args.attack == "pgd" else
                          {"name": "AutoAttack", "norm": norm, "eps": eps, "version": args.version,
                           **({"attacks": args.attacks} if args.version == "custom" else {}),
                           "implementation": "pyautoattack (Croce & Hein)"})}
        if eps > 0:
            out["robust_acc"] = round(100 * sum(r["robust_correct"] for r in rows) / len(rows), 2)
        return out
    return Job(n, work, summary)


JOBS = {"evaluate": job_evaluate}  # the jobs that are not tasks; every registered task has its own (task_job)


# --------------------------------------------------------------------------------------------- fd


def frechet(args, ctx) -> dict | None:
    """Frechet distance between ``--a`` and ``--b`` in ``--features``' penultimate layer (feature extraction sharded
    by index over the processes); with the Inception weights present, Inception Score of ``--a`` and FID too."""
    from .. import load_model
    from ..metrics import frechet_distance, inception_scores
    model = load_model(args.features, device=ctx.device)
    sets = [open_images(spec, model.input_size) for spec in (args.a, args.b)]
    counts = [min(args.n or len(s), len(s)) for s in sets]
    if min(counts) < 2:
        raise UsageError("the Frechet distance needs at least 2 images in each set")
    feats = []
    for s, n in zip(sets, counts):
        mine = [b for k, b in enumerate(jobs.batches(n, args.batch_size)) if k % ctx.world == ctx.rank]
        with torch.no_grad():
            part = {b.start: model.representation(s.get(list(b)).to(model.device)).float().cpu() for b in mine}
        merged = {k: v for d in distributed.gather(ctx, part) for k, v in d.items()}
        feats.append(torch.cat([merged[k] for k in sorted(merged)]))
    if not ctx.main:
        return None
    out = {"a": args.a, "b": args.b, "n_a": counts[0], "n_b": counts[1], "features": model.name,
           "frechet_distance": frechet_distance(*feats)}
    scores = inception_scores(sets[0].get(list(range(counts[0]))), sets[1].get(list(range(counts[1])))) \
        if args.inception else None
    out["inception"] = scores if scores else "Inception weights absent (see synth.metrics.inception_weights_path)"
    return out


# --------------------------------------------------------------------------------------------- parser


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="synth", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="command", required=True)

    def common(s, images: bool = True, out: bool = True):
        s.add_argument("--model", default="cifar10-l2", help="any synth.load_model id (default cifar10-l2)")
        if out:
            s.add_argument("--out", required=True, help="output folder (PNGs + manifest.jsonl)")
            s.add_argument("--npz", action="store_true", help="also pack the images into OUT/images.npz")
        if images:
            s.add_argument("--images", help="inputs: folder, glob, .npz or dataset:NAME/SPLIT")
        s.add_argument("-n", "--n", "--count", dest="n", type=int, default=None, help="number of samples (default: all inputs)")
        s.add_argument("--batch-size", type=int, default=64, help="samples per PGD call (keep it when resuming)")
        s.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available)")
        s.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                       help="bfloat16 autocast where the device has it natively (default on)")
        s.add_argument("--threads", type=int, default=None, help="CPU threads per process")
        s.add_argument("--seed", type=int, default=0, help="base seed; sample i draws from seed and i")
        s.add_argument("--preset", default=None, help="a synth.presets name (default: the model's data set's)")
        s.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                       help="override a preset field, e.g. --set eps=2 --set steps=40")

    from ..tasks import registered
    for task in registered():  # one subcommand per registered task, its options from its declaration
        s = sub.add_parser(task.cli, help=task.summary, aliases=list(task.aliases))
        takes_images = task.takes != "classes"
        common(s, images=takes_images)
        if takes_images:
            s.add_argument("--label", default=None, help="class(es) of the inputs (default: the data set's, else predicted)")
        if task.takes in ("classes", "images_or_classes"):
            s.add_argument("--classes", default="all", help="comma-separated names or indices, taken in turn (default all)"
                           + (" (without --images)" if takes_images else ""))
        for o in task.options:
            if o.kind is bool:
                s.add_argument(f"--{o.name}", action="store_true", help=o.help)
            else:
                s.add_argument(f"--{o.name}", type=o.kind, default=o.default, required=o.required, help=o.help)
    e = sub.add_parser("evaluate", help="clean and PGD accuracy of a model on a labelled set")
    common(e)
    e.add_argument("--eps", type=float, default=None, help="attack radius (default: the model's training eps)")
    e.add_argument("--norm", choices=["l2", "linf"], default=None)
    e.add_argument("--steps", type=int, default=20, help="PGD steps")
    e.add_argument("--attack", choices=["pgd", "autoattack"], default="pgd")
    e.add_argument("--version", choices=["standard", "rand", "plus", "custom"], default="standard",
                   help="AutoAttack's version (standard: RobustBench's protocol)")
    e.add_argument("--attacks", nargs="+", default=None, help="with --version custom, e.g. apgd-ce apgd-t")
    f = sub.add_parser("fd", help="Frechet distance between two image sets in a classifier's features")
    f.add_argument("--a", required=True, help="image set A (folder, glob, .npz, dataset:NAME/SPLIT)")
    f.add_argument("--b", required=True, help="image set B")
    f.add_argument("--features", default="cifar10-evaluator", help="feature extractor (penultimate layer)")
    f.add_argument("-n", "--n", type=int, default=None, help="use the first N images of each set")
    f.add_argument("--batch-size", type=int, default=250)
    f.add_argument("--device", default=None)
    f.add_argument("--threads", type=int, default=None)
    f.add_argument("--inception", action=argparse.BooleanOptionalAction, default=True,
                   help="also Inception Score / FID when the Inception weights are on this machine")
    f.add_argument("--out", default=None, help="write the result as JSON here")
    return p


def check(args) -> None:
    """Input checks that need no model (so that nothing is loaded or written for them)."""
    if args.n is not None and args.n < 1:
        raise UsageError(f"--n must be at least 1, not {args.n}")
    if getattr(args, "batch_size", 1) < 1:
        raise UsageError("--batch-size must be at least 1")
    if args.command in ("fd", "evaluate"):
        if args.command == "evaluate":
            if not args.images:
                raise UsageError("evaluate needs --images (a folder, a glob, an .npz or dataset:NAME/SPLIT)")
            if (args.attacks is not None) != (args.version == "custom"):
                raise UsageError("AutoAttack's --attacks go with --version custom (and --version custom needs --attacks)")
            args.overrides = overrides(args.overrides)
        return
    from ..tasks import by_cli
    task = by_cli(args.command)
    if task.takes == "classes" and args.n is None:
        raise UsageError(f"{task.cli} needs --n (how many samples)")
    if task.takes == "images_or_classes" and not args.images and args.n is None:
        raise UsageError(f"{task.cli} of generated samples needs --n (or give --images)")
    if task.takes in ("images", "pairs") and not args.images:
        raise UsageError(f"{task.cli} needs --images (a folder, a glob, an .npz or dataset:NAME/SPLIT)")
    for o in task.options:
        if o.kind is int and getattr(args, o.name) is not None and getattr(args, o.name) < 0:
            raise UsageError(f"--{o.name} must be >= 0, not {getattr(args, o.name)}")
    args.overrides = overrides(args.overrides)


def main(argv=None) -> int:
    from .. import load_model
    from ..sources import ModelUnavailableError
    args = parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ctx = None
    try:
        check(args)
        ctx = distributed.start(args.device)
        if args.command == "fd":
            result = frechet(args, ctx)
            if result is not None:
                print(json.dumps(result, indent=2))
                if args.out:
                    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
            return 0
        model = load_model(args.model, device=ctx.device)
        if args.command in JOBS:
            job = JOBS[args.command](args, model)
        else:
            from ..tasks import by_cli
            job = task_job(by_cli(args.command), args, model)
        out = jobs.Output(Path(args.out), ctx, images=args.command != "evaluate")
        resumed = sum(i < job.n for i in out.records()) if ctx.main else 0  # finished by an earlier run
        started = time.perf_counter()
        rows = jobs.run(job.work, job.n, out, args.batch_size, desc=f"synth {args.command}")
        if ctx.main:
            if args.npz and out.images:
                out.pack(job.n)
            if job.summary is not None:
                summary = job.summary(rows)
                (out.folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
                print(json.dumps(summary, indent=2))
            seconds = time.perf_counter() - started
            done = job.n - resumed
            print(f"{job.n} samples in {out.folder}" + (f" ({resumed} from an earlier run)" if resumed else "")
                  + f": {done} in {seconds:.1f} s on {ctx.world} process(es), {done / seconds:.2f} samples/s", file=sys.stderr)
        return 0
    except (UsageError, ImageError, DataMissingError, ModelUnavailableError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:  # load_model's unknown names, task argument checks
        print(f"error: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        if ctx is not None:
            distributed.stop(ctx)


if __name__ == "__main__":
    sys.exit(main())
