"""Reference answers to the course exercises, written as small functions over aminet's modules.

Where the package has the step as code (a module's ``forward``, ``EDFF.selection``, the metrics,
the losses, the schedule), the reference *is* that code, so no second copy can drift from the
model. The few steps that live inside a forward pass without a name of their own (splitting into
heads, eq. 4's map, the AU's weights, SKAF's channel pooling, the stage shapes) are written out here
over the module's own layers, and tests (tests/test_course_checks.py) prove that they reproduce the
module's ``forward`` exactly. Functions are named ``<module>_<step>`` and listed in
:data:`aminet.course.checks.EXERCISES` under the id ``"<module>.<step>"``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------
# 01 SA (eqs. 1-5)
# --------------------------------------------------------------------------------------------


def sa_to_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, heads, C/heads, H*W): each head sees C/heads channels as rows of pixels."""
    n, c, h, w = x.shape
    return x.reshape(n, num_heads, c // num_heads, h * w)


def sa_attention_map(q: torch.Tensor, k: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """Eq. 4's channel-attention map: softmax over keys of (q_hat k_hat^T) * temperature.

    ``q``, ``k``: (N, heads, d, HW); q and k are L2-normalised along HW (so the logits are cosine
    similarities between channels, whatever the image size), scaled by the per-head
    ``temperature`` (heads, 1, 1), and each row is a softmax over the d key channels.
    """
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    return ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-1)


def sa_forward(x: torch.Tensor, sa: nn.Module) -> torch.Tensor:
    """Eqs. 1-5: ``SelfAttention.forward`` itself (the package's code is the reference)."""
    return sa(x)


# --------------------------------------------------------------------------------------------
# 02 RDFE (eqs. 6-10)
# --------------------------------------------------------------------------------------------


def rdfe_depthwise_conv(channels: int, kernel_size: int) -> nn.Conv2d:
    """A depthwise k x k convolution that keeps H and W: one filter per channel, 'same' padding."""
    return nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)


