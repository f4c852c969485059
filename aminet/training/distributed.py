"""Several processes, one run: ``torchrun`` setup, the DDP wrapper, and what the processes agree on.

Launched with ``torchrun`` (or any launcher setting ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``), the
model is wrapped in DistributedDataParallel (NCCL on GPUs, gloo on CPUs; BatchNorm becomes
SyncBatchNorm on GPUs, the only place torch supports it). Every process computes the same
decisions (stop, diverge, the schedule's length) from numbers they have agreed on, so they stop
together. With one process every function here is a no-op or the identity.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["setup", "wrap", "unwrap", "agree", "from_rank0", "barrier", "teardown"]


def setup() -> tuple[int, int, int, bool]:
    """(rank, world, local_rank, we_initialised) from torchrun's environment variables."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0, False
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), local_rank, False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size(), local_rank, True


def wrap(model: nn.Module, device: torch.device, world: int) -> nn.Module:
    """``model`` in DistributedDataParallel when ``world`` > 1 (SyncBatchNorm on GPUs)."""
    if world <= 1:
        return model
    if device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None
    )


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def agree(values: list[float], averaged: tuple[bool, ...], device: torch.device, world: int):
    """``values`` summed over the processes (as float64), divided by ``world`` where ``averaged``:
    the mean of a loss, or how many processes flagged something (> 0: one did)."""
    summary = torch.tensor(values, dtype=torch.float64)
    if world <= 1:
        return summary
    summary = summary.to(device)
    dist.all_reduce(summary)
    divisors = torch.tensor([world if a else 1.0 for a in averaged], dtype=torch.float64)
    return summary.cpu() / divisors


def from_rank0(value: int, device: torch.device, world: int) -> int:
    """Rank 0's ``value`` on every process."""
    if world <= 1:
        return value
    agreed = torch.tensor([value], dtype=torch.int64, device=device)
    dist.broadcast(agreed, 0)
    return int(agreed.item())


def barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def teardown() -> None:
    """End the process group that :func:`setup` started."""
    dist.destroy_process_group()
