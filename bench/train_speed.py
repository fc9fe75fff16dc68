"""Training-step speed on the CPU: images/s of one SGD step (forward, backward, update) of the
CIFAR ResNet-18 at several widths, eager against ``torch.compile``, bf16 autocast where native,
``channels_last``. Synthetic data, so it measures the network, not the loader.

Shared cloud CPUs change speed by up to 2x within minutes, so the two modes are timed in
alternating rounds and each reports its median round. Writes bench/results/train_speed.json.

    python -m bench.train_speed [--widths 32 48 64] [--batch 128] [--steps 4] [--rounds 5] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from synth.architectures import build
from synth.pgd import autocast, bf16_is_native

RESULTS = Path(__file__).resolve().parent / "results" / "train_speed.json"


def sgd_step(width: int, batch: int, compiled: bool, bf16: bool):
    """A closure running one SGD step on a fixed synthetic batch of (batch, 3, 32, 32)."""
    torch.manual_seed(0)
    net = build("resnet18_cifar", 10, width).to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    forward = torch.compile(net) if compiled else net
    x = torch.rand(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    y = torch.arange(batch) % 10

    def step():
        with autocast(x, bf16):
            logits = forward(x)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--widths", type=int, nargs="+", default=[32, 48, 64])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=4, help="SGD steps per timed round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bf16 = bf16_is_native("cpu")
    rows = []
    for width in args.widths:
        steps, rates, warmup = {}, {"eager": [], "compiled": []}, {}
        for mode in rates:
            t = time.perf_counter()
            steps[mode] = sgd_step(width, args.batch, mode == "compiled", bf16)
            for _ in range(2):  # oneDNN primitives, and the compilation itself
                steps[mode]()
            warmup[mode] = round(time.perf_counter() - t, 1)
        for _ in range(args.rounds):
            for mode, step in steps.items():
                t = time.perf_counter()
                for _ in range(args.steps):
                    step()
                rates[mode].append(args.batch * args.steps / (time.perf_counter() - t))
        row = {"width": width, "batch": args.batch, "bf16": bf16, "threads": torch.get_num_threads(),
               **{f"{mode}_img_s": round(statistics.median(r), 1) for mode, r in rates.items()},
               **{f"{mode}_rounds": [round(v) for v in r] for mode, r in rates.items()},
               **{f"{mode}_warmup_s": s for mode, s in warmup.items()}}
        rows.append(row)
        print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"torch": torch.__version__, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
