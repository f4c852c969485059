"""The data order: a function of the step only, so resuming and DDP reproduce it exactly.

The order is a permutation per epoch seeded by ``(seed, epoch)`` and random crops are seeded by
``(seed, step)``, so the data seen at step k depends only on k: resuming continues the exact
sequence, and N processes see the same global batch as one.
"""

from __future__ import annotations

import torch
from torch.utils.data import Sampler

__all__ = ["EpochBatchSampler", "random_crops"]


class EpochBatchSampler(Sampler[list[int]]):
    """Endless batches: epoch e is ``randperm(n)`` seeded by ``(seed, e)``; yields this rank's share.

    ``start_step`` skips the batches already trained on (resume). Incomplete last batches are
    dropped so every step has the same global batch.
    """

    def __init__(
        self,
        n: int,
        global_batch: int,
        *,
        seed: int = 0,
        start_step: int = 0,
        rank: int = 0,
        world: int = 1,
    ):
        if global_batch % world:
            raise ValueError(
                f"batch size {global_batch} does not split evenly over {world} processes"
            )
        if n < global_batch:
            raise ValueError(
                f"the training set has {n} images, fewer than one batch of {global_batch}"
            )
        self.n, self.global_batch, self.seed = n, global_batch, seed
        self.start_step, self.rank, self.world = start_step, rank, world
        self.batches_per_epoch = n // global_batch

    def global_batch_at(self, step: int) -> list[int]:
        epoch, index = divmod(step, self.batches_per_epoch)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        order = torch.randperm(self.n, generator=g)
        return order[index * self.global_batch : (index + 1) * self.global_batch].tolist()

    def __iter__(self):
        share = self.global_batch // self.world
        step = self.start_step
        while True:
            batch = self.global_batch_at(step)
            yield batch[self.rank * share : (self.rank + 1) * share]
            step += 1

    def __len__(self) -> int:  # DataLoader asks; the sampler itself is endless
        return 2**62


def random_crops(
    tensors: list[torch.Tensor], size: int, *, seed: int, step: int, rank: int, world: int
) -> list[torch.Tensor]:
    """Crop the same random ``size`` window (aligned to the x8 grid) out of each tensor of a batch.

    Offsets are drawn for the whole global batch from a generator seeded by ``(seed, step)`` and
    this rank takes its share, so one process and N processes crop identically.
    """
    n, _, h, w = tensors[0].shape
    if size > min(h, w) or size % 8:
        raise ValueError(
            f"crop_size must be a multiple of 8 no larger than the images ({h}x{w}), got {size}"
        )
    g = torch.Generator().manual_seed(seed * 7_919 + step)
    tops = (
        torch.randint(0, (h - size) // 8 + 1, (n * world,), generator=g)[rank * n : (rank + 1) * n]
        * 8
    )
    lefts = (
        torch.randint(0, (w - size) // 8 + 1, (n * world,), generator=g)[rank * n : (rank + 1) * n]
        * 8
    )
    out = []
    for t in tensors:
        out.append(
            torch.stack(
                [
                    t[i, :, y : y + size, x : x + size]
                    for i, (y, x) in enumerate(zip(tops.tolist(), lefts.tolist()))
                ]
            )
        )
    return out
