"""Beyond the papers: can a sampler keep the effect ((a)-(c) of `synth.measures.effect`) and bring the independent
evaluator's class-conditional Fréchet distance of generated CIFAR-10 samples to half that of the multivariate
seeds? Each idea runs on the same 400 multivariate seeds as `bench.effect`'s generation table, robust
(`cifar10-l2`) and standard twin (`cifar10-standard`) side by side, judged by `cifar10-evaluator`; every idea is
an option of the one primitive (`synth.pgd`) or a composition of its calls (another objective, two phases), none a
loop of its own. The ideas that fail are reported too.

    python -m bench.sampler_cifar10 [--n 400] [--only SUBSTRING ...]
    python -m bench.sampler_cifar10 --evaluator cifar10-judge --only ...   # the same rows in a second judge's eyes
    python -m bench.sampler_cifar10 --dataset imagenette                    # 128 px: default, Langevin, prior

Ideas (each an option of ``synth.pgd`` / a preset field, or a composition of calls of it):
- default: the shipped preset (eps 6, 60 steps of 0.25).
- step schedule: the same 60 steps with ``step_schedule`` cosine (from 2x the step down to 0, the same path length).
- momentum: ``momentum`` 0.5 / 0.9 (MI-FGSM's running sum of normalised gradients as the direction).
- Langevin noise: ``noise`` sigma (per-pixel std at the first step, annealed linearly to 0 at the last) at eps 6
  and 10 (the noise also spends the ball's radius).
- joint score: log p(y|x) + logsumexp f(x) = f_y(x), the class logit (the energy-based reading of a classifier, as in
  JEM and Zhu et al. 2021), alone and with Langevin noise and the cosine schedule.
- seeds: the default sampler from other seeds of the same labels: class-wise PCA seeds (the multivariate seeds' top
  128 principal directions without their residual per-pixel noise; Mirza et al. 2024 start from class-wise PCA too) and a mixture
  at a higher rank (10 components of rank 32 per class, fitted on the training set, against the shipped 4 of rank 16).
- feature prior: log p(y | x) - lam * ||R(x) - mu_y||, mu_y the robust model's mean representation of real training
  images of class y (5,000 training images; the evaluator never sees them): pulls samples toward the class's
  typical features instead of its most confident ones.
- two-phase prior: the class score alone for the first 30 steps (the sample reaches the class), then the feature
  prior for the last 30; also with Langevin noise in the first phase.
- sampled-feature prior (``synth.priors``, preset ``synth.generate.cifar10_prior``): the two-phase prior with a
  *sampled* target: each sample's target representation drawn from a Gaussian fitted to its class's representations
  of the 50,000 training images (rank 64 + diagonal), a class-conditional generative model in feature space that
  keeps the samples diverse; the standard twin uses its own prior, fitted the same way. Also at lam 0.03, eps 8, and
  with Langevin noise.

``--only SUBSTRING [...]`` re-runs the ideas whose name contains one of them and keeps the other rows of the saved report.
"""
from __future__ import annotations

import argparse
import dataclasses
import json

import torch

import synth
from bench._report import RESULTS, ROOT, report
from bench.effect import DATASETS, TASKS, Context
from synth import data, viz
from synth import seeds as seeds_mod
from synth import metrics
from synth.measures import effect

def class_means(model, n=5000) -> torch.Tensor:
    """(10, D) the model's mean representation R(x) of real training images per class."""
    train = data.cifar10("train").subset(n, seed=1)
    feats = metrics.features(model, train.images.float() / 255)
    return torch.stack([feats[train.labels == c].mean(0) for c in range(10)])


def _generate(**options):
    """A sampler from ``synth.generate`` with preset fields overridden (noise and prior targets drawn from a fixed
    generator)."""
    return lambda m, s, y: synth.generate(m, y, seeds=s, bf16=True, generator=torch.Generator().manual_seed(0), **options).x


def _pgd(objective, eps=6.0, **options):
    """A sampler calling ``synth.pgd`` with another objective, ``objective(model, labels)``, and the default's ball and
    step rule at radius ``eps``."""
    default = synth.presets.PRESETS["synth.generate.cifar10"]
    step = default.step_size * eps / default.eps
    return lambda m, s, y: synth.pgd(m, s, objective(m, y), synth.L2Ball(eps), steps=default.steps, step_size=step,
                                     bf16=True, generator=torch.Generator().manual_seed(0), **options).x


