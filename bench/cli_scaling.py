"""Does sharding cost anything? Images/s of one `synth generate` job run as 1 process x 2 threads and as
2 processes x 1 thread (torchrun, gloo) on this machine, in one run, and what Table 1's 50,000-sample job
takes at the measured per-image cost.

    python -m bench.cli_scaling [--n 64] [--steps 60] [--batch-size 16]

Writes bench/results/cli_scaling.json and the README section ``cli_scaling``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._report import report

TABLE1_SAMPLES = 50_000


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--steps", type=int, default=60, help="PGD steps (60: the default preset's)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--model", default="cifar10-l2")
    args = p.parse_args(argv)
    job = ["generate", "--model", args.model, "-n", str(args.n), "--batch-size", str(args.batch_size),
           "--set", f"steps={args.steps}"]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, procs, threads in (("1 process x 2 threads", 1, 2), ("2 processes x 1 thread", 2, 1)):
            env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
            if procs == 1:
                cmd = [sys.executable, "-m", "synth", *job, "--threads", str(threads)]
            else:
                cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(procs), "--master-port", "29871",
                       "-m", "synth", *job, "--threads", str(threads)]
            seconds = timed([*cmd, "--out", str(Path(tmp) / name.replace(" ", "_"))], env)
            rows[name] = {"seconds": round(seconds, 1), "images_per_s": round(args.n / seconds, 3)}
        same = all(
            (Path(tmp) / "1_process_x_2_threads" / f).read_bytes() == (Path(tmp) / "2_processes_x_1_thread" / f).read_bytes()
            for f in ["manifest.jsonl", *(f"{i:06d}.png" for i in range(args.n))])
    one, two = rows["1 process x 2 threads"], rows["2 processes x 1 thread"]
    ratio = two["images_per_s"] / one["images_per_s"]
    best = max(one["images_per_s"], two["images_per_s"])
    hours = TABLE1_SAMPLES / best / 3600
    md = "\n".join([
        f"`synth generate` of {args.n} `{args.model}` samples ({args.steps} PGD steps, batch {args.batch_size}), "
        "process start-up and model loading included:", "",
        "| layout | seconds | images/s |", "|---|---:|---:|",
        *(f"| {k} | {v['seconds']} | {v['images_per_s']} |" for k, v in rows.items()), "",
        f"2 processes / 1 process: {ratio:.2f}x the throughput (target: within 10%, i.e. >= 0.90); files "
        f"{'byte-identical' if same else 'DIFFERENT'} between the two layouts. At {best:.2f} images/s, Table 1's "
        f"{TABLE1_SAMPLES:,} samples take {hours:.1f} h here; N machines of this kind (torchrun --nnodes N) divide "
        "that by N, since shards share nothing but the final manifest."])
    report("cli_scaling", {"n": args.n, "steps": args.steps, "batch_size": args.batch_size, "rows": rows, "ratio": ratio,
                           "identical": same, "table1_hours": hours}, md, doc="docs/results.md")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
