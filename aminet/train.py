"""The trainer: ``train(TrainConfig) -> history``, one plain function for the CLI, notebooks and tests.

What it does, in order (each rule has a reason, kept next to the code):

- Paper defaults (Sec. IV-A): Adam(beta1=0.9, beta2=0.99), learning rate 2e-4, L1 loss (eq. 17).
- Schedule: ``cosine`` (default; from ``lr`` down to ``lr * min_lr_ratio`` over the run, after an
  optional linear warm-up), ``multistep`` (multiply by ``gamma`` at the fractions ``milestones``
  of the run) or ``constant``. The paper does not give its schedule; cosine needs no tuning of
  milestones and ends every budget, long or short, at a small learning rate.
- Length: ``steps``, or ``epochs`` (converted to steps), and/or a wall-clock budget ``minutes``.
  With a budget the trainer measures its own speed and re-estimates the number of steps that fit
  (every 20 steps), so the cosine schedule still ends at the small learning rate when time is up.
  The seconds spent are saved in checkpoints: a resumed budget run ends where the original would.
- Run folders (docs/training.md, "What a run folder guarantees"): a fresh run into a folder that
  holds a ``last.pt``/``best.pt`` is refused (``resume`` or ``overwrite``); ``run.lock`` keeps a
  second process out; SIGINT/SIGTERM finish the step, save ``last.pt`` and print how to resume;
  a resume refuses changes to the options that define the optimisation (``RESUME_FIXED``).
- Batches: ``batch_size`` is the *global* batch (split evenly across DDP processes). The order is
  a permutation per epoch seeded by ``(seed, epoch)`` and random crops are seeded by
  ``(seed, step)``, so the data seen at step k depends only on k: resuming continues the exact
  sequence, and N processes see the same global batch as one.
- Device cuda -> mps -> cpu (printed); AMP on CUDA (bf16 where the GPU runs it natively, sm_80+,
  else fp16 + GradScaler: :func:`aminet.device.autocast_dtype`);
  optional channels_last; gradient-norm clipping; seed and a deterministic option.
- Validation every ``val_every`` steps (PSNR/SSIM on Y with :func:`aminet.evaluation.evaluate`);
  ``best.pt`` (highest validation PSNR-Y) and ``last.pt`` written atomically with everything that
  exact resumption needs (model, optimizer, scheduler, scaler, RNG states, step, history).
- Logs: ``log.jsonl`` (one JSON object per step and per validation), ``curves.png`` (loss and
  PSNR-Y), ``config.json``; a ``tqdm.auto`` bar with the loss and the speed in images/s.
- A guard against divergence: a non-finite pixel loss, or an L1 above ``divergence_threshold``
  (1.0 = every pixel wrong by the whole [0, 1] range on average, impossible for a sane model),
  stops training with a message and leaves the last good checkpoint untouched.
- Multi-GPU: launched with ``torchrun``, the model is wrapped in DistributedDataParallel (NCCL on
  GPUs, gloo on CPUs; BatchNorm becomes SyncBatchNorm on GPUs, the only place torch supports it).
- AMIGAN (``gan=True``, Sec. III-D): see :mod:`aminet.gan` for the discriminator and losses.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from aminet.checkpoint import load_checkpoint, save_checkpoint
from aminet.optim import amp_dtype as _amp_dtype
from aminet.optim import make_adam, optimizer_step

__all__ = [
    "PRESETS",
    "TrainConfig",
    "preset_config",
    "train",
    "EpochBatchSampler",
    "save_curves",
]

TINY_MODEL = {"base_channels": 8, "hourglass_channels": 8, "num_heads": (1, 1, 1, 1)}


@dataclass
class TrainConfig:
    """Everything a training run needs; ``TrainConfig.from_file("run.yaml")`` reads YAML or JSON."""

    # what to train, on what
    model: str = "aminet"
    model_kwargs: dict = field(default_factory=dict)
    data: str = "synthetic"  # synthetic | celeba:DIR | folder:DIR (see aminet.data.build_dataset)
    train_limit: int | None = None
    val_limit: int | None = 200
    augment: bool = True  # random horizontal flips
    crop_size: int | None = (
        None  # random crops (multiple of 8) of the 128x128 faces; None = whole faces
    )
    out: str = "runs/train"
    # how long
    batch_size: int = 16  # global batch (all processes together)
    steps: int | None = 10_000
    epochs: float | None = None
    minutes: float | None = None
    # optimisation (paper: Adam(0.9, 0.99), lr 2e-4, L1)
    lr: float = 2e-4
    pixel_loss: str = "l1"  # l1 (eq. 17, the paper) | mse (squared error: PSNR's own measure)
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.0
    schedule: str = "cosine"  # cosine | multistep | constant
    warmup_steps: int = 0
    min_lr_ratio: float = 0.01
    milestones: tuple[float, ...] = (0.5, 0.75)
    gamma: float = 0.5
    grad_clip: float | None = 1.0  # max gradient norm; None or 0 = off
    divergence_threshold: float = 1.0
    zero_init_tail: bool = (
        False  # start as bicubic exactly: zero the last conv (the residual); helps short runs
    )
    # machinery
    device: str | None = None  # None = cuda -> mps -> cpu
    amp: str = "auto"  # auto | bf16 | fp16 | none (auto = bf16/fp16 on CUDA, off elsewhere)
    channels_last: bool = False
    seed: int = 0
    deterministic: bool = False
    val_every: int = 500  # 0 = only at the end
    val_batch_size: int = 16
    save_every: int | None = None  # last.pt every N steps; None = at each validation
    resume: str | None = None  # a last.pt to continue exactly
    overwrite: bool = False  # replace a run already in ``out`` (else a fresh run there is refused)
    init_from: str | None = None  # a checkpoint whose model weights start this run (e.g. AMIGAN)
    progress: bool = True
    # AMIGAN (Sec. III-D, eqs. 18-22)
    gan: bool = False
    perceptual: str = "vgg19"  # vgg19 | none | auto (vgg19 when the weights are cached, else none)
    lambda_pix: float = 1.0
    lambda_pcp: float = 0.01
    lambda_adv: float = 0.01
    lr_g: float = 1e-4  # the generator's learning rate when gan=True (paper, Sec. IV-B); lr is L1's
    lr_d: float = 4e-4

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            import difflib

            hints = [
                f"{u} (did you mean {close[0]}?)" if close else u
                for u in unknown
                for close in [difflib.get_close_matches(u, known, n=1)]
            ]
            raise ValueError(
                f"unknown training option(s) {', '.join(hints)}; known: {', '.join(sorted(known))}"
            )
        values = dict(values)
        for key in _FLOAT_OPTIONS:  # YAML 1.1 reads 1e-3 (no dot) as text: take it as the number
            if isinstance(values.get(key), str):
                try:
                    values[key] = float(values[key])
                except ValueError:
                    pass  # left as text: validate() names the option
        for key in ("betas", "milestones"):
            if key in values:
                if not isinstance(values[key], (list, tuple)):
                    raise ValueError(f"{key} must be a list of numbers, got {values[key]!r}")
                values[key] = tuple(values[key])
        kwargs = values.get("model_kwargs") or {}
        if not isinstance(kwargs, dict):
            raise ValueError(f"model_kwargs must be a mapping of model options, got {kwargs!r}")
        values["model_kwargs"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()
        }
        return cls(**values)

    @classmethod
    def values_in_file(cls, path: str | Path) -> dict:
        """Only the options a YAML/JSON file sets, normalised (lists -> tuples) and type-checked.

        A value given in a file wins over the preset whatever it equals, so callers merge these
        keys, not a whole ``TrainConfig`` (whose defaults would be indistinguishable from them).
        """
        values = _read_mapping(path)
        try:
            cfg = cls.from_dict(values).validate()
        except ValueError as err:
            raise ValueError(f"config file {path}: {err}") from None
        return {key: getattr(cfg, key) for key in values}

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """Read a YAML (.yaml/.yml) or JSON file of options."""
        try:
            return cls.from_dict(_read_mapping(path))
        except ValueError as err:
            if str(err).startswith("config file"):
                raise
            raise ValueError(f"config file {path}: {err}") from None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def validate(self) -> TrainConfig:
        """Check every option's type and range up front; a ``ValueError`` names the first bad one.

        Messages name the command-line flag (``--lr``) where there is one, else the option's key.
        """
        for problem in _config_problems(self):
            raise ValueError(problem)
        return self


def _read_mapping(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            values = yaml.safe_load(text) or {}
        else:
            values = json.loads(text)
    except Exception as err:
        raise ValueError(
            f"config file {path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {err}"
        ) from None
    if not isinstance(values, dict):
        raise ValueError(f"config file {path} must hold a mapping of option: value")
    return values


_FLOAT_OPTIONS = (
    "minutes",
    "epochs",
    "lr",
    "weight_decay",
    "min_lr_ratio",
    "gamma",
    "grad_clip",
    "divergence_threshold",
    "lambda_pix",
    "lambda_pcp",
    "lambda_adv",
    "lr_d",
)

# Command-line spelling of the options that have a flag (the others are config-file keys only).
_FLAGS = {"init_from": "--init", "progress": "--no-progress"}
_NO_FLAG = {
    "model_kwargs",
    "augment",
    "betas",
    "weight_decay",
    "min_lr_ratio",
    "milestones",
    "gamma",
    "divergence_threshold",
    "val_batch_size",
    "save_every",
    "lambda_pix",
    "lambda_pcp",
    "lambda_adv",
    "lr_d",
}


def option_flag(name: str) -> str:
    """How the user spells option ``name``: ``--batch-size`` on the command line, else the key."""
    if name in _NO_FLAG:
        return name
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _config_problems(cfg: TrainConfig):
    """Yield one message per bad option (type, range), in field order."""
    ints = {  # name: (lowest allowed, may be None)
        "steps": (1, True),
        "batch_size": (1, False),
        "train_limit": (1, True),
        "val_limit": (0, True),
        "warmup_steps": (0, False),
        "val_every": (0, False),
        "val_batch_size": (1, False),
        "save_every": (0, True),
        "seed": (0, False),
    }
    positive = {"lr", "lr_g", "lr_d", "gamma", "divergence_threshold"}
    at_least_zero = {"weight_decay", "lambda_pix", "lambda_pcp", "lambda_adv"}
    optional_positive = {"minutes", "epochs"}
    choices = {
        "schedule": ("cosine", "multistep", "constant"),
        "pixel_loss": tuple(PIXEL_LOSSES),
        "amp": ("auto", "bf16", "fp16", "none"),
        "perceptual": ("vgg19", "none", "auto"),
    }
    bools = {
        "augment",
        "channels_last",
        "deterministic",
        "progress",
        "gan",
        "zero_init_tail",
        "overwrite",
    }
    for f in dataclasses.fields(cfg):
        name, value, flag = f.name, getattr(cfg, f.name), option_flag(f.name)
        if name in ints:
            low, optional = ints[name]
            if value is None and optional:
                continue
            if not _is_int(value) or value < low:
                yield f"{flag} must be a whole number >= {low}, got {value!r}"
            elif name == "seed" and value >= 2**63:
                yield f"{flag} must be below 2**63, got {value}"
        elif name in positive or name in optional_positive:
            if value is None and name in optional_positive:
                continue
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                yield f"{flag} must be a finite number > 0, got {value!r}"
            elif name in optional_positive and value > 1e6:  # the step arithmetic overflows
                yield f"{flag} must be at most 1000000, got {value!r}"
        elif name in at_least_zero:
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                yield f"{flag} must be a finite number >= 0, got {value!r}"
        elif name == "grad_clip":
            if value is not None and (
                not _is_number(value) or not math.isfinite(value) or value < 0
            ):
                yield f"{flag} must be a finite number >= 0 (0 = no clipping), got {value!r}"
        elif name == "min_lr_ratio":
            if not _is_number(value) or not 0 <= value <= 1:
                yield f"{flag} must be a number from 0 to 1, got {value!r}"
        elif name in choices:
            if value not in choices[name]:
                yield f"{flag} must be one of {', '.join(choices[name])}, got {value!r}"
        elif name in bools:
            if not isinstance(value, bool):
                yield f"{flag} must be true or false, got {value!r}"
        elif name == "crop_size":
            if value is not None and (not _is_int(value) or value < 8 or value % 8):
                yield f"{flag} must be a multiple of 8 (8, 16, ..., 128), got {value!r}"
        elif name == "betas":
            if len(value) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in value):
                yield f"{flag} must be two numbers in [0, 1), got {list(value)!r}"
        elif name == "milestones":
            if not all(_is_number(m) and 0 < m < 1 for m in value):
                yield f"{flag} must be fractions of the run in (0, 1), got {list(value)!r}"
        elif name in ("model", "data", "out"):
            if not isinstance(value, str) or not value.strip():
                yield f"{flag} must be a non-empty text, got {value!r}"
        elif name in ("device", "resume", "init_from"):
            if value is not None and (not isinstance(value, str) or not value):
                yield f"{flag} must be a text, got {value!r}"
    data = cfg.data if isinstance(cfg.data, str) else ""
    kind, _, arg = data.partition(":")
    if kind == "lr":
        yield (
            f"--data {data}: lr:DIR holds low-resolution faces without ground truth, which can only "
            "be upscaled; training needs HR faces: folder:DIR or celeba:DIR"
        )
    elif data and not ((kind == "synthetic" and not arg) or (kind in ("celeba", "folder") and arg)):
        yield f"--data {data!r}: expected synthetic, celeba:DIR or folder:DIR"


PRESETS: dict[str, dict] = {
    # seconds on a CPU: a tiny AMINet, a few 32x32 crops; checks the whole pipeline, learns nothing
    "smoke": dict(
        model="aminet",
        model_kwargs=TINY_MODEL,
        train_limit=32,
        val_limit=4,
        batch_size=4,
        steps=6,
        crop_size=32,
        val_every=3,
        val_batch_size=4,
        perceptual="auto",
    ),
    # 20,000 steps of full AMINet on whole faces: a GPU job (not timed here: no GPU in the sandbox)
    "short": dict(model="aminet", batch_size=16, steps=20_000, val_every=1_000, val_limit=200),
    # the paper's setting as far as it is stated (Adam 0.9/0.99, lr 2e-4, L1); length is our choice
    "full": dict(model="aminet", batch_size=16, steps=200_000, val_every=5_000, val_limit=None),
}


def preset_config(name: str, **overrides) -> TrainConfig:
    """A named preset (smoke | short | full) with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    values = dict(PRESETS[name])
    if overrides.get("gan") and values.get("crop_size") and values["crop_size"] < 64:
        values["crop_size"] = 64  # the discriminator's second scale needs 48+ pixels
    values.update(overrides)
    return TrainConfig.from_dict(values)