def pca_seeds(dist: seeds_mod.SeedDistribution) -> seeds_mod.SeedDistribution:
    """``dist`` (a fitted Gaussian seed distribution) without the residual per-pixel variance: samples from the span
    of the top principal directions only (smooth, low-frequency seeds)."""
    comps = [[(w, dataclasses.replace(g, diag=torch.zeros_like(g.diag))) for w, g in c] for c in dist.components]
    return dataclasses.replace(dist, components=comps, info={**dist.info, "residual": "dropped"})


def seed_ideas(ctx) -> dict:
    """{idea name: seed distribution} for the seed rows (the default sampler from other seeds)."""
    train = data.cifar10("train")
    return {"PCA seeds (top 128 directions, no residual noise)": pca_seeds(seeds_mod.for_model(ctx.robust, "multivariate",
                                                                                                fallback=False)),
            "mixture seeds, 10 components of rank 32": seeds_mod.fit(train.images, train.labels, train.classes, "mixture",
                                                                     components=10, component_rank=32, dataset="cifar10")}


def samplers(ctx):
    means = {m.name: class_means(m) for m in (ctx.robust, ctx.standard)}
    default = synth.presets.PRESETS["synth.generate.cifar10"]
    joint = lambda m, y: synth.class_score(y) + synth.marginal_score()  # noqa: E731
    out = {"default (eps 6, 60 x 0.25)": _generate(),
           "cosine step schedule, eps 6": _generate(step_schedule="cosine"),
           "momentum 0.5, eps 6": _generate(momentum=0.5),
           "momentum 0.9, eps 6": _generate(momentum=0.9)}
    for sigma in (0.005, 0.01, 0.02, 0.03, 0.05):
        out[f"Langevin noise {sigma:g}, eps 6"] = _generate(noise=sigma)
    out["Langevin noise 0.01, eps 10"] = _generate(noise=0.01, eps=10.0, step_size=default.step_size * 10 / default.eps)
    out["joint score f_y(x), eps 6"] = _pgd(joint)
    out["joint score + Langevin 0.01 + cosine, eps 6"] = _pgd(joint, noise=0.01, step_schedule="cosine")
    for lam in (0.01, 0.03, 0.1):
        for eps in (6.0, 10.0):
            feature = lambda m, y, lam=lam: synth.class_score(y) + lam * synth.feature_match({"rep": means[m.name][y]})  # noqa: E731
            out[f"feature prior lam {lam:g}, eps {eps:g}"] = _pgd(feature, eps)
    for eps in (6.0, 10.0):
        step = default.step_size * eps / default.eps

        def two_phase(m, s, y, eps=eps, step=step, lam=0.01):
            prior = synth.class_score(y) + lam * synth.feature_match({"rep": means[m.name][y].to(s)})
            x = synth.pgd(m, s, synth.class_score(y), synth.L2Ball(eps), steps=30, step_size=step, bf16=True).x
            return synth.pgd(m, x, prior, synth.L2Ball(eps), steps=30, step_size=step, anchor=s, bf16=True).x
        out[f"two-phase prior lam 0.01, eps {eps:g}"] = two_phase
    prior = "synth.generate.cifar10_prior"
    out["sampled-feature prior (preset cifar10_prior: eps 10, lam 0.01 from step 31)"] = _generate(preset=prior)
    out["sampled-feature prior, lam 0.03"] = _generate(preset=prior, feature_prior=0.03)
    out["sampled-feature prior, eps 8"] = _generate(preset=prior, eps=8.0, step_size=round(synth.presets.step_for(8.0, 60), 4))
    out["sampled-feature prior + Langevin 0.02"] = _generate(preset=prior, noise=0.02)

    def two_phase_noisy(m, s, y, eps=10.0, lam=0.01, noise=0.02):
        step = default.step_size * eps / default.eps
        prior = synth.class_score(y) + lam * synth.feature_match({"rep": means[m.name][y].to(s)})
        g = torch.Generator().manual_seed(0)
        x = synth.pgd(m, s, synth.class_score(y), synth.L2Ball(eps), steps=30, step_size=step, bf16=True, noise=noise,
                      generator=g).x
        return synth.pgd(m, x, prior, synth.L2Ball(eps), steps=30, step_size=step, anchor=s, bf16=True).x
    out["two-phase prior lam 0.01 + Langevin 0.02, eps 10"] = two_phase_noisy
    return out


FIGURE_ROWS = ("default (eps 6, 60 x 0.25)", "Langevin noise 0.05, eps 6", "two-phase prior lam 0.01, eps 10",
               "sampled-feature prior (preset cifar10_prior: eps 10, lam 0.01 from step 31)")


