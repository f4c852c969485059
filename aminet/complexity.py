"""Parameter and MAC counts, the way the field reports model size (Table X).

Three MAC counters, because the literature mixes conventions:

- ``count_macs``: ``torch.utils.flop_counter.FlopCounterMode`` FLOPs / 2. Counts every convolution,
  transposed convolution and matrix multiplication (the attention's ``Q K^T`` and ``attn V`` too),
  nothing else.
- ``count_macs_conv_linear``: ``nn.Conv2d``, ``nn.ConvTranspose2d`` and ``nn.Linear`` layers only,
  each by its true cost (a transposed convolution: input pixels x kernel x output channels).
  Functional matmuls are skipped.
- ``count_macs_thop``: the convention of the ``thop`` package (``thop.profile``, version 0.1.1),
  which most face SR papers use for their MAC column. It counts only the forward hooks of leaf
  modules whose type is *exactly* one of a fixed list (no subclasses), so functional calls
  (``F.interpolate``, ``torch.sigmoid``, matmuls) and custom modules cost nothing, and it adds
  element-wise costs for normalisation, PReLU, pooling, softmax and upsampling modules. A transposed
  convolution counts ``output pixels x input channels x kernel``, 4x its true cost at stride 2.
  The rules are written out in ``_THOP_RULES``; ``tests/test_complexity.py`` checks them against the
  ``thop`` package itself (a dev dependency).

AMINet at 128x128: see docs/architecture.md ("MACs") for the three counts beside the paper's
Table X, measured by ``scripts/architecture_numbers.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_params", "count_macs", "count_macs_conv_linear", "count_macs_thop"]


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
def _count_with_hooks(
    model: nn.Module,
    size: int | tuple[int, int],
    rule_for: Callable[[nn.Module], Callable | None],
) -> int:
    """Run one eval forward pass at batch 1 and sum ``rule(module, inputs, output)`` over the
    modules that ``rule_for`` gives a rule."""
    total = 0
    hooks = []

    def hook_with(rule):
        def hook(module, inputs, output):
            nonlocal total
            total += int(rule(module, inputs[0], output))

        return hook

    for m in model.modules():
        rule = rule_for(m)
        if rule is not None:
            hooks.append(m.register_forward_hook(hook_with(rule)))
    was_training = model.training
    model.eval()
    try:
        model(_example(model, size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return total


def _conv_macs(m: nn.Conv2d, x: torch.Tensor, y: torch.Tensor) -> int:
    return y.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)


def _tconv_macs(m: nn.ConvTranspose2d, x: torch.Tensor, y: torch.Tensor) -> int:
    return x.numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size)


def _linear_macs(m: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> int:
    return y.numel() * m.in_features


def count_macs_conv_linear(model: nn.Module, size: int | tuple[int, int] = 128) -> int:
    """MACs of Conv2d, ConvTranspose2d and Linear layers only, each by its true cost."""

    def rule_for(m: nn.Module):
        if isinstance(m, nn.ConvTranspose2d):
            return _tconv_macs
        if isinstance(m, nn.Conv2d):
            return _conv_macs
        if isinstance(m, nn.Linear):
            return _linear_macs
        return None

    return _count_with_hooks(model, size, rule_for)


# thop 0.1.1's rules (thop/profile.py ``register_hooks``, thop/vision/basic_hooks.py), restated.
def _thop_conv(m, x, y):  # transposed convolutions too: output x input channels x kernel
    return y.numel() * (x.shape[1] // m.groups) * math.prod(m.weight.shape[2:])


def _thop_norm(m, x, y):  # 2 per element, doubled with an affine transform
    affine = getattr(m, "affine", False) or getattr(m, "elementwise_affine", False)
    return 2 * x.numel() * (2 if affine else 1)


def _thop_softmax(m, x, y):
    features = x.shape[m.dim]
    return (x.numel() // features) * (3 * features - 1)


def _thop_adaptive_avgpool(m, x, y):
    kernel = math.prod(a / b for a, b in zip(x.shape[2:], y.shape[2:]))
    return int((kernel + 1) * y.numel())


_UPSAMPLE_COST = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259}


def _thop_upsample(m, x, y):
    return y.numel() * _UPSAMPLE_COST.get(m.mode, 0)


def _per_input_element(m, x, y):
    return x.numel()


def _per_output_element(m, x, y):
    return y.numel()


_THOP_RULES: dict[type, Callable] = {
    **dict.fromkeys(
        (
            nn.Conv1d,
            nn.Conv2d,
            nn.Conv3d,
            nn.ConvTranspose1d,
            nn.ConvTranspose2d,
            nn.ConvTranspose3d,
        ),
        _thop_conv,
    ),
    **dict.fromkeys(
        (
            nn.BatchNorm1d,
            nn.BatchNorm2d,
            nn.BatchNorm3d,
            nn.SyncBatchNorm,
            nn.LayerNorm,
            nn.InstanceNorm1d,
            nn.InstanceNorm2d,
            nn.InstanceNorm3d,
        ),
        _thop_norm,
    ),
    nn.PReLU: _per_input_element,  # thop counts PReLU in eval mode only, and profiles in eval
    nn.Softmax: _thop_softmax,
    **dict.fromkeys((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d), _per_output_element),
    **dict.fromkeys(
        (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d), _thop_adaptive_avgpool
    ),
    nn.Linear: _linear_macs,
    **dict.fromkeys((nn.Upsample, nn.UpsamplingBilinear2d, nn.UpsamplingNearest2d), _thop_upsample),
}


def count_macs_thop(model: nn.Module, size: int | tuple[int, int] = 128) -> int:
    """MACs in the convention of the ``thop`` package (see the module docstring), without needing
    thop: exact module types only, element-wise costs of norms, PReLU, pooling and upsampling
    included, functional operations and matmuls free, transposed convolutions by output size."""
    return _count_with_hooks(model, size, lambda m: _THOP_RULES.get(type(m)))
