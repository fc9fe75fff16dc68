"""Imagenette quality with the bundled `imagenette-l2` (128 px): super-resolution x4
(32 -> 128) against bicubic, and inpainting of a random 34x34 patch (the Duke study's 60 px
patch at 224 px, scaled to 128) against OpenCV Telea, on the val split.

    python -m bench.quality_imagenette [--n 200]

The paper-objective rows (300-step inpainting, the plain-ball super-resolution variants) are
left out here to keep the run to minutes on a CPU; the CIFAR-10 tables have them.
"""
from __future__ import annotations

import argparse

from bench._report import report
from bench.quality_cifar10 import SR_SETTINGS, inpainting, super_resolution

import synth
from synth import data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--batch", type=int, default=50)
    args = p.parse_args()
    robust, standard = synth.load_model("imagenette-l2"), synth.load_model("imagenette-standard")
    val = data.imagenette("val", robust.input_size[0]).subset(3925, seed=0)
    rows = list(SR_SETTINGS)
    out, md = super_resolution(robust, val, args.n, args.batch, factor=4, settings=(rows[0], rows[-1]))
    report("quality_imagenette_super_resolution", {"n": args.n, "results": out}, md, doc="docs/results.md")
    out, md = inpainting(robust, standard, val, args.n, args.batch, patch=34, with_paper=False)
    report("quality_imagenette_inpainting", {"n": args.n, "results": out}, md, doc="docs/results.md")


if __name__ == "__main__":
    main()