# ---------------------------------------------------------------------------------------------
# Data order: a function of the step only, so resuming and DDP reproduce it exactly.
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Schedule: a picklable shape so LambdaLR's state_dict (and thus resume) carries it.
# ---------------------------------------------------------------------------------------------
class ScheduleShape:
    """The learning-rate factor at a step; ``total`` may be re-estimated during time-budget runs."""

    def __init__(
        self,
        kind: str,
        total: int,
        warmup: int = 0,
        min_ratio: float = 0.01,
        milestones=(0.5, 0.75),
        gamma: float = 0.5,
    ):
        if kind not in ("cosine", "multistep", "constant"):
            raise ValueError(f"unknown schedule {kind!r}; expected cosine, multistep or constant")
        self.kind, self.total, self.warmup = kind, max(int(total), 1), int(warmup)
        self.min_ratio, self.milestones, self.gamma = (
            float(min_ratio),
            list(milestones),
            float(gamma),
        )

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = min(max(step - self.warmup, 0) / max(self.total - self.warmup, 1), 1.0)
        if self.kind == "cosine":
            return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        if self.kind == "multistep":
            return self.gamma ** sum(progress >= m for m in self.milestones)
        return 1.0


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # Bitwise-repeatable runs on GPU cost speed; cuBLAS needs this variable for it.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def _rng_state() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": [
            kind,
            torch.from_numpy(keys.astype(np.int64)),
            int(pos),
            int(has_gauss),
            float(cached),
        ],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _divergence_hint(amp_dtype: torch.dtype | None, loss_pix: float) -> str:
    """What most likely went wrong, and the option that avoids it."""
    if amp_dtype == torch.float16 and not math.isfinite(loss_pix):
        return (
            "Likely cause: fp16 overflow (autocast to float16, whose largest value is 65,504; "
            "amp='auto' picks fp16 on GPUs without native bf16, such as a T4). Rerun with "
            '--amp none (amp="none" in a config), or --amp bf16 on a GPU of compute '
            "capability 8.0+; if it persists, a lower --lr or --grad-clip 1."
        )
    if amp_dtype == torch.bfloat16 and not math.isfinite(loss_pix):
        return (
            "Likely cause: a too-large learning rate, or bf16 rounding; try a lower --lr, "
            '--grad-clip 1, or --amp none (amp="none").'
        )
    return (
        "Likely cause: a too-large learning rate; try a lower --lr, --grad-clip 1, or --amp none."
    )


