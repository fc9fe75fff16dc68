"""Two-domain translation with the bundled `horse2zebra-l2` (paper §3.3, Fig. 5): 8 random
test horses -> zebra and 8 zebras -> horse, with the classifier's probability of the target
before and after. The figure contains test-set images, so it goes to results/ (ignored),
never into the repository.

    python -m bench.horse2zebra_figure
"""
from __future__ import annotations


import torch

from bench._report import ROOT, report

import synth
from synth import data, viz


def main():
    model = synth.load_model("horse2zebra-l2")
    test = data.cyclegan("horse2zebra", "test", model.input_size[0])
    g = torch.Generator().manual_seed(0)
    rows, out = [], {}
    figs = []
    for src, tgt in ((0, 1), (1, 0)):
        idx = (test.labels == src).nonzero().flatten()
        pick = idx[torch.randperm(len(idx), generator=g)[:8]]
        x = test.float(pick)
        res = synth.translate(model, x, tgt)
        before = model.predict(x)[:, tgt]
        after = res.probs[:, tgt]
        name = f"{model.classes[src]} -> {model.classes[tgt]}"
        out[name] = {"p_target_before": before.tolist(), "p_target_after": after.tolist(),
                     "l2_change": (res.x - x).flatten(1).norm(dim=1).tolist()}
        rows.append(f"| {name} | {before.mean():.2f} | {after.mean():.2f} | {(after > 0.5).float().mean():.0%} |")
        figs.append(torch.cat([x, res.x]))
    path = ROOT / "results" / "horse2zebra_pairs.png"
    viz.grid(torch.cat(figs), 4, row_titles=["horse", "-> zebra", "zebra", "-> horse"], scale=1.5, path=path)
    cfg = synth.presets.resolve(synth.presets.default_for("translate", model))
    md = (f"Two-domain translation with `horse2zebra-l2`, 8 random test images each way, preset "
          f"`{synth.presets.default_for('translate', model)}` (eps {cfg.eps:g}, {cfg.steps} steps, step {cfg.step_size:g}). "
          f"Figure: `{path.relative_to(ROOT)}` (made by this script; not committed because it shows test-set images).\n\n"
          "| direction | p(target) before | after | flipped |\n|---|---:|---:|---:|\n" + "\n".join(rows))
    report("horse2zebra_figure", out, md, doc="docs/results.md")


if __name__ == "__main__":
    main()
