"""Pick the compute device: CUDA, then Apple's MPS, then the CPU, and say which one was picked.

Courses lose hours to "the GPU was not enabled" (training silently on the CPU), so every command
that trains or evaluates prints the device it uses.
"""

from __future__ import annotations

import torch

__all__ = ["pick_device", "describe_device"]


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
        try:
            device = torch.device(preference)
        except RuntimeError as err:
            raise ValueError(
                f"--device {preference!r} is not a device name (try cpu, cuda, cuda:1, mps)"
            ) from err
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"--device {preference}: CUDA is not available on this machine (use cpu or auto)"
            )
        if device.type == "mps" and not (
            getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
        ):
            raise ValueError(
                f"--device {preference}: MPS is not available on this machine (use cpu or auto)"
            )
    if verbose:
        print(f"device: {describe_device(device)}", flush=True)
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