def _dist_setup() -> tuple[int, int, int, bool]:
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


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _build_datasets(cfg: TrainConfig, train_set, val_set):
    if train_set is None or (val_set is None and cfg.val_limit != 0):
        from aminet.data import build_dataset

        if train_set is None:
            train_set = build_dataset(
                cfg.data, "train", limit=cfg.train_limit, augment=cfg.augment, seed=cfg.seed
            )
        if val_set is None and cfg.val_limit != 0:
            val_set = build_dataset(cfg.data, "val", limit=cfg.val_limit, seed=cfg.seed)
    return train_set, val_set


def _validate(model: nn.Module, val_set, cfg: TrainConfig, device: torch.device) -> dict:
    from aminet.evaluation import evaluate

    was_training = model.training
    # evaluate's DataLoader draws a seed from torch's RNG: fork it so validating never changes the
    # random stream of training (exact resume must not depend on where validations fall).
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        metrics = evaluate(
            _unwrap(model),
            val_set,
            batch_size=cfg.val_batch_size,
            device=device,
            vif=False,
            progress=False,
        )
    model.train(was_training)
    return metrics


def save_curves(history: dict, path: str | Path, note: str = "") -> Path:
    """Plot the training loss (raw and smoothed) and the validation PSNR-Y against the step.

    Drawn on a standalone ``Figure`` (no pyplot): the file is written without touching the
    notebook's backend or its list of open figures, so figures drawn later still show.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    ax_loss, ax_psnr = fig.subplots(1, 2)
    steps, losses = history.get("step", []), history.get("loss", [])
    if losses:
        ax_loss.plot(steps, losses, alpha=0.35, lw=0.8, label="per step")
        window = max(1, len(losses) // 30)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax_loss.plot(steps[window - 1 :], smooth, lw=1.6, label=f"mean of {window}")
        ax_loss.set_yscale("log")
        ax_loss.legend()
    ax_loss.set(
        xlabel="step", ylabel="training loss", title="loss" + (f" ({note})" if note else "")
    )
    if history.get("val_step"):
        ax_psnr.plot(history["val_step"], history["val_psnr_y"], "o-")
    ax_psnr.set(xlabel="step", ylabel="PSNR-Y (dB)", title="validation PSNR-Y")
    ax_psnr.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def _new_history() -> dict:
    return {"step": [], "loss": [], "lr": [], "val_step": [], "val_psnr_y": [], "val_ssim_y": []}


# ---------------------------------------------------------------------------------------------
# Run folders: what they hold is never replaced by accident, and one run writes there at a time.
# ---------------------------------------------------------------------------------------------
RUN_CHECKPOINTS = ("last.pt", "best.pt")
# everything a run (or the demo around it) writes; --overwrite removes exactly these
RUN_FILES = RUN_CHECKPOINTS + (
    "log.jsonl",
    "config.json",
    "curves.png",
    "report.html",
    "metrics.json",
    "grid.png",
)
LOCK_NAME = "run.lock"


class RunFolderError(ValueError):
    """A fresh run was pointed at a folder that already holds one (``files`` lists what it holds)."""

    def __init__(self, out: Path, files: list[str]):
        self.out, self.files = Path(out), files
        super().__init__(
            f"{out} already holds a run ({', '.join(files)}); continue it with --resume "
            f"{Path(out) / 'last.pt'} or replace it with --overwrite (in Python: resume=... or "
            "overwrite=True), or choose another --out"
        )


class RunLockedError(ValueError):
    """Another live process is writing into the same run folder."""


def run_in_folder(out: str | Path) -> list[str]:
    """The checkpoints in ``out`` (a folder "holds a run" when it has a last.pt or best.pt)."""
    out = Path(out)
    return [name for name in RUN_CHECKPOINTS if (out / name).exists()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def acquire_run_lock(out: Path) -> Path:
    """Create ``out/run.lock`` holding this PID and host; fail fast if a live process holds it.

    A lock left by a process that no longer runs (killed with -9, a crashed machine) is stale and
    taken over. A lock from another host cannot be checked and counts as held.
    """
    import socket

    lock = out / LOCK_NAME
    host = socket.gethostname()
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                text = lock.read_text().split()
                pid, holder_host = int(text[0]), text[1] if len(text) > 1 else host
            except (OSError, ValueError, IndexError):
                pid, holder_host = None, host  # empty or garbled: its writer died at once
            held = pid is not None and pid != os.getpid()
            if held and holder_host != host:
                raise RunLockedError(
                    f"{out} is in use by PID {pid} on {holder_host} (lock file {lock}); wait for that "
                    "run to end, or delete the lock file if it is sure not to run any more"
                ) from None
            if held and _pid_alive(pid):
                raise RunLockedError(
                    f"{out} is in use by another run (PID {pid}, lock file {lock}); wait for it to "
                    "end or choose another --out"
                ) from None
            print(f"removing a stale lock {lock} (PID {pid} no longer runs)", flush=True)
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {host}\n")
        return lock
    raise RunLockedError(f"{out}: could not take the lock {lock}; another run keeps taking it")


def release_run_lock(lock: Path | None) -> None:
    if lock is None:
        return
    try:
        if lock.read_text().split()[:1] == [str(os.getpid())]:
            lock.unlink()
    except (OSError, IndexError):
        pass


def _looks_like_a_run(out: Path) -> bool:
    """True when ``out/config.json`` is the config.json of a training run (one that saved no checkpoint)."""
    try:
        recorded = json.loads((out / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and {"model", "batch_size", "schedule", "out"} <= set(
        recorded
    )


def _prepare_run_folder(cfg: TrainConfig, out: Path) -> None:
    """Refuse a fresh run over an earlier one, or clear it with ``overwrite``; tidy after kills."""
    from aminet.checkpoint import remove_stale_temporaries

    held = run_in_folder(out)
    resuming_here = bool(cfg.resume) and Path(cfg.resume).resolve().parent == out.resolve()
    if held and not resuming_here and not cfg.overwrite:
        raise RunFolderError(out, held)
    # a fresh run writes config.json, log.jsonl, curves.png: never over a user's own files
    foreign = [name for name in RUN_FILES if (out / name).exists()]
    if foreign and not held and not _looks_like_a_run(out) and not cfg.overwrite:
        raise ValueError(
            f"--out {out} holds {', '.join(foreign)}, not written by an aminet run, which a run "
            "would replace; choose another --out (or pass --overwrite to replace them)"
        )
    if not cfg.resume or cfg.overwrite and not resuming_here:
        removed = [name for name in RUN_FILES if (out / name).is_file()]
        for name in removed:
            (out / name).unlink()
        if removed:
            why = "--overwrite" if held else "a fresh run (the earlier one saved no checkpoint)"
            print(f"{why}: removed {', '.join(removed)} from {out}", flush=True)
    count, freed = remove_stale_temporaries(out)
    if count:
        print(
            f"removed {count} temporary file(s) ({freed / 2**20:.1f} MiB) left in {out} by a save "
            "that was killed",
            flush=True,
        )


def _trim_log(path: Path, step: int) -> None:
    """On resume, drop log lines after the resumed step (those steps run again) and a torn last line."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and int(record.get("step", 0)) <= step:
            kept.append(line)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(k + "\n" for k in kept))
    os.replace(tmp, path)


