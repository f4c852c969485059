"""One optimisation step of the SR model on a batch, and how to tell that training went wrong.

:class:`PixelStep` is eq. 17 (or the squared error): forward under autocast, the loss in fp32,
backward through the AMP scaler, optional gradient clipping, the optimizer's step. The trainer
calls it once per batch, ``aminet bench`` times it, and AMIGAN's step
(:class:`aminet.gan.AMIGANStep`) extends it with the discriminator, BasicSR-style: the training
loop calls ``step(inp, hr)`` and never asks which kind of step it holds.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager

import torch
import torch.nn.functional as F
from torch import nn

from aminet.optim import optimizer_step

__all__ = ["PIXEL_LOSSES", "PixelStep", "pixel_step", "diverged", "divergence_hint"]

PIXEL_LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss}


class PixelStep:
    """Train ``model`` on (input, HR) batches with a pixel loss (eq. 17's L1 by default).

    Calling it takes one step and returns the losses measured *before* the update as floats
    (``loss``, and ``loss_pix``: the pixel term the divergence guard watches). ``state_dict`` is
    what a checkpoint must add to continue the step exactly (nothing here: the model, optimizer
    and scaler are saved by the trainer); ``log_fields`` what each line of ``log.jsonl`` adds.
    """

    note = ""  # a word on the losses that the run records (AMIGAN: which perceptual term)

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        *,
        amp_dtype: torch.dtype | None,
        device: torch.device,
        grad_clip: float | None = None,
        loss_fn=F.l1_loss,
    ):
        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        self.amp_dtype, self.device, self.grad_clip = amp_dtype, device, grad_clip
        self.loss_fn = loss_fn

    def autocast(self) -> AbstractContextManager:
        """Mixed precision as the run asked for it (``amp_dtype`` None: full precision)."""
        return torch.autocast(
            self.device.type,
            dtype=self.amp_dtype or torch.float32,
            enabled=self.amp_dtype is not None,
        )

    def __call__(self, inp: torch.Tensor, hr: torch.Tensor) -> dict:
        with self.autocast():
            sr = self.model(inp)
        loss = self.loss_fn(sr.float(), hr)  # in fp32: a mean of small differences
        optimizer_step(loss, self.optimizer, self.scaler, self.model.parameters(), self.grad_clip)
        value = loss.item()
        return {"loss": value, "loss_pix": value}

    def log_fields(self, losses: dict) -> dict:
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def pixel_step(
    model, optimizer, scaler, inp, hr, amp_dtype, device, grad_clip, loss_fn=F.l1_loss
) -> dict:
    """One :class:`PixelStep` on one batch (the functional spelling)."""
    step = PixelStep(
        model,
        optimizer,
        scaler,
        amp_dtype=amp_dtype,
        device=device,
        grad_clip=grad_clip,
        loss_fn=loss_fn,
    )
    return step(inp, hr)


def diverged(loss_pix: float, loss: float, threshold: float) -> bool:
    """A non-finite loss, or a pixel loss above ``threshold`` (1.0 = every pixel wrong by the
    whole [0, 1] range on average, impossible for a sane model)."""
    return not math.isfinite(loss_pix) or not math.isfinite(loss) or loss_pix > threshold


def divergence_hint(amp_dtype: torch.dtype | None, loss_pix: float) -> str:
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
