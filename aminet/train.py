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
            raise ValueError(
                f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = dict(values)
        for key in ("betas", "milestones"):
            if key in values and values[key] is not None:
                values[key] = tuple(values[key])
        kwargs = dict(values.get("model_kwargs") or {})
        values["model_kwargs"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()
        }
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """Read a YAML (.yaml/.yml) or JSON file of options."""
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
        return cls.from_dict(values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
# The trainer
# ---------------------------------------------------------------------------------------------
def train(
    config: TrainConfig,
    *,
    train_set: Dataset | None = None,
    val_set: Dataset | None = None,
    stop_at_step: int | None = None,
) -> dict:
    """Train ``config.model`` and return the history (per-step loss/lr, validation metrics, status).

    ``train_set``/``val_set`` replace the datasets named by ``config.data`` (notebooks, tests).
    ``stop_at_step`` stops after that step *as if the run had been interrupted* (no final
    validation): the schedule still spans the whole run, so ``resume`` can continue it exactly.
    """
    from aminet.device import pick_device
    from aminet.registry import create_model

    cfg = config
    if cfg.crop_size is not None and (cfg.crop_size < 8 or cfg.crop_size % 8):
        raise ValueError(f"crop_size must be a positive multiple of 8, got {cfg.crop_size}")
    if cfg.pixel_loss not in PIXEL_LOSSES:
        raise ValueError(f"pixel_loss must be {' or '.join(PIXEL_LOSSES)}, got {cfg.pixel_loss!r}")
    if cfg.gan and cfg.pixel_loss != "l1":
        raise ValueError(
            "AMIGAN's pixel term is the L1 loss (eq. 18): use pixel_loss='l1' with gan"
        )
    rank, world, local_rank, own_group = _dist_setup()
    is_main = rank == 0
    try:
        if world > 1 and torch.cuda.is_available():
            device = torch.device("cuda", local_rank)
            print(
                f"[rank {rank}] device: cuda:{local_rank} ({torch.cuda.get_device_name(local_rank)})",
                flush=True,
            )
        else:
            device = pick_device(cfg.device, verbose=is_main)
        return _train(
            cfg, device, rank, world, is_main, train_set, val_set, stop_at_step, create_model
        )
    finally:
        if own_group:
            dist.destroy_process_group()


def _train(
    cfg, device, rank, world, is_main, train_set, val_set, stop_at_step, create_model
) -> dict:
    out = Path(cfg.out)
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
    _seed_everything(cfg.seed, cfg.deterministic)
    train_set, val_set = _build_datasets(cfg, train_set, val_set)
    amp_dtype = _amp_dtype(cfg.amp, device)

    model = create_model(cfg.model, **cfg.model_kwargs)
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
    resume_rng = None
    if cfg.resume:
        state = load_checkpoint(cfg.resume, map_location="cpu")
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
        if is_main:
            print(f"resumed from {cfg.resume} at step {step}", flush=True)

    sampler = EpochBatchSampler(
        len(train_set), cfg.batch_size, seed=cfg.seed, start_step=step, rank=rank, world=world
    )
    loader = DataLoader(
        train_set, batch_sampler=sampler, num_workers=0, pin_memory=device.type == "cuda"
    )
    note = gan.note if gan is not None else ""
    if is_main:
        (out / "config.json").write_text(
            json.dumps(
                {**cfg.to_dict(), "world_size": world, "perceptual_used": note or None}, indent=2
            )
        )
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
            "config": json.loads(json.dumps(cfg.to_dict())),
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
            state = checkpoint_state()
            save_checkpoint(state, out / "last.pt")
            last_good = step
            if metrics is not None and metrics["psnr_y"] > best_psnr:
                best_psnr = float(metrics["psnr_y"])
                state["best_psnr_y"] = best_psnr
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
    model.train()
    batches = iter(loader)  # creating the iterator draws from torch's RNG: restore the RNG after it
    if resume_rng is not None:
        _set_rng_state(resume_rng)
    try:
        while step < shape.total:
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
            elapsed = time.perf_counter() - started
            out_of_time = bool(cfg.minutes) and elapsed >= cfg.minutes * 60
            summary = torch.tensor(
                [losses["loss_pix"], losses["loss"], float(out_of_time)], dtype=torch.float64
            )
            if world > 1:
                summary = summary.to(device)
                dist.all_reduce(summary)
                summary = summary.cpu() / torch.tensor([world, world, 1.0], dtype=torch.float64)
            loss_pix, loss, out_of_time = float(summary[0]), float(summary[1]), bool(summary[2] > 0)

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

            if cfg.minutes and steps_this_run % 20 == 0:
                per_step = elapsed / steps_this_run
                fit = step + int((cfg.minutes * 60 - elapsed) / per_step)
                total = max(step + 1, min(fit, int(cfg.steps) if cfg.steps else fit))
                if world > 1:  # every process must follow rank 0's schedule and stop together
                    agreed = torch.tensor([total], dtype=torch.int64, device=device)
                    dist.broadcast(agreed, 0)
                    total = int(agreed.item())
                shape.total = total
                bar.total = shape.total
            if out_of_time:
                status = "time budget"
                break
            if stop_at_step is not None and step >= stop_at_step:
                status = "interrupted"
                break
            if cfg.val_every and step % cfg.val_every == 0 and step < shape.total:
                validate_and_save(final=False)
            elif save_every and step % save_every == 0 and is_main:
                save_checkpoint(checkpoint_state(), out / "last.pt")
                last_good = step
    finally:
        bar.close()
        if log is not None:
            log.close()

    if status == "interrupted" and is_main:
        save_checkpoint(checkpoint_state(), out / "last.pt")
    elif status != "diverged":
        log = (out / "log.jsonl").open("a") if is_main else None
        try:
            validate_and_save(final=True)
        finally:
            if log is not None:
                log.close()
    seconds = time.perf_counter() - started
    history.update(
        status=status,
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
        print(
            f"{status}: {step} steps in {seconds / 60:.1f} min; checkpoints and logs in {out}",
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
