"""Pick the compute device: CUDA, then Apple's MPS, then the CPU, and say which one was picked.

Courses lose hours to "the GPU was not enabled" (training silently on the CPU), so every command
that trains or evaluates prints the device it uses.

Mixed precision is chosen here too (:func:`autocast_dtype`): bf16 only where the GPU runs it
natively (compute capability 8.0 and later: A100, H100, RTX 30xx/40xx, L4), else fp16 with a
GradScaler. ``torch.cuda.is_bf16_supported()`` alone says True on a T4 (sm_75), where bf16 is
emulated and cuDNN has no bf16 convolutions, so it is asked with ``including_emulation=False``.
"""

from __future__ import annotations

import inspect

import torch

__all__ = [
    "AMP_CHOICES",
    "autocast_dtype",
    "check_device",
    "describe_device",
    "native_bf16",
    "pick_device",
]

AMP_CHOICES = ("auto", "bf16", "fp16", "none")
"""Values of ``amp`` / ``--amp``: auto (bf16 or fp16 on CUDA, off elsewhere), bf16, fp16, none."""


def pick_device(preference: str | None = None, *, verbose: bool = True) -> torch.device:
    """Return ``torch.device(preference)`` or the best available one (cuda -> mps -> cpu).

    ``preference`` may be ``None``/``"auto"`` or anything ``torch.device`` accepts ("cpu",
    "cuda:1"). Asking for CUDA or MPS on a machine without it is an error, not a silent fallback.
    """
    if preference in (None, "", "auto"):
        if torch.cuda.is_available():
            device = torch.device("cuda")
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
    else:
        device = check_device(preference)
    if verbose:
        print(f"device: {describe_device(device)}", flush=True)
    return device


DEVICE_TYPES = ("cpu", "cuda", "mps")  # what aminet trains and runs on


def check_device(preference: str) -> torch.device:
    """``torch.device(preference)`` if this machine has it; else a ``ValueError`` naming --device.

    torch also names devices aminet cannot run on (meta holds no data, xla, hpu, ...), and a
    device index past the last GPU fails only at the first tensor, so both are refused here.
    """
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"--device {preference!r} is not a device name (try cpu, cuda, cuda:1, mps)"
        ) from err
    if device.type not in DEVICE_TYPES:
        raise ValueError(
            f"--device {preference}: aminet runs on {', '.join(DEVICE_TYPES)} (cuda:N for one GPU)"
        )
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"--device {preference}: CUDA is not available on this machine (use cpu or auto)"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ValueError(
                f"--device {preference}: this machine has {count} GPU(s), cuda:0 to cuda:{count - 1}"
            )
    if device.type == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ValueError(
            f"--device {preference}: MPS is not available on this machine (use cpu or auto)"
        )
    return device


def describe_device(device: torch.device) -> str:
    """A human-readable name: the GPU model for CUDA, the thread count for the CPU."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


def native_bf16(device: torch.device | str | None = None) -> bool:
    """True when the CUDA ``device`` computes bf16 natively: compute capability >= 8.0.

    Asks ``torch.cuda.is_bf16_supported(including_emulation=False)`` where torch has that keyword
    (2.4 and later) and the capability in any case, so a T4 (7.5) answers False.
    """
    if not torch.cuda.is_available():
        return False
    device = torch.device(device if device is not None else "cuda")
    if device.type != "cuda":
        return False
    major, _minor = torch.cuda.get_device_capability(device)
    if major < 8:
        return False
    check = torch.cuda.is_bf16_supported
    try:
        takes_emulation = "including_emulation" in inspect.signature(check).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        takes_emulation = False
    return bool(check(including_emulation=False) if takes_emulation else check())


def autocast_dtype(amp: str, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device``; None means fp32 (no autocast).

    ``auto``: off on the CPU and MPS; on CUDA bf16 where :func:`native_bf16`, else fp16 (which
    needs a GradScaler: the trainer enables one exactly when this returns float16). ``bf16`` and
    ``fp16`` are taken as asked; ``none`` is fp32.
    """
    if amp not in AMP_CHOICES:
        raise ValueError(f"amp must be one of {', '.join(AMP_CHOICES)}, got {amp!r}")
    device = torch.device(device)
    if amp == "none" or (amp == "auto" and device.type != "cuda"):
        return None
    if amp == "auto":
        return torch.bfloat16 if native_bf16(device) else torch.float16
    return torch.bfloat16 if amp == "bf16" else torch.float16