def figure(ctx, path=ROOT / "docs" / "figures" / "sampler_cifar10.png"):
    """One multivariate seed per class and the robust model's samples from it with the default and the ideas of
    :data:`FIGURE_ROWS`, then the standard twin's with the last, drawn with sharp pixels."""
    y = torch.arange(10)
    seeds = synth.seeds.for_model(ctx.robust, "multivariate", fallback=False).sample(y, torch.Generator().manual_seed(3))
    run = samplers(ctx)
    rows = [seeds] + [run[name](ctx.robust, seeds, y).cpu() for name in FIGURE_ROWS] + [run[FIGURE_ROWS[-1]](ctx.standard, seeds, y).cpu()]
    short = ["default", "Langevin noise 0.05", "two-phase prior", "sampled-feature prior"]
    titles = ["seed", *short, "standard twin,\nsampled-feature prior"]
    viz.grid(torch.cat(rows), len(rows), row_titles=titles, col_titles=ctx.robust.classes, scale=1.0, path=path)


DEFAULT_ROW = {"cifar10": "default (eps 6, 60 x 0.25)", "imagenette": "default (eps 24, 60 x 1.0)"}


def samplers_128(ctx):
    """The ideas at 128 px (Imagenette): the default, Langevin noise, and the sampled-feature prior (preset
    ``synth.generate.imagenette_prior``: the 32-px prior preset's radius x 4, ``imagenette-l2``'s own prior)."""
    return {DEFAULT_ROW["imagenette"]: _generate(),
            "Langevin noise 0.05, eps 24": _generate(noise=0.05),
            "sampled-feature prior (preset imagenette_prior: eps 40, lam 0.01 from step 31)":
                _generate(preset="synth.generate.imagenette_prior")}


