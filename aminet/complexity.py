"""Parameter and MAC counts, the way the field reports model size (Table X).

Two MAC counters, because the literature mixes them:
- ``count_macs``: ``torch.utils.flop_counter.FlopCounterMode`` FLOPs / 2. Counts every convolution,
  transposed convolution and matrix multiplication (the attention's ``Q K^T`` and ``attn V`` too).
- ``count_macs_conv_linear``: convolutions and linear layers only, like the ``thop`` package most FSR
  papers use (thop skips functional matmuls). We count transposed convolutions by their true cost
  (input pixels x kernel x output channels); thop's count for stride-2 transposed convolutions is
  higher, which is one reason papers' figures differ.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _example(model: nn.Module, size: int | tuple[int, int], batch: int = 1) -> torch.Tensor:
    h, w = (size, size) if isinstance(size, int) else size
    param = next(model.parameters(), None)
    device = param.device if param is not None else "cpu"
    return torch.rand(batch, getattr(model, "in_channels", 3), h, w, device=device)


@torch.no_grad()
def count_macs(model: nn.Module, size: int | tuple[int, int] = 128) -> int:
    """Multiply-accumulates of one forward pass at batch 1, from PyTorch's FLOP counter."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter:
        model(_example(model, size))
    model.train(was_training)
    return counter.get_total_flops() // 2


@torch.no_grad()
def count_macs_conv_linear(model: nn.Module, size: int | tuple[int, int] = 128) -> int:
    """MACs of Conv2d, ConvTranspose2d and Linear layers only (thop-style: matmuls not counted)."""
    total = 0

    def conv_hook(module: nn.Conv2d, inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * (module.in_channels // module.groups) * kh * kw

    def tconv_hook(module: nn.ConvTranspose2d, inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += inputs[0].numel() * (module.out_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            hooks.append(m.register_forward_hook(tconv_hook))
        elif isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        model(_example(model, size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return total
