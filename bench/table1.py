"""Santurkar et al.'s Table 1 protocol at full size with the ``synth`` command: 50,000 ``cifar10-l2`` samples at the
default preset (5,000 per class), then their Frechet distance to the 50,000 training images.

    python -m bench.table1 [--n 50000] [--n-compare 10000] [--out runs/table1]

Runs, each resumable (the command skips what its manifest shows finished; rerun this script after a kill):

    synth generate --model cifar10-l2 -n 50000 --batch-size 128 --out runs/table1/samples
    synth fd --a runs/table1/samples --b dataset:cifar10/train --features cifar10-evaluator
    # for the comparison rows, on the same first --n-compare indices (the same seeds):
    synth generate --model cifar10-l2 -n 10000 --batch-size 128 --set steps=0 --out runs/table1/seeds
    synth generate --model cifar10-standard -n 10000 --batch-size 128 --out runs/table1/standard

The paper's Inception Score / FID need the Inception-v3 weights, which this machine cannot download; the distances
here are in the penultimate features of the independent robust judge ``cifar10-evaluator`` (and, labelled as the
weaker measure, of ``cifar10-standard``), so they are not comparable with the paper's FID, only with each other.
Writes bench/results/table1.json, the README section ``table1`` and docs/figures/table1_cifar10_l2.png.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

import synth
from bench._report import ROOT, report
from synth import viz
from synth import metrics
from synth.batch.cli import open_images

FIGURE = ROOT / "docs" / "figures" / "table1_cifar10_l2.png"
JUDGES = ("cifar10-evaluator", "cifar10-standard")


def synth_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "synth", *args]


def run(cmd: list[str]) -> None:
    print("$", " ".join(["synth", *cmd[3:]]), flush=True)
    subprocess.run(cmd, check=True)


def load(folder: Path, n: int) -> torch.Tensor:
    """The first ``n`` images of a job's output folder, (n, 3, 32, 32) in [0, 1]."""
    images = open_images(str(folder), (32, 32))
    return torch.cat([images.get(list(range(i, min(i + 1000, n)))) for i in range(0, n, 1000)])


