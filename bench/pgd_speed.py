"""PGD speed on the CPU: ours vs the ``robustness`` library's attacker vs a bare
forward+backward, same model, batch and steps, one run. Writes bench/results/pgd_speed.json
and the section of docs/library.md.

    python -m bench.pgd_speed [--model cifar10-l2] [--batch 64] [--steps 20]
"""
from __future__ import annotations

import argparse
import time

import torch

from bench._report import report

import synth
from synth.sources.robustness_lib import import_robustness, on_device
from synth.pgd import bf16_is_native


def timed(fn, repeats=3):
    fn()  # warm-up (oneDNN primitive creation)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="cifar10-l2")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = synth.load_model(args.model)
    h, w = model.input_size
    x = torch.rand(args.batch, 3, h, w, generator=torch.Generator().manual_seed(0))
    y = torch.arange(args.batch) % len(model.classes)
    eps, step = 2.0, 0.25

    def ours(bf16=False):
        return lambda: synth.pgd(model, x, synth.class_score(y), synth.L2Ball(eps), steps=args.steps, step_size=step, bf16=bf16)

    def bare(channels_last=True):
        xi = x.contiguous(memory_format=torch.channels_last) if channels_last else x

        def run():
            for _ in range(args.steps):
                xr = xi.clone().requires_grad_(True)
                loss = torch.nn.functional.cross_entropy(model(xr), y)
                torch.autograd.grad(loss, xr)
        return run

    # the robustness library's attacker on the same weights and normalisation
    rb = import_robustness()
    ds = rb.datasets.CIFAR("/tmp")
    ds.mean, ds.std = model.mean.flatten(), model.std.flatten()
    attacker_model = rb.attacker.AttackerModel(rb.model_utils.DummyModel(model.net), ds).eval()

    def theirs():
        with on_device("cpu"):
            attacker_model(x, y, make_adv=True, constraint="2", eps=eps, step_size=step, iterations=args.steps,
                           targeted=True, use_best=False)

    n = args.batch * args.steps
    bf16_label = ("synth.pgd (bf16 autocast)" if bf16_is_native("cpu")
                  else "synth.pgd (bf16=True; no native bf16 on this CPU, so float32)")
    t = {"synth.pgd (fp32)": timed(ours()), bf16_label: timed(ours(True)),
         "robustness Attacker (fp32, CPU via synth.sources.robustness_lib)": timed(theirs),
         "bare forward+backward, channels_last (fp32)": timed(bare()), "bare forward+backward, NCHW (fp32)": timed(bare(False))}
    ref = t["bare forward+backward, channels_last (fp32)"]
    rows = [f"| {k} | {n / v:,.0f} | {v / ref:.2f} |" for k, v in t.items()]
    md = (f"PGD on `{args.model}` ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters), batch {args.batch}, "
          f"{args.steps} steps, {h}x{w} images.\n\n| routine | image-steps/s | time vs bare fwd+bwd |\n|---|---:|---:|\n" + "\n".join(rows))
    report("pgd_speed", {"model": args.model, "batch": args.batch, "steps": args.steps,
                         "seconds": t, "img_steps_per_s": {k: n / v for k, v in t.items()}}, md, doc="docs/library.md")


if __name__ == "__main__":
    main()
