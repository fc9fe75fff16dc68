"""The README's key figures, made only from model outputs (no data-set image is committed):
class-conditional samples of the bundled robust models and the robust-vs-standard generator
ablation (paper §3.1, Duke Fig. 3), written to docs/figures/.

    python bench/readme_figures.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import synth  # noqa: E402
from synth import viz  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures"


def main():
    robust, standard = synth.load_model("cifar10-l2"), synth.load_model("cifar10-standard")
    per_class = 6
    labels = torch.arange(10).repeat_interleave(per_class)
    g = torch.Generator().manual_seed(0)
    res = synth.generate(robust, labels, generator=g)
    # rows = samples, columns = classes
    grid = res.x.view(10, per_class, 3, 32, 32).transpose(0, 1).reshape(-1, 3, 32, 32)
    viz.grid(grid, per_class, col_titles=robust.classes, scale=0.9, path=OUT / "cifar10_samples.png")

    labels = torch.arange(10)
    seeds_g = torch.Generator().manual_seed(1)
    rob = synth.generate(robust, labels, generator=seeds_g)
    std = synth.generate(standard, labels, seeds=rob.extras["seeds"])
    viz.grid(torch.cat([rob.extras["seeds"], rob.x, std.x]), 3, row_titles=["seed", "robust", "standard"],
             col_titles=robust.classes, scale=0.9, path=OUT / "cifar10_robust_vs_standard.png")

    if "imagenette-l2" in synth.bundled_names():
        net = synth.load_model("imagenette-l2")
        res = synth.generate(net, torch.arange(10), generator=torch.Generator().manual_seed(0))
        viz.grid(res.x, 2, col_titles=[f"{net.classes[i].split()[-1]} / {net.classes[i + 5].split()[-1]}" for i in range(5)], scale=1.6,
                 path=OUT / "imagenette_samples.png")
    print("wrote", *sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
