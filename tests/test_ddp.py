"""DistributedDataParallel on the CPU (gloo, 2 processes) reproduces one process with the same global batch."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from aminet.checkpoint import load_checkpoint
from aminet.train import TrainConfig, train

# No FRM: BatchNorm normalises each process's half batch on the CPU (SyncBatchNorm is GPU-only),
# which is a real (documented) difference from one process; everything else must match.
TINY_NO_BN = {
    "base_channels": 8,
    "hourglass_channels": 8,
    "num_heads": (1, 1, 1, 1),
    "use_frm": False,
}


def _config(out) -> TrainConfig:
    return TrainConfig(
        model="aminet",
        model_kwargs=TINY_NO_BN,
        train_limit=8,
        val_limit=0,
        batch_size=4,
        steps=2,
        crop_size=32,
        augment=False,
        lr=1e-3,
        val_every=0,
        out=str(out),
        progress=False,
        device="cpu",
    )


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    history = train(_config(out))
    assert history["world_size"] == world


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_match_one_process(tmp_path):
    single = train(_config(tmp_path / "single"))
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path / "ddp")), nprocs=2, join=True)
    one = load_checkpoint(tmp_path / "single" / "last.pt")
    two = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert two["step"] == one["step"] == 2
    # Adam divides each gradient by its own magnitude: a near-zero gradient whose sign differs in
    # the last bits (the two runs sum in a different order) moves its weight by up to 2 * lr.
    # So: nearly every weight equal to float precision, and none further apart than that bound.
    keys = [k for k, v in one["model"].items() if v.is_floating_point()]
    a = torch.cat([one["model"][k].flatten() for k in keys])
    b = torch.cat([two["model"][k].flatten() for k in keys])
    diff = (a - b).abs()
    assert (diff <= 1e-5 + 1e-4 * a.abs()).float().mean() > 0.999
    assert diff.max() <= 2 * 1e-3 * 2 + 1e-6  # 2 steps of lr 1e-3
    ddp_losses = two["history"]["loss"]
    assert ddp_losses == pytest.approx(
        single["loss"], rel=1e-4
    )  # the mean over both halves of each batch
