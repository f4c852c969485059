"""Time each speed change before / after, side by side in one run (interleaved), and check equality.

    python scripts/speed_changes.py [--threads 1] [--repeats 5] [--size 128] [--train] [--device cpu]

"Before" is the code as first written (``tests/speed_reference.py``, test-only code), "after" the current modules;
both use the same weights. Rows:
- SA at AMINet's stage-1 and bottleneck shapes: the L2 normalisation of q and k folded into the
  small (C/h x C/h) logits matrix; plus a candidate that was measured but is NOT used in the model:
  ``F.scaled_dot_product_attention`` with the per-head temperature folded into q (scale=1.0).
- RDFE (stage 1): the AU pools each branch instead of a full-size concatenation.
- SKAF (stage 1): channel mean / max combined from the two conv outputs, no concatenation.
- the whole model (``--model``, batch 1) with every change off vs on; ``--train`` adds a
  forward + backward step; ``--memory-format`` adds the model in channels_last vs contiguous.
Every row prints the largest absolute difference between before and after outputs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from aminet.bench import machine_info
from aminet.modules import RDFE, SKAF, SelfAttention
from aminet.registry import create_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the "before" code
from speed_reference import (  # noqa: E402
    rdfe_forward_before,
    sa_forward_before,
    skaf_forward_before,
    use_reference,
)


def sa_forward_sdpa(sa: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    """Candidate: PyTorch's fused attention; the per-head temperature and |q| folded into q."""
    n, c, h, w = x.shape
    q, k, v = sa._heads(x)
    q = q * (sa.temperature / torch.linalg.vector_norm(q, dim=-1, keepdim=True).clamp_min(1e-12))
    k = F.normalize(k, dim=-1)
    out = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    return sa.project(out.reshape(n, c, h, w))


def interleaved(fns: dict, repeats: int, device: str) -> dict:
    """Median and min milliseconds of each zero-argument callable, timed round-robin."""
    for fn in fns.values():  # warm-up
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times[name].append((time.perf_counter() - start) * 1000)
    return {n: (statistics.median(t), min(t)) for n, t in times.items()}


def report(title: str, timings: dict, diff: float) -> None:
    names = list(timings)
    base = timings[names[0]][0]
    print(f"\n{title}   (max |before - after| = {diff:.2e})")
    for name in names:
        med, best = timings[name]
        print(
            f"  {name:<28} median {med:9.2f} ms   min {best:9.2f} ms   x{med / base:.3f} of before"
        )


@torch.inference_mode()
def module_rows(args) -> None:
    d, s = args.device, args.size
    torch.manual_seed(0)
    cases = [
        ("SA stage 1 (C=26, 1 head, 128x128)", SelfAttention(26, 1), (1, 26, s, s)),
        ("SA bottleneck (C=208, 8 heads, 16x16)", SelfAttention(208, 8), (1, 208, s // 8, s // 8)),
    ]
    for title, sa, shape in cases:
        sa = sa.to(d).eval()
        sa.temperature.data.uniform_(0.5, 2.0)
        x = torch.randn(shape, device=d)
        after = sa(x)
        diff = max(
            (sa_forward_before(sa, x) - after).abs().max().item(),
            (sa_forward_sdpa(sa, x) - after).abs().max().item(),
        )
        report(
            title,
            interleaved(
                {
                    "before (F.normalize q, k)": lambda sa=sa, x=x: sa_forward_before(sa, x),
                    "after (norms on logits)": lambda sa=sa, x=x: sa(x),
                    "candidate SDPA (not used)": lambda sa=sa, x=x: sa_forward_sdpa(sa, x),
                },
                args.repeats,
                d,
            ),
            diff,
        )
    rdfe = RDFE(26, hourglass_depth=5).to(d).eval()
    x = torch.randn(1, 26, s, s, device=d)
    report(
        "RDFE stage 1 (C=26, 128x128)",
        interleaved(
            {
                "before (pool the concat)": lambda: rdfe_forward_before(rdfe, x),
                "after": lambda: rdfe(x),
            },
            args.repeats,
            d,
        ),
        (rdfe_forward_before(rdfe, x) - rdfe(x)).abs().max().item(),
    )
    skaf = SKAF(26).to(d).eval()
    before, after = skaf_forward_before(skaf, x), skaf(x)
    report(
        "SKAF stage 1 (C=26, 128x128)",
        interleaved(
            {
                "before (cat, then pool)": lambda: skaf_forward_before(skaf, x),
                "after": lambda: skaf(x),
            },
            args.repeats,
            d,
        ),
        max((b - a).abs().max().item() for b, a in zip(before, after)),
    )


def model_rows(args) -> None:
    torch.manual_seed(0)
    fast = create_model(args.model).to(args.device).eval()
    slow = create_model(args.model).to(args.device).eval()
    slow.load_state_dict(fast.state_dict())
    n = use_reference(slow)
    x = torch.rand(1, 3, args.size, args.size, device=args.device)
    with torch.inference_mode():
        diff = (slow(x) - fast(x)).abs().max().item()
        timings = interleaved(
            {f"before ({n} modules)": lambda: slow(x), "after": lambda: fast(x)},
            args.repeats,
            args.device,
        )
    report(f"{args.model} forward, batch 1, {args.size}x{args.size}", timings, diff)
    if not args.train:
        return
    fast.train()
    slow.train()
    target = torch.rand_like(x)

    def step(model):
        model.zero_grad(set_to_none=True)
        F.l1_loss(model(x), target).backward()

    report(
        f"{args.model} forward + backward (train mode), batch 1",
        interleaved(
            {"before": lambda: step(slow), "after": lambda: step(fast)}, args.repeats, args.device
        ),
        diff,
    )


def memory_format_rows(args) -> None:
    """The model in the default layout vs channels_last (same weights, same input values)."""
    torch.manual_seed(0)
    plain = create_model(args.model).to(args.device).eval()
    nhwc = create_model(args.model).to(args.device).eval()
    nhwc.load_state_dict(plain.state_dict())
    nhwc = nhwc.to(memory_format=torch.channels_last)
    x = torch.rand(1, 3, args.size, args.size, device=args.device)
    x_nhwc = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        diff = (plain(x) - nhwc(x_nhwc)).abs().max().item()
        timings = interleaved(
            {"contiguous (NCHW)": lambda: plain(x), "channels_last": lambda: nhwc(x_nhwc)},
            args.repeats,
            args.device,
        )
    report(f"{args.model} forward, memory format, batch 1", timings, diff)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default="aminet", help="registered model for the whole-model rows")
    p.add_argument("--size", type=int, default=128, help="input height and width (default 128)")
    p.add_argument(
        "--repeats", type=int, default=5, help="interleaved timed calls per row (default 5)"
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--train", action="store_true", help="also time forward + backward of the model")
    p.add_argument("--skip-modules", action="store_true", help="only the whole-model rows")
    p.add_argument(
        "--memory-format", action="store_true", help="also time the model in channels_last"
    )
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = machine_info(args.device)
    print(f"# speed changes, before vs after, interleaved; {info}")
    if not args.skip_modules:
        module_rows(args)
    model_rows(args)
    if args.memory_format:
        memory_format_rows(args)


if __name__ == "__main__":
    main()
