"""BIGRoC's Table 2 protocol on this machine: every bundled CIFAR-10 generator's samples, boosted with ``cifar10-l2``
at the default preset (and, on the same samples, with the standard twin), and the Frechet distance of each set to the
training images before -> after.

    python -m bench.bigroc_table1 [--n 3000] [--out runs/bigroc]

Per generator G, each run resumable (the command skips what its manifest shows finished; rerun after a kill):

    synth boost --generator G -n 3000 --set steps=0 --out runs/bigroc/G/samples     # the samples as they are
    synth boost --generator G -n 3000 --out runs/bigroc/G/robust                     # boosted by cifar10-l2
    synth boost --generator G -n 3000 --model cifar10-standard --out runs/bigroc/G/standard

Sample i draws from the same seed in all three, so the rows compare the same images. BIGRoC reports FID-50k in
Inception-v3 features, which this machine cannot download; here the distance is taken in the penultimate features
of the independent robust judge ``cifar10-evaluator`` (never a generator or a booster), so compare the relative change,
not the values. Writes bench/results/bigroc_table1.json, the README section ``bigroc_table1`` and
docs/figures/bigroc_table1.png.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import synth
from bench._report import ROOT, report
from bench.table1 import load, run, synth_command, training_images
from synth import viz
from synth import metrics
from synth.data import download_allowed
from synth.generators import ASSETS, bundled_generators

FIGURE = ROOT / "docs" / "figures" / "bigroc_table1.png"
JUDGE = "cifar10-evaluator"
# BIGRoC Table 2 (unconditional generators, FID-50k on CIFAR-10, Inception features): the generator's samples -> boosted
BIGROC = {"conditional VAE": (152.04, 88.68), "conditional DCGAN": (38.34, 29.93), "WGAN-GP": (22.62, 16.28)}
ROWS = {"samples": "samples", "robust": "boosted by `cifar10-l2`", "standard": "boosted by `cifar10-standard`"}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=3000, help="samples per generator (taken class by class in turn)")
    p.add_argument("--n-train", type=int, default=50_000, help="training images of the reference")
    p.add_argument("--generators", nargs="*", default=None, help="default: every bundled generator")
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--out", default=str(ROOT / "runs" / "bigroc"))
    args = p.parse_args(argv)
    out, n = Path(args.out), args.n
    names = args.generators or bundled_generators()
    job = ["-n", str(n), "--batch-size", str(args.batch_size)]
    for g in names:
        base = ["boost", "--generator", g, *job]
        run(synth_command(*base, "--set", "steps=0", "--out", str(out / g / "samples")))
        run(synth_command(*base, "--out", str(out / g / "robust")))
        run(synth_command(*base, "--model", "cifar10-standard", "--out", str(out / g / "standard")))

    judge = synth.load_model(JUDGE)
    train, n_set = training_images(args.n_train)
    real = metrics.features(judge, train.float() / 255)
    labels = torch.arange(n) % 10  # --classes all: the classes in turn
    with_inception = metrics.inception_weights_path().exists() or download_allowed(None)
    train_images = train.float() / 255 if with_inception else None
    results, figure = {}, []
    for g in names:
        kind = json.loads((ASSETS / f"{g}.json").read_text())["kind"]
        sets = {k: load(out / g / k, n) for k in ROWS}
        rows = {}
        for k, x in sets.items():
            moved = (x - sets["samples"]).flatten(1)
            rows[k] = {"fd": metrics.frechet_distance(metrics.features(judge, x), real),
                       "agreement": 100 * metrics.agreement(judge, x, labels),
                       "median_l2": float(moved.norm(dim=1).median()), "mean_change_255": float(moved.abs().mean() * 255)}
        results[g] = {"kind": kind, "rows": rows, "bigroc": BIGROC.get(kind)}
        if with_inception:  # the papers' own metric, only where the FID Inception-v3 weights are (never mixed with FD)
            results[g]["inception"] = {k: metrics.inception_scores(x, train_images) for k, x in sets.items()}
        figure += [sets[k][:10] for k in ROWS]
    viz.grid(torch.cat(figure), 3 * len(names), scale=1.0, col_titles=list(synth.load_model("cifar10-l2").classes),
             row_titles=[f"{g}: {k}" for g in names for k in ("sample", "robust", "standard")], path=FIGURE)

    reference = f"the {n_set:,}" if args.n_train >= n_set else f"{args.n_train:,} evenly spaced"
    md = [f"{n:,} samples of each bundled generator ({n // 10:,} per class), boosted with `synth boost` at the default "
          "preset (`synth.boost.cifar10`: L2 eps 8, 30 steps of eps/30) by `cifar10-l2` and, on the same samples, by the "
          f"standard twin. Frechet distance to {reference} CIFAR-10 training images in `{JUDGE}`'s penultimate features "
          "(this machine's stand-in for BIGRoC's FID-50k in Inception features: compare the relative change, not the "
          "values), and how often the judge names the intended class.", "",
          "| generator | FD: samples -> robust boost (standard boost) | change | agreement: samples -> robust (standard) "
          "| median L2 moved: robust (standard) | BIGRoC FID-50k: samples -> boosted |", "|---|---|---:|---|---|---|"]
    for g, r in results.items():
        s, rb, sb = (r["rows"][k] for k in ROWS)
        paper = f"{r['bigroc'][0]:.2f} -> {r['bigroc'][1]:.2f} ({100 * (r['bigroc'][1] / r['bigroc'][0] - 1):+.0f}%)" \
            if r["bigroc"] else "-"
        md.append(f"| `{g}` ({r['kind']}) | {s['fd']:.2f} -> **{rb['fd']:.2f}** ({sb['fd']:.2f}) "
                  f"| {100 * (rb['fd'] / s['fd'] - 1):+.0f}% | {s['agreement']:.1f} -> **{rb['agreement']:.1f}**% "
                  f"({sb['agreement']:.1f}%) | {rb['median_l2']:.2f} ({sb['median_l2']:.2f}) | {paper} |")
    if with_inception:
        md += ["", "With the FID Inception-v3 weights on this machine, the papers' metrics (FID to the same training "
               "images, Inception Score):", "", "| generator | FID: samples -> robust (standard) | IS: samples -> robust (standard) |",
               "|---|---|---|"]
        for g, r in results.items():
            s_, rb, sb = (r["inception"][k] for k in ROWS)
            md.append(f"| `{g}` | {s_['fid']:.2f} -> **{rb['fid']:.2f}** ({sb['fid']:.2f}) | {s_['inception_score']:.2f} -> "
                      f"**{rb['inception_score']:.2f}** ({sb['inception_score']:.2f}) |")
    else:
        md += ["", "The papers' FID and Inception Score are added to this table when the FID Inception-v3 weights are on the "
               "machine (see [The papers' Inception metrics](#the-papers-inception-metrics)); they are not here."]
    missing = [k for k in BIGROC if k not in {r["kind"] for r in results.values()}]
    md += ["", (f"Not bundled: {', '.join(missing)} (BIGRoC's row kept for reference). " if missing else "")
           + f"Samples, robust and standard boosts per class: `docs/figures/{FIGURE.name}`.", "",
           f"![BIGRoC Table 2 samples](docs/figures/{FIGURE.name})"]
    report("bigroc_table1", {"n": n, "judge": JUDGE, "generators": results}, "\n".join(md))


if __name__ == "__main__":
    main()
