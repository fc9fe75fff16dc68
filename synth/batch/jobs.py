"""Batch jobs of the command line: sharded over processes (torchrun), resumable, the same files for any
number of processes.

The work is a count of samples with global indices ``0..n-1``, cut into fixed global batches of
``batch_size`` consecutive indices. Process ``rank`` of ``world`` takes batches ``rank, rank + world, ...``
(NVlabs/edm's ``generate.py`` pattern, with the batches fixed by index rather than by process count), and every
random draw of a sample is seeded by its own index. A batch's inputs, and so its results, are the same whatever
the number of processes, and a killed job restarted with the same command skips the batches the manifest shows
finished and recomputes the rest: it ends with the files an uninterrupted run writes.

Output folder: ``{index:06d}.png`` per sample and ``manifest.jsonl`` (one JSON line per sample, sorted by index),
written by rank 0 from the per-process ``manifest.rank<r>.jsonl`` files each process appends to as it goes.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from ..distributed import Context, barrier
from ..imageio import to_pil

MANIFEST = "manifest.jsonl"
DIGITS = 6  # significant digits of floats in the manifest (bitwise float noise never reaches the file)


def batches(n: int, batch_size: int) -> list[range]:
    """The job's fixed global batches: consecutive index ranges of ``batch_size`` (the last may be shorter)."""
    return [range(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def rounded(value):
    """JSON-ready ``value`` with floats at :data:`DIGITS` significant digits (tensors become lists)."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


class Output:
    """The job's output folder: PNGs, per-process manifests while running, ``manifest.jsonl`` at the end."""

    def __init__(self, folder: Path, ctx: Context, images: bool = True):
        self.folder, self.ctx, self.images = Path(folder), ctx, images

    def png(self, index: int) -> Path:
        return self.folder / f"{index:0{DIGITS}d}.png"

    def _manifests(self) -> list[Path]:
        return [self.folder / MANIFEST, *sorted(self.folder.glob("manifest.rank*.jsonl"))]

    def records(self) -> dict[int, dict]:
        """index -> record of every sample a manifest lists (and, for image jobs, whose PNG exists)."""
        out = {}
        for path in self._manifests():
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut by a kill
                    continue
                if not self.images or self.png(rec["index"]).exists():
                    out[rec["index"]] = rec
        return out

    def write(self, records: list[dict], images: torch.Tensor | None = None) -> None:
        """Save a finished batch: its PNGs (each written then renamed, so a kill leaves no half file), then its
        manifest lines (appended and flushed: a line means the sample is done)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if images is not None:
            for rec, image in zip(records, to_pil(images)):
                tmp = self.png(rec["index"]).with_suffix(".tmp.png")
                image.save(tmp)
                tmp.replace(self.png(rec["index"]))
        with open(self.folder / f"manifest.rank{self.ctx.rank}.jsonl", "a") as f:
            for rec in records:
                f.write(json.dumps(rounded(rec), sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def finish(self, n: int) -> list[dict]:
        """Rank 0, after every process is done: ``manifest.jsonl`` sorted by index from all manifests; the
        per-process files go. Returns the records."""
        records = self.records()
        missing = [i for i in range(n) if i not in records]
        if missing:
            raise RuntimeError(f"{len(missing)} samples were not written (first: {missing[:5]})")
        tmp = self.folder / (MANIFEST + ".tmp")
        tmp.write_text("".join(json.dumps(records[i], sort_keys=True) + "\n" for i in range(n)))
        tmp.replace(self.folder / MANIFEST)
        for path in self.folder.glob("manifest.rank*.jsonl"):
            path.unlink()
        return [records[i] for i in range(n)]

    def pack(self, n: int, name: str = "images.npz") -> Path:
        """All PNGs as one ``.npz``: ``images`` (n, H, W, 3) uint8 and ``index``."""
        arrays = np.stack([np.asarray(Image.open(self.png(i)).convert("RGB")) for i in range(n)])
        path = self.folder / name
        np.savez_compressed(path, images=arrays, index=np.arange(n))
        return path


Work = Callable[[list[int]], "tuple[torch.Tensor | None, list[dict]]"]


def run(work: Work, n: int, out: Output, batch_size: int, desc: str = "synth") -> list[dict] | None:
    """Compute this process's share of the job, skipping finished batches; rank 0 then writes the manifest.

    Args:
        work: global indices -> (images (B, 3, H, W) in [0, 1] or None, one record per index, each with "index").
        n: samples in the job.
        out: the output folder.
        batch_size: samples per global batch (part of what the results are: keep it when resuming).

    Returns:
        the records of all samples, sorted by index, on rank 0 (None on the others).
    """
    from tqdm import tqdm
    ctx = out.ctx
    done = out.records()
    mine = [b for k, b in enumerate(batches(n, batch_size)) if k % ctx.world == ctx.rank and not all(i in done for i in b)]
    bar = tqdm(total=sum(len(b) for b in mine), desc=f"{desc} [{ctx.rank}/{ctx.world}]", unit="img", disable=not ctx.main,
               dynamic_ncols=True)
    for b in mine:
        images, records = work(list(b))
        if [r["index"] for r in records] != list(b):
            raise RuntimeError("a job's work must return one record per index, in order")
        out.write(records, images)
        bar.update(len(b))
    bar.close()
    barrier(ctx)
    result = out.finish(n) if ctx.main else None
    barrier(ctx)
    return result