def class_grids(ctx, per_class=8, folder=ROOT / "docs" / "figures"):
    """10 classes x ``per_class`` samples of the robust model from the same multivariate seeds, once with the default
    preset and once with the sampled-feature prior's: ``sampler_grid_default.png`` and ``sampler_grid_prior.png``
    (``..._imagenette.png`` at 128 px)."""
    y = torch.arange(10).repeat_interleave(per_class)
    seeds = synth.seeds.for_model(ctx.robust, "multivariate", fallback=False).sample(y, torch.Generator().manual_seed(5))
    suffix = "" if ctx.name == "cifar10" else f"_{ctx.name}"
    for name, preset in (("default", f"synth.generate.{ctx.name}"), ("prior", f"synth.generate.{ctx.name}_prior")):
        x = torch.cat([synth.generate(ctx.robust, y[i:i + 40], seeds=seeds[i:i + 40], preset=preset, bf16=True,
                                      generator=torch.Generator().manual_seed(i)).x for i in range(0, len(y), 40)])
        viz.grid(x, 10, row_titles=list(ctx.robust.classes), scale=0.8 if ctx.size == 32 else 1.2,
                 path=folder / f"sampler_grid_{name}{suffix}.png")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", choices=tuple(DEFAULT_ROW), default="cifar10",
                   help="cifar10 (32 px, every idea) or imagenette (128 px: the default, Langevin noise, the prior)")
    p.add_argument("--n", type=int, default=None, help="seeds (default 400 at 32 px, 100 at 128 px)")
    p.add_argument("--evaluator", default=None,
                   help="judge the ideas with this model instead of cifar10-evaluator (e.g. the second judge cifar10-judge); "
                        "its report is sampler_cifar10_<judge> and leaves the figures alone")
    p.add_argument("--only", nargs="+", default=None,
                   help="re-run only the ideas whose name contains one of these; keep the saved others")
    args = p.parse_args()
    small = args.dataset == "cifar10"
    n, batch, default_row = args.n or (400 if small else 100), 200 if small else 50, DEFAULT_ROW[args.dataset]
    ctx = Context(args.dataset, **({"evaluator": args.evaluator} if args.evaluator else {}))
    inputs = TASKS["generate_multivariate"].inputs(ctx, n)
    report_name = f"sampler_{args.dataset}" + (f"_{args.evaluator.replace('-', '_')}" if args.evaluator else "")
    saved = RESULTS / f"{report_name}.json"
    kept = json.loads(saved.read_text()) if args.only and saved.exists() else {"rows": {}}
    rows = {k: effect.Comparison.from_dict(v) for k, v in kept["rows"].items()}
    ran = False
    ideas, other_seeds = (samplers(ctx), seed_ideas(ctx)) if small else (samplers_128(ctx), {})
    default = next(iter(ideas.values()))
    ideas.update({name: default for name in other_seeds})
    rows = {k: v for k, v in rows.items() if k in ideas}  # ideas no longer in the list leave the report
    for name, run in ideas.items():
        if args.only and not any(part in name for part in args.only):
            continue
        starts = (other_seeds[name].sample(inputs.labels, torch.Generator().manual_seed(0)) if name in other_seeds
                  else inputs.starts)
        res = {k: torch.cat([run(m, starts[i:i + batch], inputs.labels[i:i + batch]).cpu()
                             for i in range(0, n, batch)]) for k, m in (("robust", ctx.robust), ("standard", ctx.standard))}
        c = effect.compare(ctx.real, starts, res["robust"], res["standard"], inputs.labels)
        rows[name], ran = c, True
        print(name, effect.verdict(c), c.as_dict()["robust"], flush=True)
    seeds = rows[default_row].starts
    seeds_fd = seeds.fd
    lines = []
    for name, c in rows.items():
        r, st = c.robust, c.standard
        shows = all(c.checks[k][2] for k in "abc")
        half = "yes" if shows and r.fd <= seeds_fd / 2 else "no"
        lines.append(f"| {name} | {100 * c.starts.agreement:.1f}% / {c.starts.fd:.1f} | {100 * r.agreement:.1f} / "
                     f"{100 * st.agreement:.1f}% | {r.fd:.1f} / {st.fd:.1f} | "
                     f"{r.median_l2:.1f} / {st.median_l2:.1f} | {effect.verdict(c)} | {half} |")
    suffix = "" if small else f"_{args.dataset}"
    figures = ("Samples: [docs/figures/sampler_cifar10.png](figures/sampler_cifar10.png); " if small else "") + (
        f"{8 if small else 4} per class from the same seeds, [default](figures/sampler_grid_default{suffix}.png) and "
        f"[sampled-feature prior](figures/sampler_grid_prior{suffix}.png).")
    md = (f"{n} multivariate seeds (evaluator agreement {100 * seeds.agreement:.1f}%, class FD {seeds_fd:.1f}; the target is "
          f"FD <= {seeds_fd / 2:.2f} with (a)-(c) kept), robust `{ctx.robust.name}` / standard `{ctx.standard.name}` on the "
          f"same seeds, judged by `{ctx.evaluator_name}`. {figures}\n\n"
          "| sampler | its seeds: evaluator agrees / class FD | evaluator agrees: robust / standard | class FD: robust / standard "
          "| median L2 moved: robust / standard | (a)-(d) | FD halved with (a)-(c)? |\n|---|---|---|---|---|---|---|\n"
          + "\n".join(lines))
    shown = {name: c for name, c in rows.items() if effect.verdict(c) == "meets (a)-(d)"}
    shows = {name: c for name, c in rows.items() if all(c.checks[k][2] for k in "abc")}
    pool, meets = (shown, "meet (a)-(d)") if shown else (shows, "meet (a)-(c)")
    if pool:
        best = min(pool, key=lambda name: pool[name].robust.fd)
        b = pool[best]
        md += (f"\n\nOf the {len(pool)} ideas that {meets}, the lowest class FD is **{best}**: {b.robust.fd:.2f} against "
               f"the default's {rows[default_row].robust.fd:.2f} and its seeds' {b.starts.fd:.2f} "
               f"({'at most' if b.robust.fd <= b.starts.fd / 2 else 'more than'} half the seeds'), with the standard twin "
               f"from the same seeds at {b.standard.fd:.2f} and {100 * b.standard.agreement:.1f}% agreement.")
    first = RESULTS / f"sampler_{args.dataset}.json"
    if args.evaluator and first.exists():  # does the second judge rank the shared rows as the first did?
        theirs = {k: v["robust"]["fd"] for k, v in json.loads(first.read_text())["rows"].items() if k in rows}
        mine = sorted(theirs, key=lambda k: rows[k].robust.fd)
        same = mine == sorted(theirs, key=theirs.get)
        md += (f"\n\nRanked by class FD, `{args.evaluator}` orders these {len(mine)} rows "
               + ("exactly as" if same else "differently from") + f" `{DATASETS[args.dataset].evaluator}` does"
               + ("." if same else f": {' < '.join(mine)}."))
    if not args.evaluator:
        if small:
            figure(ctx)
        class_grids(ctx, per_class=8 if small else 4)
    heading = (f"### The same ideas judged by `{args.evaluator}`" if args.evaluator else
               None if small else "### At 128 px (Imagenette)")
    same_run = {} if ran else {k: kept.get(k) for k in ("measured", "machine", "script")}  # only re-rendered
    report(report_name, {"n": n, "seeds_fd": seeds_fd, "rows": {k: c.as_dict() for k, c in rows.items()}}, md,
           doc="docs/results.md", heading=heading, after="sampler_cifar10", **same_run)


if __name__ == "__main__":
    main()
