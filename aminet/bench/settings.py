"""What a benchmark measures: :class:`BenchSettings`, checked before anything runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class BenchmarkUnavailable(ValueError):
    """A requested mode (compile, CUDA graphs, a dtype, a device) cannot run on this machine."""


@dataclass(frozen=True)
class BenchSettings:
    """Every choice of a benchmark run besides the models (see :func:`aminet.bench.benchmark`)."""

    device: str = "cpu"
    batches: tuple[int, ...] = (1,)  # sorted, batch 1 included (it gives the latency)
    dtype: str = "fp32"
    channels_last: bool = False
    compile: bool = False
    cuda_graphs: bool = False
    train: bool = False
    train_batch: int | None = None  # None: the largest batch
    repeats: int = 10
    warmup: int = 2
    size: int = 128
    memory: bool = True
    progress: bool = False

    def __post_init__(self):
        check_settings(self.device, self.dtype, self.compile, self.cuda_graphs)
        if self.repeats < 1 or self.warmup < 0:
            raise ValueError(
                f"repeats must be >= 1 and warmup >= 0, got {self.repeats} and {self.warmup}"
            )
        if self.size < 8:
            raise ValueError(f"size must be at least 8 pixels, got {self.size}")
        batches = tuple(sorted({1, *(int(b) for b in self.batches)}))
        if batches[0] < 1:
            raise ValueError(f"batch sizes must be positive, got {list(batches)}")
        object.__setattr__(self, "batches", batches)

    @property
    def runner_options(self) -> dict:
        """The options every inference runner is prepared with."""
        keys = ("device", "dtype", "channels_last", "compile", "cuda_graphs", "size")
        return {k: v for k, v in asdict(self).items() if k in keys}


def check_settings(device: str, dtype: str, compile: bool, cuda_graphs: bool) -> None:
    if dtype not in DTYPES:
        raise BenchmarkUnavailable(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BenchmarkUnavailable(
            "device 'cuda' asked for, but torch.cuda.is_available() is False on this machine "
            f"(torch {torch.__version__}); run with --device cpu, or on a machine with a GPU"
        )
    if not (device == "cpu" or device.startswith("cuda")):
        raise BenchmarkUnavailable(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")
    if cuda_graphs and not device.startswith("cuda"):
        raise BenchmarkUnavailable(
            "CUDA graphs exist only on CUDA devices: --cuda-graphs needs --device cuda "
            "(there is no CPU equivalent; drop --cuda-graphs to measure on the CPU)"
        )
    if compile and not hasattr(torch, "compile"):
        raise BenchmarkUnavailable(f"torch.compile is missing from torch {torch.__version__}")


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
