"""SA: the self-attention of LGFI (paper eqs. 1-5, Fig. 3b).

Q, K and V come from a 1x1 convolution followed by a 3x3 depthwise convolution (eqs. 1-3). Each is
reshaped to (C, HW) per head and attention is computed *across channels*: the map
``softmax(Q K^T)`` is (C/h x C/h), so the cost grows linearly with the number of pixels (eq. 4).
The heads' outputs are rearranged back to (C, H, W) and projected by a 1x1 convolution (eq. 5).

Choices the paper leaves open:
- Scaling. Eq. 4 divides by sqrt(d). Here the contraction runs over the HW pixels, so a fixed
  1/sqrt(d) would change with the image size. By default (``normalize_qk=True``) we follow Restormer's
  MDTA, which the figure matches: Q and K are L2-normalised over HW and the logits are multiplied by a
  learnable per-head temperature. ``normalize_qk=False`` gives the literal eq. 4 with d = HW.
- Mixed precision: in fp16/bf16 q and k are normalised (or scaled) *before* the product, so the
  logits cannot overflow fp16 (see ``_logits``); in fp32 the norms scale the small logit matrix,
  which is equal and, on a CPU, faster (docs/benchmarks.md). The other fix, casting q and k to fp32
  for the product, is as exact; which of the two is faster *on a GPU* has not been measured (no
  GPU was available to this project): normalising first was chosen because it keeps the large
  (C/h x HW) product in half precision, where tensor cores run it. ``scripts/gpu_bench.sh`` times
  both on the machine it runs on.
- No biases in the convolutions (as MDTA). The 1x1 producing Q, K, V is one C -> 3C convolution,
  which is the three 1x1 convolutions of eqs. 1-3 stacked.

Parameters: 3C^2 (qkv 1x1) + 27C (depthwise 3x3 on 3C) + C^2 (projection) + h (temperatures),
i.e. ``4C^2 + 27C + h`` (``4C^2 + 27C`` with ``normalize_qk=False``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from aminet.modules.checks import check_feature


class SelfAttention(nn.Module):
    def __init__(self, channels: int, num_heads: int = 1, normalize_qk: bool = True):
        super().__init__()
        if channels <= 0 or num_heads <= 0 or channels % num_heads:
            raise ValueError(
                f"SelfAttention needs channels divisible by num_heads, got channels={channels}, "
                f"num_heads={num_heads}"
            )
        self.channels = channels
        self.num_heads = num_heads
        self.normalize_qk = normalize_qk
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(
            3 * channels, 3 * channels, 3, padding=1, groups=3 * channels, bias=False
        )
        self.project = nn.Conv2d(channels, channels, 1, bias=False)
        if normalize_qk:
            self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        else:
            self.register_parameter("temperature", None)

    def _heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Eqs. 1-3 and the reshape: q, k, v as (N, heads, C/heads, HW)."""
        n, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        shape = (n, self.num_heads, c // self.num_heads, h * w)
        return q.reshape(shape), k.reshape(shape), v.reshape(shape)

    def _logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        if q.dtype in (torch.float32, torch.float64):
            logits = q @ k.transpose(-2, -1)
            if self.normalize_qk:
                # normalize(q) @ normalize(k)^T == (q @ k^T) / (|q| |k|^T), with F.normalize's
                # max(norm, 1e-12). Scaling the small (C/h x C/h) matrix instead of dividing both
                # (C/h x HW) tensors saves two full passes over q and k (docs/benchmarks.md).
                q_norm = torch.linalg.vector_norm(q, dim=-1, keepdim=True).clamp_min(1e-12)
                k_norm = torch.linalg.vector_norm(k, dim=-1, keepdim=True).clamp_min(1e-12)
                return logits * (self.temperature / (q_norm * k_norm.transpose(-2, -1)))
            return logits / math.sqrt(q.shape[-1])
        # fp16 / bf16 (autocast or .half()): the raw q @ k^T sums HW products, |q . k| up to
        # |q| |k|; for 128x128 features of mean ~3 that is ~150,000, past fp16's largest value
        # (65,504), so the logits would be inf and the softmax NaN. Here q and k are scaled
        # *before* the product: to unit norm (each logit is then a cosine in [-1, 1]), or by
        # HW^(-1/4) each for the literal eq. 4. The norms are taken in fp32 and the division is
        # done in fp32 before casting back, so no intermediate overflows either. Equal to the
        # fp32 path up to rounding (tests/test_precision.py).
        if self.normalize_qk:
            q = self._unit_rows(q)
            k = self._unit_rows(k)
            return (q @ k.transpose(-2, -1)) * self.temperature
        scale = q.shape[-1] ** -0.25
        return (q * scale) @ (k * scale).transpose(-2, -1)

    @staticmethod
    def _unit_rows(t: torch.Tensor) -> torch.Tensor:
        """``F.normalize(t, dim=-1)`` with the norm and the division in fp32, cast back to t's dtype."""
        norm = torch.linalg.vector_norm(t, dim=-1, keepdim=True, dtype=torch.float32)
        return (t / norm.clamp_min(1e-12)).to(t.dtype)

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """The channel-attention matrix of eq. 4: (N, heads, C/heads, C/heads), rows sum to 1."""
        check_feature(x, self.channels, "SelfAttention")
        q, k, _ = self._heads(x)
        return self._logits(q, k).softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature(x, self.channels, "SelfAttention")
        n, c, h, w = x.shape
        q, k, v = self._heads(x)
        attn = self._logits(q, k).softmax(dim=-1)  # eq. 4
        out = (attn @ v).reshape(n, c, h, w)  # R(.)
        return self.project(out)  # eq. 5

    def extra_repr(self) -> str:
        return f"channels={self.channels}, num_heads={self.num_heads}, normalize_qk={self.normalize_qk}"