# Options a resume cannot change: they define the optimisation that last.pt is a point of.
RESUME_FIXED = (
    "model",
    "model_kwargs",
    "data",
    "train_limit",
    "augment",
    "crop_size",
    "batch_size",
    "minutes",
    "lr",
    "lr_g",
    "pixel_loss",
    "betas",
    "weight_decay",
    "schedule",
    "warmup_steps",
    "min_lr_ratio",
    "milestones",
    "gamma",
    "grad_clip",
    "seed",
    "gan",
    "perceptual",
    "lambda_pix",
    "lambda_pcp",
    "lambda_adv",
    "lr_d",
)
# Options that start a run and mean nothing for a resumed one (recorded as given, not applied).
_START_ONLY = ("init_from", "zero_init_tail", "overwrite", "resume")


def _plain(value):
    return json.loads(json.dumps(value))


def resume_changes(cfg: TrainConfig, recorded: dict, source: str) -> dict:
    """``{option: [recorded, given]}`` for the options that differ from the run being resumed.

    Raises a ``ValueError`` naming every fixed option (``RESUME_FIXED``) that differs; the others
    (the length ``steps``/``epochs``, validation and saving frequency, device, AMP, ...) are applied
    and returned so the run can record them.
    """
    given = _plain(cfg.to_dict())
    changes = {
        k: [recorded[k], given[k]]
        for k in given
        if k in recorded and k not in _START_ONLY and k != "out" and recorded[k] != given[k]
    }
    fixed = [k for k in RESUME_FIXED if k in changes]
    if fixed:
        listed = "; ".join(
            f"{option_flag(k)} (run: {changes[k][0]!r}, given: {changes[k][1]!r})" for k in fixed
        )
        raise ValueError(
            f"--resume {source}: a resumed run keeps the options it was started with, but these "
            f"differ: {listed}. Leave them out to continue the run, or start a new run in another "
            "--out (with --init to start from its weights)"
        )
    return changes


