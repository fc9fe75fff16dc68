"""Data-parallel training over processes (``torchrun ... -m synth.train``), on :mod:`synth.batch.jobs`' process group.

Every process draws the same global batch (same permutation, same augmentation), keeps its ``rank``-th share, and
``DistributedDataParallel`` averages the gradients, so a step on N processes is the step one process takes on the
whole batch. BatchNorm is synchronised: its training statistics are those of the global batch, through
``nn.SyncBatchNorm`` on CUDA and :class:`GlobalBatchNorm2d` on the CPU (``SyncBatchNorm`` is CUDA-only), so the
run matches a one-process run up to float rounding (tested) rather than training on per-process statistics.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


_GROUP = []  # BatchNorm's own process group, so that its collectives never interleave with DDP's gradient buckets


def _group():
    if not _GROUP:
        _GROUP.append(dist.new_group(backend="gloo"))
    return _GROUP[0]


class _SumOverProcesses(torch.autograd.Function):
    """All-reduce (sum) whose backward is the all-reduced gradient: each process's statistics feed every
    process's loss, as in ``nn.SyncBatchNorm``."""

    @staticmethod
    def forward(ctx, x):
        x = x.clone()
        dist.all_reduce(x, group=_group())
        return x

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad, group=_group())
        return grad


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training-mode statistics are over all processes' batches (sums all-reduced with autograd,
    so the gradient is that of the global batch too). In eval mode, or in one process, it is ``nn.BatchNorm2d``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not dist.is_initialized() or dist.get_world_size() == 1:
            return super().forward(x)
        xf, c = x.float(), x.shape[1]
        # two passes (the mean, then the squared deviations from it): E[x^2] - mean^2 loses float32 digits on
        # activations whose mean is large next to their spread, as after the first convolution of [0, 1] images
        count = torch.tensor([xf.numel() / c], device=x.device)
        sums = _SumOverProcesses.apply(torch.cat([xf.sum((0, 2, 3)), count]))
        n = sums[-1]
        mean = sums[:c] / n
        centred = xf - mean.view(1, c, 1, 1)
        var = _SumOverProcesses.apply(centred.pow(2).sum((0, 2, 3))) / n
        with torch.no_grad():
            self.num_batches_tracked += 1
            m = self.momentum if self.momentum is not None else 1 / float(self.num_batches_tracked)
            self.running_mean.lerp_(mean.detach(), m)
            self.running_var.lerp_(var.detach() * n / (n - 1).clamp_min(1), m)
        y = centred * torch.rsqrt(var.view(1, c, 1, 1) + self.eps)
        if self.affine:
            y = y * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)
        return y.to(x.dtype)


def synchronise_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` with every BatchNorm2d synchronised across processes (same parameters and buffers)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    if dist.is_initialized():
        _group()  # created now, by every process at the same point (new_group is collective)
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            bn = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            bn.load_state_dict(child.state_dict())
            setattr(module, name, bn.to(child.weight.device if child.affine else device))
        else:
            synchronise_batchnorm(child, device)
    return module


def data_parallel(model: nn.Module, device: torch.device) -> nn.Module:
    """The training forward of one process: ``model`` (BatchNorm synchronised) in DistributedDataParallel."""
    from torch.nn.parallel import DistributedDataParallel
    synchronise_batchnorm(model, device)
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def share(x: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """This process's rows of a global batch (equal shares: the batch size must divide by ``world``)."""
    return x.tensor_split(world)[rank]


def total(values: list[float], device) -> list[float]:
    """Element-wise sum over processes (training-log counters)."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()
