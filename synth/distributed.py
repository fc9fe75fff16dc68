"""The process group of a job launched by torchrun (one process without it): which process this is, on which
device, and the few collective steps the command line's batch jobs and training need."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Context:
    """This process's place in the job: ``rank`` of ``world`` processes, computing on ``device``."""
    rank: int = 0
    world: int = 1
    device: str = "cpu"

    @property
    def main(self) -> bool:
        return self.rank == 0


def start(device: str | None = None) -> Context:
    """Join the job's process group when launched by torchrun (``WORLD_SIZE`` > 1): gloo on the CPU, NCCL on CUDA.

    Args:
        device: "cpu", "cuda" or None (CUDA when available; each process takes GPU ``LOCAL_RANK``).
    """
    world, rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        device = f"cuda:{local}" if device == "cuda" else device
        torch.cuda.set_device(torch.device(device))
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return Context(rank, world, device)


def barrier(ctx: Context) -> None:
    if ctx.world > 1:
        torch.distributed.barrier()


def stop(ctx: Context) -> None:
    if ctx.world > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def gather(ctx: Context, value):
    """Every process's ``value``, in rank order (on every process)."""
    if ctx.world == 1:
        return [value]
    out = [None] * ctx.world
    torch.distributed.all_gather_object(out, value)
    return out