class StopRequest:
    """SIGINT/SIGTERM handlers that ask the training loop to stop after the current step.

    The loop then saves ``last.pt`` (atomically) and prints how to resume. A second Ctrl-C raises
    ``KeyboardInterrupt`` at once, for a user who does not want to wait. Handlers can only be set
    in the main thread; elsewhere (a worker thread) signals keep their usual effect.
    """

    def __init__(self):
        self.signal_name: str | None = None
        self._previous: dict = {}

    def __enter__(self) -> StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._previous[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):
                    pass
        return self

    def _handle(self, signum, frame) -> None:
        import signal

        name = signal.Signals(signum).name
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = name
        print(
            f"\n{name} received: finishing the current step, then saving last.pt "
            "(press Ctrl-C again to stop at once without saving)",
            flush=True,
        )

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


# ---------------------------------------------------------------------------------------------
# The trainer
# ---------------------------------------------------------------------------------------------
def train(
    config: TrainConfig,
    *,
    train_set: Dataset | None = None,
    val_set: Dataset | None = None,
    stop_at_step: int | None = None,
    resume_command: str | None = None,
) -> dict:
    """Train ``config.model`` and return the history (per-step loss/lr, validation metrics, status).

    ``train_set``/``val_set`` replace the datasets named by ``config.data`` (notebooks, tests).
    ``stop_at_step`` stops after that step *as if the run had been interrupted* (no final
    validation): the schedule still spans the whole run, so ``resume`` can continue it exactly.
    ``resume_command`` is the command printed after an interrupt (default: ``aminet train
    --resume OUT/last.pt``).

    ``history["status"]`` is ``"completed"`` for a run that reached its end, whether that end was
    its number of steps or its time budget (``history["ended_by"]`` says which), ``"interrupted"``
    (SIGINT, SIGTERM or ``stop_at_step``; ``history["signal"]`` names the signal) or ``"diverged"``.
    """
    from aminet.device import pick_device
    from aminet.registry import create_model

    cfg = config
    cfg.validate()
    if cfg.gan and cfg.pixel_loss != "l1":
        raise ValueError(
            "AMIGAN's pixel term is the L1 loss (eq. 18): use pixel_loss='l1' with gan"
        )
    kind, _, where = cfg.data.partition(":")
    if train_set is None and kind in ("celeba", "folder") and not Path(where).expanduser().is_dir():
        raise FileNotFoundError(f"--data {cfg.data}: no such folder {Path(where).expanduser()}")
    if stop_at_step is not None and (not _is_int(stop_at_step) or stop_at_step < 1):
        raise ValueError(f"stop_at_step must be a whole number >= 1, got {stop_at_step!r}")
    rank, world, local_rank, own_group = _dist_setup()
    is_main = rank == 0
    lock = None
    try:
        out = Path(cfg.out)
        if world > 1 and torch.cuda.is_available():
            device = torch.device("cuda", local_rank)
            print(
                f"[rank {rank}] device: cuda:{local_rank} ({torch.cuda.get_device_name(local_rank)})",
                flush=True,
            )
        else:
            device = pick_device(cfg.device, verbose=is_main)
        if is_main:
            if out.exists() and not out.is_dir():
                raise NotADirectoryError(f"--out {out} is a file, not a folder")
            out.mkdir(parents=True, exist_ok=True)
            lock = acquire_run_lock(out)
            _prepare_run_folder(cfg, out)
        command = resume_command or f"aminet train --resume {shlex.quote(str(out / 'last.pt'))}"
        return _train(
            cfg,
            device,
            rank,
            world,
            is_main,
            train_set,
            val_set,
            stop_at_step,
            create_model,
            command,
        )
    finally:
        release_run_lock(lock)
        if own_group:
            dist.destroy_process_group()