def rdfe_au_weights(
    concat: torch.Tensor, squeeze: nn.Conv2d, excite: nn.Conv2d, branches: int
) -> torch.Tensor:
    """Eq. 7: (N, kC, H, W) -> weights (N, k, C, 1, 1) that sum to 1 over the k branches."""
    n, kc = concat.shape[:2]
    pooled = F.adaptive_avg_pool2d(concat, 1)
    logits = excite(F.relu(squeeze(pooled)))
    return logits.reshape(n, branches, kc // branches, 1, 1).softmax(dim=1)


def rdfe_forward(x: torch.Tensor, rdfe: nn.Module) -> torch.Tensor:
    """Eqs. 6-10: ``RDFE.forward`` itself."""
    return rdfe(x)


# --------------------------------------------------------------------------------------------
# 03 SKAF (eqs. 11-14)
# --------------------------------------------------------------------------------------------


def skaf_channel_pool(x3: torch.Tensor) -> torch.Tensor:
    """Eq. 13's descriptor: mean and max along the channels, stacked as (N, 2, H, W) [avg, max]."""
    return torch.cat([x3.mean(dim=1, keepdim=True), x3.amax(dim=1, keepdim=True)], dim=1)


def skaf_forward(x: torch.Tensor, skaf: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Eqs. 11-14: ``SKAF.forward`` itself (the two selection maps)."""
    return tuple(skaf(x))


# --------------------------------------------------------------------------------------------
# 04 LGFI
# --------------------------------------------------------------------------------------------


def lgfi_forward(x: torch.Tensor, lgfi: nn.Module) -> torch.Tensor:
    """``LGFI.forward`` itself: SA and RDFE in parallel on LN(x), SKAF selects per pixel, plus x."""
    return lgfi(x)


def lgfi_transformer_forward(x: torch.Tensor, block: nn.Module) -> torch.Tensor:
    """``TransformerBlock.forward`` itself: x + SA(LN x), then + FFN(LN x), then the FRM."""
    return block(x)


# --------------------------------------------------------------------------------------------
# 05 EDFF (eqs. 15-16)
# --------------------------------------------------------------------------------------------


def edff_selection(
    encoder: torch.Tensor, decoder: torch.Tensor, edff: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 15: ``EDFF.selection`` itself, SKAF's maps (encoder weight, decoder weight) of the
    1x1-reduced concatenation."""
    return tuple(edff.selection(encoder, decoder))


def edff_combine(
    encoder: torch.Tensor, decoder: torch.Tensor, w_enc: torch.Tensor, w_dec: torch.Tensor
) -> torch.Tensor:
    """Eq. 16: each pixel mixes encoder and decoder features by its own pair of weights."""
    return encoder * w_enc + decoder * w_dec


# --------------------------------------------------------------------------------------------
# 06 the U-Net
# --------------------------------------------------------------------------------------------


def unet_stage_shapes(size: int, base_channels: int) -> list[tuple[int, int, int]]:
    """(C, H, W) of the three encoder stages' outputs and the bottleneck for a size x size input.

    Widths double and sides halve at every Downsample; the input is first padded up to a multiple
    of 8 (three halvings), so odd sizes round up.
    """
    side = size + (-size) % 8
    return [(base_channels * 2**i, side // 2**i, side // 2**i) for i in range(4)]


def unet_forward(x: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """``AMINet.forward`` itself: pad, head, encoder with skips, bottleneck, decoder, residual."""
    return model(x)


# --------------------------------------------------------------------------------------------
# 00 data and metrics: the references are the package's own functions
# --------------------------------------------------------------------------------------------


def data_degrade(hr: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The x``scale`` degradation: ``aminet.data.degrade`` (antialiased bicubic down, bicubic up)."""
    from aminet.data import degrade

    return degrade(hr, scale)


def metrics_rgb_to_y(img: torch.Tensor) -> torch.Tensor:
    """MATLAB's luma of an RGB batch in [0, 1]: ``aminet.metrics.rgb_to_y`` ((N, 1, H, W), 16-235)."""
    from aminet.metrics import rgb_to_y

    return rgb_to_y(img)


def metrics_psnr_y(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """PSNR on the Y channel, peak 255, one value per image: ``aminet.metrics.psnr``."""
    from aminet.metrics import psnr

    return psnr(sr, hr, y_channel=True)


# --------------------------------------------------------------------------------------------
# 07 training (eq. 17)
# --------------------------------------------------------------------------------------------


def train_l1_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, inp: torch.Tensor, hr: torch.Tensor
) -> torch.Tensor:
    """One step of eq. 17, the core of ``aminet.train``: forward, L1, clear old gradients,
    backward, update. Returns the loss (detached) measured *before* the update."""
    loss = F.l1_loss(model(inp), hr)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


# --------------------------------------------------------------------------------------------
# 08 AMIGAN (eqs. 20-21): the references are aminet.gan's losses
# --------------------------------------------------------------------------------------------


def gan_discriminator_loss(real_logits: list, fake_logits: list) -> torch.Tensor:
    """Eq. 20 over a multi-scale PatchGAN's logit maps: ``aminet.gan.discriminator_loss``."""
    from aminet.gan import discriminator_loss

    return discriminator_loss(real_logits, fake_logits)


def gan_generator_loss(fake_logits: list) -> torch.Tensor:
    """Eq. 21 over a multi-scale PatchGAN's logit maps: ``aminet.gan.generator_adversarial_loss``."""
    from aminet.gan import generator_adversarial_loss

    return generator_adversarial_loss(fake_logits)


# --------------------------------------------------------------------------------------------
# 09 benchmarking: timing an asynchronous device
# --------------------------------------------------------------------------------------------


class SimulatedGPU:
    """A pretend GPU with a virtual clock, to *show* (and check) why timing needs sync and warm-up.

    ``forward()`` returns at once, like a CUDA kernel launch (``launch_ms`` of CPU time), and queues
    ``kernel_ms`` of device work; the very first call queues ``first_call_ms`` more (lazy
    initialisation, cuDNN autotuning, compilation). ``synchronize()`` waits until the queue is empty;
    ``clock()`` reads the virtual time in seconds. Nothing here is a measurement of real hardware.
    """

    def __init__(
        self, kernel_ms: float = 5.0, first_call_ms: float = 50.0, launch_ms: float = 0.02
    ):
        self.kernel_ms, self.first_call_ms, self.launch_ms = kernel_ms, first_call_ms, launch_ms
        self.now_ms = 0.0  # the host's virtual time
        self.busy_until_ms = 0.0  # when the device finishes its queue
        self.calls = 0

    def forward(self) -> None:
        work = self.kernel_ms + (self.first_call_ms if self.calls == 0 else 0.0)
        self.busy_until_ms = max(self.busy_until_ms, self.now_ms) + work
        self.now_ms += self.launch_ms
        self.calls += 1

    def synchronize(self) -> None:
        self.now_ms = max(self.now_ms, self.busy_until_ms)

    def clock(self) -> float:
        return self.now_ms / 1000.0


def bench_time_calls(fn, synchronize, warmup: int, repeats: int, clock=None) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn``, after ``warmup`` untimed calls, with the
    device synchronised before and after every timed call (what ``aminet.bench`` does)."""
    import time

    clock = clock or time.perf_counter
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = clock()
        fn()
        synchronize()
        times.append(clock() - start)
    return times


# --------------------------------------------------------------------------------------------
# 10 ablations: reading a table with seed spread
# --------------------------------------------------------------------------------------------


def ablation_difference(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean(b) - mean(a), its standard error) for per-seed scores ``a`` (baseline) and ``b``.

    Standard error of a difference of two independent means: sqrt(s_a^2 / n_a + s_b^2 / n_b) with
    the *sample* variances (n - 1 in the denominator: a handful of seeds underestimates the spread).
    """
    diff = b.mean() - a.mean()
    se = (a.var(unbiased=True) / a.numel() + b.var(unbiased=True) / b.numel()).sqrt()
    return diff, se


def train_cosine_factor(step: int, total: int, min_ratio: float) -> float:
    """The learning-rate factor of ``aminet.train``'s cosine schedule (no warm-up) at ``step``:
    from 1 down to ``min_ratio`` over ``total`` steps, then flat."""
    from aminet.training.schedule import ScheduleShape

    return ScheduleShape("cosine", total, warmup=0, min_ratio=min_ratio)(step)
