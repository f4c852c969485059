"""Measure models side by side: parameters, MACs, latency, throughput, peak memory, training speed.

``benchmark(["aminet", "aminet-s", "sparnet"])`` returns one dict with a row per model and the ratios
of every number to the first model. The models are measured *interleaved* (model A, B, C, A, B, C,
...) in one process, so that a noisy or shared machine slows them all alike and the ratios hold even
when the absolute numbers drift.

What each number is:
- ``params``: every parameter (``aminet.complexity.count_params``).
- ``macs``: torch's FLOP counter / 2 at batch 1 (matmuls included), the same counter as
  ``aminet summary``; ``macs_conv_linear``: conv and linear layers only, at their true cost;
  ``macs_thop``: the convention of the ``thop`` package, which the paper's Table X appears to use
  (see ``aminet.complexity``).
- ``latency_ms``: batch 1 forward in inference mode: warm-up calls first, the device synchronised
  before and after every timed call, the median and the 90th percentile over ``repeats`` calls.
- ``throughput``: images per second at each batch size, from the median time of one call.
- ``peak_memory_mb``: memory a forward pass needs on top of the weights. CUDA:
  ``torch.cuda.max_memory_allocated`` minus what was allocated before the call. CPU: the growth of
  the peak resident set size (``VmHWM`` in /proc/self/status) of a fresh child process that
  loads the model and then runs the forward passes in increasing batch order (a child process,
  because the peak RSS of a process never goes down; eager mode, fp32 weights).
- ``train``: with ``train=True``, images per second of the trainer's own L1 step
  (``aminet.training.PixelStep``: forward, L1 loss, backward through the AMP scaler, gradient
  clipping at ``TrainConfig``'s default 1.0, fused Adam) at the largest batch size.

``plot_tradeoff(rows, "fig1.png", psnr={...})`` draws a Fig. 1-style bubble plot: the paper's Table
X (params vs PSNR, bubble size = RTX 3090 speed) as the paper's points, and our measured models.

The package, one file per concern: ``settings`` (what to measure: :class:`BenchSettings`),
``machine`` (what it ran on), ``timing`` (inference runners, the training step, the clock),
``memory`` (peak memory, CUDA and CPU), ``runner`` (:func:`benchmark`, the interleaved
measurement) and ``report`` (the text table and the Fig. 1-style plot).
"""

from aminet.bench.machine import machine_info
from aminet.bench.report import PAPER_TABLE_X, format_table, plot_tradeoff
from aminet.bench.runner import benchmark
from aminet.bench.settings import DTYPES, BenchmarkUnavailable, BenchSettings

__all__ = [
    "DTYPES",
    "PAPER_TABLE_X",
    "BenchSettings",
    "BenchmarkUnavailable",
    "benchmark",
    "format_table",
    "machine_info",
    "plot_tradeoff",
]