def _train(
    cfg, device, rank, world, is_main, train_set, val_set, stop_at_step, create_model, command
) -> dict:
    out = Path(cfg.out)
    resumed, changes = None, {}
    if cfg.resume:  # read first: a resume that cannot work fails before any other work
        resumed = load_checkpoint(cfg.resume, map_location="cpu")
        if isinstance(resumed.get("config"), dict):
            changes = resume_changes(cfg, resumed["config"], cfg.resume)
    _seed_everything(cfg.seed, cfg.deterministic)
    train_set, val_set = _build_datasets(cfg, train_set, val_set)
    if cfg.crop_size:
        rng = _rng_state()  # reading a face may draw random numbers (flips): leave no trace
        face = train_set[0]["hr"].shape[-2:]
        _set_rng_state(rng)
        if cfg.crop_size > min(face):
            raise ValueError(
                f"--crop-size {cfg.crop_size} is larger than the training faces ({face[1]}x{face[0]}); "
                f"use a multiple of 8 up to {min(face)}, or leave it out to train on whole faces"
            )
    amp_dtype = _amp_dtype(cfg.amp, device)

    try:
        model = create_model(cfg.model, **cfg.model_kwargs)
    except TypeError as err:  # an option the model does not take, or a value of the wrong type
        raise ValueError(
            f"model_kwargs {cfg.model_kwargs} do not fit model {cfg.model!r}: {err}"
        ) from None
    model_name, model_kwargs = model.model_name, dict(model.model_kwargs)
    if cfg.init_from and not cfg.resume:
        init = load_checkpoint(cfg.init_from)
        if init.get("model_name") != cfg.model:
            raise ValueError(
                f"--init {cfg.init_from} holds model {init.get('model_name')!r}, not {cfg.model!r}"
            )
        _load_weights(model, init["model"], cfg.init_from)
        if is_main:
            print(f"initialised from {cfg.init_from} (step {init.get('step')})", flush=True)
    if cfg.zero_init_tail and not (cfg.init_from or cfg.resume):
        _zero_residual_tail(model)
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    if world > 1:
        if device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )

    lr = cfg.lr_g if cfg.gan else cfg.lr  # AMIGAN's generator has its own learning rate
    optimizer = make_adam(model.parameters(), lr, cfg.betas, cfg.weight_decay)
    per_epoch = len(train_set) // cfg.batch_size
    if cfg.epochs is not None:
        total = max(1, math.ceil(cfg.epochs * max(per_epoch, 1)))
        total = min(total, cfg.steps) if cfg.steps else total
    elif cfg.steps:
        total = int(cfg.steps)
    elif cfg.minutes:
        total = 10**9  # unknown until the speed is measured; re-estimated below
    else:
        raise ValueError("give steps, epochs or minutes: the run needs a length")
    shape = ScheduleShape(
        cfg.schedule, total, cfg.warmup_steps, cfg.min_lr_ratio, cfg.milestones, cfg.gamma
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, shape)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)

    gan = _build_gan(cfg, device, world, is_main) if cfg.gan else None

    step, best_psnr, history = 0, -math.inf, _new_history()
    resume_rng, seconds_before, resumes = None, 0.0, []
    if cfg.resume:
        state = resumed
        if state.get("model_name") != model_name:
            raise ValueError(
                f"--resume {cfg.resume} holds model {state.get('model_name')!r}, not {model_name!r}"
            )
        if "optimizer" not in state:
            raise ValueError(
                f"--resume {cfg.resume} has no optimizer state; it is a weights-only checkpoint (use --init)"
            )
        _load_weights(_unwrap(model), state["model"], cfg.resume)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if not cfg.minutes:
            shape.total = total  # the new run's length wins (e.g. a longer run continued)
        scaler.load_state_dict(state["scaler"])
        if gan is not None and "discriminator" in state:
            gan.load_state_dict(state)
        step, best_psnr = int(state["step"]), float(state.get("best_psnr_y", -math.inf))
        history = {k: list(v) for k, v in state.get("history", _new_history()).items()}
        resume_rng = state["rng"]
        seconds_before = float(state.get("train_seconds", 0.0))
        resumes = list(state.get("resumes", [])) + [
            {"from": str(cfg.resume), "step": step, "changed": changes}
        ]
        if is_main:
            applied = "; ".join(f"{k}: {v[0]!r} -> {v[1]!r}" for k, v in changes.items())
            print(
                f"resumed from {cfg.resume} at step {step}"
                + (f" (changed, as recorded in config.json: {applied})" if applied else ""),
                flush=True,
            )
            _trim_log(out / "log.jsonl", step)
        del state, resumed

    sampler = EpochBatchSampler(
        len(train_set), cfg.batch_size, seed=cfg.seed, start_step=step, rank=rank, world=world
    )
    loader = DataLoader(
        train_set, batch_sampler=sampler, num_workers=0, pin_memory=device.type == "cuda"
    )
    note = gan.note if gan is not None else ""
    if is_main:
        record = {**cfg.to_dict(), "world_size": world, "perceptual_used": note or None}
        if resumes:
            record["resumes"] = resumes  # each resume: from where, at which step, what changed
        (out / "config.json").write_text(json.dumps(record, indent=2))
        if note:
            print(f"AMIGAN: {note}", flush=True)

    log = (out / "log.jsonl").open("a") if is_main else None
    status = "completed"
    last_good = None

    def checkpoint_state() -> dict:
        state = {
            "model_name": model_name,
            "model_kwargs": model_kwargs,
            "model": _unwrap(model).state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "rng": _rng_state(),
            "step": step,
            "best_psnr_y": best_psnr,
            "history": history,
            "config": _plain(cfg.to_dict()),
            "resumes": resumes,
            "train_seconds": seconds_before + (time.perf_counter() - started),
            "gan": bool(cfg.gan),
        }
        if gan is not None:
            state.update(gan.state_dict())
            state["perceptual"] = note
        return state

    def validate_and_save(final: bool) -> None:
        nonlocal best_psnr, last_good
        metrics = None
        if val_set is not None and is_main:
            metrics = _validate(model, val_set, cfg, device)
            history["val_step"].append(step)
            history["val_psnr_y"].append(float(metrics["psnr_y"]))
            history["val_ssim_y"].append(float(metrics["ssim_y"]))
            record = {
                "step": step,
                "val_psnr_y": float(metrics["psnr_y"]),
                "val_ssim_y": float(metrics["ssim_y"]),
            }
            if note:
                record["perceptual"] = note
            log.write(json.dumps(record) + "\n")
            log.flush()
        if is_main:
            # the best score is updated before last.pt is written, so that a run resumed from
            # this last.pt compares its later validations with this one, never with an older best
            improved = metrics is not None and metrics["psnr_y"] > best_psnr
            if improved:
                best_psnr = float(metrics["psnr_y"])
            state = checkpoint_state()
            save_checkpoint(state, out / "last.pt")
            last_good = step
            if improved:
                save_checkpoint(state, out / "best.pt")
            elif metrics is None and final:
                save_checkpoint(
                    state, out / "best.pt"
                )  # no validation set: the last is the best we know
            save_curves(history, out / "curves.png", note)
        if world > 1:
            dist.barrier()

    from tqdm.auto import tqdm

    bar = tqdm(
        total=shape.total if shape.total < 10**9 else None,
        initial=step,
        disable=not (is_main and cfg.progress),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
    started = time.perf_counter()
    steps_this_run = 0
    window_t, window_images = time.perf_counter(), 0
    save_every = cfg.save_every or cfg.val_every or 0
    budget = cfg.minutes * 60 if cfg.minutes else None  # seconds, over the run and its resumes
    ended_by = "steps"
    model.train()
    batches = iter(loader)  # creating the iterator draws from torch's RNG: restore the RNG after it
    if resume_rng is not None:
        _set_rng_state(resume_rng)
    stop = StopRequest().__enter__()
    try:
        if budget is not None and seconds_before >= budget:
            ended_by = "time budget"  # a resumed run whose budget was already spent
        while step < shape.total and ended_by == "steps":
            if stop.signal_name is not None:  # a signal during the last validation or save
                status = "interrupted"
                break
            batch = next(batches)
            inp, hr = batch["input"], batch["hr"]
            if cfg.crop_size and cfg.crop_size < min(hr.shape[-2:]):
                inp, hr = random_crops(
                    [inp, hr], cfg.crop_size, seed=cfg.seed, step=step, rank=rank, world=world
                )
            inp = inp.to(device, non_blocking=True)
            hr = hr.to(device, non_blocking=True)
            if cfg.channels_last:
                inp, hr = (
                    inp.contiguous(memory_format=torch.channels_last),
                    hr.contiguous(memory_format=torch.channels_last),
                )
            if gan is None:
                losses = _pixel_step(
                    model,
                    optimizer,
                    scaler,
                    inp,
                    hr,
                    amp_dtype,
                    device,
                    cfg.grad_clip,
                    PIXEL_LOSSES[cfg.pixel_loss],
                )
            else:
                losses = gan.step(
                    model, optimizer, scaler, inp, hr, amp_dtype, device, cfg.grad_clip
                )
            scheduler.step()
            step += 1
            steps_this_run += 1
            window_images += inp.shape[0] * world

            # Agree across processes on the loss (for the log and the guard) and on stopping.
            elapsed = seconds_before + time.perf_counter() - started  # over all resumes
            out_of_time = budget is not None and elapsed >= budget
            summary = torch.tensor(
                [
                    losses["loss_pix"],
                    losses["loss"],
                    float(out_of_time),
                    float(stop.signal_name is not None),
                ],
                dtype=torch.float64,
            )
            if world > 1:
                summary = summary.to(device)
                dist.all_reduce(summary)
                summary = summary.cpu() / torch.tensor(
                    [world, world, 1.0, 1.0], dtype=torch.float64
                )
            loss_pix, loss, out_of_time = float(summary[0]), float(summary[1]), bool(summary[2] > 0)
            signalled = bool(summary[3] > 0)

            if (
                not math.isfinite(loss_pix)
                or not math.isfinite(loss)
                or loss_pix > cfg.divergence_threshold
            ):
                status = "diverged"
                if is_main:
                    kept = (
                        f"{out / 'last.pt'} (step {last_good})"
                        if last_good is not None
                        else "none saved yet"
                    )
                    print(
                        f"training diverged at step {step}: pixel loss = {loss_pix:.4g} (threshold "
                        f"{cfg.divergence_threshold}); stopped. Last good checkpoint: {kept}. "
                        + _divergence_hint(amp_dtype, loss_pix),
                        flush=True,
                    )
                break

            now = time.perf_counter()
            img_s = window_images / max(now - window_t, 1e-9)
            history["step"].append(step)
            history["loss"].append(loss)
            history["lr"].append(optimizer.param_groups[0]["lr"])
            if is_main:
                record = {
                    "step": step,
                    "loss": loss,
                    "lr": optimizer.param_groups[0]["lr"],
                    "img_s": round(img_s, 2),
                    "time_s": round(elapsed, 2),
                }
                if gan is not None:
                    record.update({k: v for k, v in losses.items() if k != "loss"})
                    record["perceptual"] = note
                log.write(json.dumps(record) + "\n")
                log.flush()  # a live log: tail -f works, and a killed run keeps its lines
                bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{img_s:.1f}")
                bar.update(1)
            if now - window_t > 10:
                window_t, window_images = now, 0

            if budget is not None and steps_this_run % 20 == 0:
                # the speed of this session, the time left of the whole budget: a resumed run
                # keeps the original schedule and ends where the original would have ended
                per_step = (time.perf_counter() - started) / steps_this_run
                fit = step + int((budget - elapsed) / per_step)
                total = max(step + 1, min(fit, int(cfg.steps) if cfg.steps else fit))
                if world > 1:  # every process must follow rank 0's schedule and stop together
                    agreed = torch.tensor([total], dtype=torch.int64, device=device)
                    dist.broadcast(agreed, 0)
                    total = int(agreed.item())
                shape.total = total
                bar.total = shape.total
            if out_of_time:
                ended_by = "time budget"  # a normal end: status stays "completed"
                break
            if signalled or (stop_at_step is not None and step >= stop_at_step):
                status = "interrupted"
                break
            if cfg.val_every and step % cfg.val_every == 0 and step < shape.total:
                validate_and_save(final=False)
            elif save_every and step % save_every == 0 and is_main:
                save_checkpoint(checkpoint_state(), out / "last.pt")
                last_good = step
        if status == "interrupted":
            if is_main:
                save_checkpoint(checkpoint_state(), out / "last.pt")
        elif status != "diverged":
            validate_and_save(final=True)
    finally:
        stop.__exit__()
        bar.close()
        if log is not None:
            log.close()

    if status == "completed" and budget is not None and not (cfg.steps and step >= cfg.steps):
        ended_by = "time budget"  # the schedule's end, fitted to the budget, was reached
    seconds = time.perf_counter() - started
    if status == "interrupted" and is_main:
        why = f"{stop.signal_name} received" if stop.signal_name else "stopped"
        print(f"{why}: step {step} saved in {out / 'last.pt'}. Resume with: {command}", flush=True)
    history.update(
        status=status,
        ended_by=ended_by if status == "completed" else None,
        signal=stop.signal_name,
        steps=step,
        seconds=round(seconds, 2),
        best_psnr_y=best_psnr,
        out=str(out),
        device=str(device),
        world_size=world,
        images_per_second=round(steps_this_run * cfg.batch_size / max(seconds, 1e-9), 2),
    )
    if note:
        history["perceptual"] = note
    if is_main:
        end = f" (time budget of {cfg.minutes:g} min reached)" if ended_by == "time budget" else ""
        print(
            f"{status}{end if status == 'completed' else ''}: {step} steps in {seconds / 60:.1f} "
            f"min; checkpoints and logs in {out}",
            flush=True,
        )
    return history


def _load_weights(model: nn.Module, weights: dict, source: str) -> None:
    """``load_state_dict`` with a one-line error when the checkpoint was made with other options."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0][:200]
        raise ValueError(
            f"{source}: the weights do not fit this model's options ({first})"
        ) from None


def _zero_residual_tail(model: nn.Module) -> None:
    """Zero the final convolution of a global-residual model, so that at step 0 it outputs its input.

    AMINet's output is ``tail(features) + bicubic``; with a random tail the untrained network starts
    several dB *below* bicubic and a short run spends its first minutes getting back there.
    """
    tail = getattr(model, "tail", None)
    if not isinstance(tail, nn.Conv2d):
        raise ValueError(
            f"zero_init_tail needs a model with a final convolution named 'tail'; {type(model).__name__} has none"
        )
    nn.init.zeros_(tail.weight)
    if tail.bias is not None:
        nn.init.zeros_(tail.bias)


PIXEL_LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss}


def _pixel_step(
    model, optimizer, scaler, inp, hr, amp_dtype, device, grad_clip, loss_fn=F.l1_loss
) -> dict:
    """One step of eq. 17 (mean absolute error between the SR and HR faces), or of ``loss_fn``."""
    with torch.autocast(
        device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None
    ):
        sr = model(inp)
    loss = loss_fn(sr.float(), hr)
    optimizer_step(loss, optimizer, scaler, model.parameters(), grad_clip)
    value = loss.item()
    return {"loss": value, "loss_pix": value}


def _build_gan(cfg: TrainConfig, device, world, is_main):
    from aminet.gan import AMIGANTrainer

    if not cfg.init_from and not cfg.resume and is_main:
        print(
            "AMIGAN: no --init checkpoint given, so the generator starts from random weights; "
            "starting from an L1-trained AMINet (common GAN practice; the paper does not say) learns "
            "far more in a short run (train one first, then pass --init runs/.../best.pt)",
            flush=True,
        )
    return AMIGANTrainer(cfg, device, world)