def evenly_spaced(images: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` of ``images`` (N, ...) at even steps: the data sets are stored class by class, so the first n would be a
    few classes only."""
    return images[::max(1, len(images) // n)][:n]


def training_images(n_train: int) -> tuple[torch.Tensor, int]:
    """``n_train`` CIFAR-10 training images, evenly spaced ((n, 3, 32, 32) uint8), the reference of the Frechet
    distances, and the size of the training set."""
    train = synth.data.load("cifar10", "train")
    return evenly_spaced(train.images, n_train), len(train)


def stats(judge, x: torch.Tensor, labels: torch.Tensor) -> dict:
    """The judge's penultimate features of ``x`` and its agreement (0..1) with ``labels``."""
    return {"features": metrics.features(judge, x), "agreement": metrics.agreement(judge, x, labels)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=50_000, help="samples of the robust model (Table 1: 50,000)")
    p.add_argument("--n-compare", type=int, default=10_000, help="samples per row of the comparison table")
    p.add_argument("--n-train", type=int, default=50_000, help="training images of the comparison rows' reference")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", default=str(ROOT / "runs" / "table1"))
    args = p.parse_args(argv)
    out, n, m = Path(args.out), args.n, args.n_compare
    job = ["-n", str(n), "--batch-size", str(args.batch_size)]
    small = ["-n", str(m), "--batch-size", str(args.batch_size)]
    run(synth_command("generate", "--model", "cifar10-l2", *job, "--out", str(out / "samples")))
    run(synth_command("fd", "--a", str(out / "samples"), "--b", "dataset:cifar10/train", "--features", JUDGES[0],
                      "--out", str(out / "fd.json")))
    run(synth_command("generate", "--model", "cifar10-l2", *small, "--set", "steps=0", "--out", str(out / "seeds")))
    run(synth_command("generate", "--model", "cifar10-standard", *small, "--out", str(out / "standard")))
    headline = json.loads((out / "fd.json").read_text())

    (train, n_set), test = training_images(args.n_train), synth.data.load("cifar10", "test")
    labels = torch.arange(n) % 10  # `synth generate` takes the classes in turn
    sets = {"CIFAR-10 test images": (evenly_spaced(test.images, m).float() / 255, evenly_spaced(test.labels, m)),
            "multivariate seeds (the starts)": (load(out / "seeds", m), labels[:m]),
            "`cifar10-l2` samples (robust)": (load(out / "samples", n), labels),
            "`cifar10-standard` samples (standard twin)": (load(out / "standard", m), labels[:m])}
    seeds = sets["multivariate seeds (the starts)"][0]
    moved = {k: (sets[k][0][:m] - seeds).flatten(1).norm(dim=1) for k in list(sets)[2:]}
    rows, full = {}, {}
    for name in JUDGES:
        judge = synth.load_model(name)
        real = metrics.features(judge, train.float() / 255)
        for k, (x, y) in sets.items():
            s = stats(judge, x[:m], y[:m])
            rows.setdefault(k, {})[name] = {"fd": metrics.frechet_distance(s["features"], real),
                                            "agreement": 100 * s["agreement"]}
        if name == JUDGES[0]:
            full = {"n": n, "agreement": 100 * metrics.agreement(judge, *sets["`cifar10-l2` samples (robust)"])}
    for k, d in moved.items():
        rows[k]["median_l2"] = float(d.median())
        rows[k]["mean_change_255"] = float((sets[k][0][:m] - seeds).abs().mean() * 255)

    # figure: per class, the seed, the robust sample and the standard twin's sample of the same index
    idx = torch.arange(20)
    picks = [sets[k][0][idx] for k in list(sets)[1:]]
    grid = torch.cat([torch.cat([p[b * 10:(b + 1) * 10] for p in picks]) for b in range(2)])
    viz.grid(grid, 6, row_titles=["seed", "robust", "standard"] * 2, scale=1.0,
             col_titles=list(synth.load_model("cifar10-l2").classes), path=FIGURE)

    e, s = JUDGES
    reference = f"the {n_set:,}" if args.n_train >= n_set else f"{args.n_train:,} evenly spaced"
    md = [f"`synth generate --model cifar10-l2 -n {n:,}` at the default preset (`synth.generate.cifar10`: multivariate "
          f"seeds, L2 eps 6, 60 steps), then `synth fd --a samples/ --b dataset:cifar10/train`: **Frechet distance "
          f"{headline['frechet_distance']:.2f}** to the 50,000 training images in `{e}`'s penultimate features; the "
          f"evaluator agrees with the intended class on **{full['agreement']:.1f}%** of the {n:,} samples. "
          f"Rows below: the first {m:,} of each set (same indices, so the same seeds), FD to "
          f"{reference} training images; the standard classifier's column is the weaker measure (a non-robust "
          "model's changes fool it).", "",
          f"| {m:,} images | FD in `{e}` | agreement `{e}` | FD in `{s}` | agreement `{s}` | median L2 moved | "
          "mean change /255 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for k, r in rows.items():
        far = f"{r['median_l2']:.2f} | {r['mean_change_255']:.1f}" if "median_l2" in r else "- | -"
        md.append(f"| {k} | {r[e]['fd']:.2f} | {r[e]['agreement']:.1f}% | {r[s]['fd']:.2f} | {r[s]['agreement']:.1f}% "
                  f"| {far} |")
    scores = headline.get("inception")
    md += ["", (f"The paper's metrics, from `synth fd` with the FID Inception-v3 weights on this machine: Inception Score "
                f"**{scores['inception_score']:.2f}** +- {scores['inception_score_std']:.2f} (the paper: 7.5), FID "
                f"**{scores['fid']:.2f}** to the training images. " if isinstance(scores, dict) else
                "Not the paper's numbers: its Inception Score (7.5) and FID need Inception-v3 weights, which "
                "`synth fd` adds when they are on the machine (`synth.metrics.inception_weights_path`). ")
           + f"Samples, seeds and standard twin per class: `docs/figures/{FIGURE.name}`.", "",
           f"![Table 1 samples](docs/figures/{FIGURE.name})"]
    report("table1", {"n": n, "n_compare": m, "headline": headline, "full": full, "rows": rows}, "\n".join(md))


if __name__ == "__main__":
    main()
