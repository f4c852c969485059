"""Everything a run is made of, built from its config: the datasets, the model, its optimisation.

The order of the calls below is part of a run's definition: each draws from the seeded random
streams (the model's initial weights, AMIGAN's discriminator), so changing it would change
which run a seed names.
"""

from __future__ import annotations

import torch
from torch import nn

from aminet.checkpoint import load_checkpoint
from aminet.optim import amp_dtype as autocast_dtype
from aminet.optim import make_adam
from aminet.training.distributed import wrap
from aminet.training.schedule import ScheduleShape, run_length
from aminet.training.state import Parts, rng_state, set_rng_state
from aminet.training.steps import PIXEL_LOSSES, PixelStep

__all__ = ["build_datasets", "check_crop_size", "build_model", "build_parts", "load_weights"]


def build_datasets(cfg, train_set, val_set):
    """The datasets ``cfg.data`` names, where the caller gave none (``val_limit=0``: no validation)."""
    if train_set is None or (val_set is None and cfg.val_limit != 0):
        from aminet.data import build_dataset

        if train_set is None:
            train_set = build_dataset(
                cfg.data, "train", limit=cfg.train_limit, augment=cfg.augment, seed=cfg.seed
            )
        if val_set is None and cfg.val_limit != 0:
            val_set = build_dataset(cfg.data, "val", limit=cfg.val_limit, seed=cfg.seed)
    return train_set, val_set


def check_crop_size(cfg, train_set) -> None:
    """Refuse a ``crop_size`` larger than the training faces (read without touching the RNG)."""
    if not cfg.crop_size:
        return
    rng = rng_state()  # reading a face may draw random numbers (flips): leave no trace
    face = train_set[0]["hr"].shape[-2:]
    set_rng_state(rng)
    if cfg.crop_size > min(face):
        raise ValueError(
            f"--crop-size {cfg.crop_size} is larger than the training faces ({face[1]}x{face[0]}); "
            f"use a multiple of 8 up to {min(face)}, or leave it out to train on whole faces"
        )


def build_model(cfg, device: torch.device, is_main: bool) -> nn.Module:
    """``cfg.model`` with its options, started from ``init_from`` or a zeroed tail where asked,
    on ``device`` (channels_last where asked), wrapped for DDP when several processes train."""
    from aminet.registry import create_model

    try:
        model = create_model(cfg.model, **cfg.model_kwargs)
    except TypeError as err:  # an option the model does not take, or a value of the wrong type
        raise ValueError(
            f"model_kwargs {cfg.model_kwargs} do not fit model {cfg.model!r}: {err}"
        ) from None
    if cfg.init_from and not cfg.resume:
        init = load_checkpoint(cfg.init_from)
        if init.get("model_name") != cfg.model:
            raise ValueError(
                f"--init {cfg.init_from} holds model {init.get('model_name')!r}, not {cfg.model!r}"
            )
        load_weights(model, init["model"], cfg.init_from)
        if is_main:
            print(f"initialised from {cfg.init_from} (step {init.get('step')})", flush=True)
    if cfg.zero_init_tail and not (cfg.init_from or cfg.resume):
        zero_residual_tail(model)
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def build_parts(cfg, train_images: int, device: torch.device, world: int, is_main: bool) -> Parts:
    """The model and everything that trains it: optimizer, schedule, AMP scaler, the step."""
    amp_dtype = autocast_dtype(cfg.amp, device)
    model = build_model(cfg, device, is_main)
    model_name, model_kwargs = model.model_name, dict(model.model_kwargs)
    model = wrap(model, device, world)

    lr = cfg.lr_g if cfg.gan else cfg.lr  # AMIGAN's generator has its own learning rate
    optimizer = make_adam(model.parameters(), lr, cfg.betas, cfg.weight_decay)
    shape = ScheduleShape(
        cfg.schedule,
        run_length(cfg, train_images),
        cfg.warmup_steps,
        cfg.min_lr_ratio,
        cfg.milestones,
        cfg.gamma,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, shape)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    step_options = dict(amp_dtype=amp_dtype, device=device, grad_clip=cfg.grad_clip)
    if cfg.gan:
        train_step = _amigan_step(cfg, model, optimizer, scaler, world, is_main, step_options)
    else:
        loss_fn = PIXEL_LOSSES[cfg.pixel_loss]
        train_step = PixelStep(model, optimizer, scaler, loss_fn=loss_fn, **step_options)
    return Parts(
        cfg=cfg,
        model=model,
        model_name=model_name,
        model_kwargs=model_kwargs,
        optimizer=optimizer,
        scheduler=scheduler,
        shape=shape,
        scaler=scaler,
        train_step=train_step,
        amp_dtype=amp_dtype,
    )


def _amigan_step(cfg, model, optimizer, scaler, world, is_main, step_options):
    from aminet.gan import AMIGANStep

    if not cfg.init_from and not cfg.resume and is_main:
        print(
            "AMIGAN: no --init checkpoint given, so the generator starts from random weights; "
            "starting from an L1-trained AMINet (common GAN practice; the paper does not say) learns "
            "far more in a short run (train one first, then pass --init runs/.../best.pt)",
            flush=True,
        )
    return AMIGANStep(model, optimizer, scaler, cfg=cfg, world=world, **step_options)


def load_weights(model: nn.Module, weights: dict, source: str) -> None:
    """``load_state_dict`` with a one-line error when the checkpoint was made with other options."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0][:200]
        raise ValueError(
            f"{source}: the weights do not fit this model's options ({first})"
        ) from None


def zero_residual_tail(model: nn.Module) -> None:
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
