"""What a training run is told: ``TrainConfig`` (every option, its type and range), the presets.

``validate()`` checks every option up front and names the first bad one as the user spells it
(``--lr`` on the command line, ``lr`` in a config file). A value given in a file or on the
command line wins over the preset whatever it equals (``values_in_file``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from aminet.training.steps import PIXEL_LOSSES

__all__ = ["TINY_MODEL", "TrainConfig", "PRESETS", "preset_config", "option_flag"]

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


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v) -> bool:
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
            if not is_int(value) or value < low:
                yield f"{flag} must be a whole number >= {low}, got {value!r}"
            elif name == "seed" and value >= 2**63:
                yield f"{flag} must be below 2**63, got {value}"
        elif name in positive or name in optional_positive:
            if value is None and name in optional_positive:
                continue
            if not is_number(value) or not math.isfinite(value) or value <= 0:
                yield f"{flag} must be a finite number > 0, got {value!r}"
            elif name in optional_positive and value > 1e6:  # the step arithmetic overflows
                yield f"{flag} must be at most 1000000, got {value!r}"
        elif name in at_least_zero:
            if not is_number(value) or not math.isfinite(value) or value < 0:
                yield f"{flag} must be a finite number >= 0, got {value!r}"
        elif name == "grad_clip":
            if value is not None and (
                not is_number(value) or not math.isfinite(value) or value < 0
            ):
                yield f"{flag} must be a finite number >= 0 (0 = no clipping), got {value!r}"
        elif name == "min_lr_ratio":
            if not is_number(value) or not 0 <= value <= 1:
                yield f"{flag} must be a number from 0 to 1, got {value!r}"
        elif name in choices:
            if value not in choices[name]:
                yield f"{flag} must be one of {', '.join(choices[name])}, got {value!r}"
        elif name in bools:
            if not isinstance(value, bool):
                yield f"{flag} must be true or false, got {value!r}"
        elif name == "crop_size":
            if value is not None and (not is_int(value) or value < 8 or value % 8):
                yield f"{flag} must be a multiple of 8 (8, 16, ..., 128), got {value!r}"
        elif name == "betas":
            if len(value) != 2 or not all(is_number(b) and 0 <= b < 1 for b in value):
                yield f"{flag} must be two numbers in [0, 1), got {list(value)!r}"
        elif name == "milestones":
            if not all(is_number(m) and 0 < m < 1 for m in value):
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
    elif kind == "synthetic":
        from aminet.data.datasets import synthetic_levers

        try:
            synthetic_levers(data)
        except ValueError as err:
            yield f"--data {err}"
    elif data and not (kind in ("celeba", "folder") and arg):
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
