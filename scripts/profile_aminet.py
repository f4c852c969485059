"""Profile a registered model's forward and backward pass with torch.profiler; print the top ops.

    python scripts/profile_aminet.py --model aminet --batch 1 --size 128 --steps 3 [--device cuda]

Why: to know where the time goes before changing code ("make it fast" in docs/benchmarks.md).
The tables are sorted by self time (CPU self time on CPU, device self time on CUDA). Forward is
profiled in inference mode; backward is profiled on an L1 loss, as in training.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile, record_function

from aminet.registry import create_model


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default="aminet", help="registered model name (default aminet)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    p.add_argument("--size", type=int, default=128, help="input height and width (default 128)")
    p.add_argument(
        "--steps", type=int, default=3, help="profiled steps after one warm-up (default 3)"
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--top", type=int, default=15, help="rows per table (default 15)")
    return p.parse_args(argv)


def _sort_key(device: str) -> str:
    return "self_cuda_time_total" if device.startswith("cuda") else "self_cpu_time_total"


def _activities(device: str) -> list:
    acts = [ProfilerActivity.CPU]
    if device.startswith("cuda"):
        acts.append(ProfilerActivity.CUDA)
    return acts


def profile_forward(model, x, steps: int, device: str, top: int) -> str:
    model.eval()
    with torch.inference_mode():
        model(x)  # warm-up
        with profile(activities=_activities(device)) as prof:
            for _ in range(steps):
                with record_function("forward"):
                    model(x)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
    return prof.key_averages().table(sort_by=_sort_key(device), row_limit=top)


def profile_backward(model, x, steps: int, device: str, top: int) -> str:
    model.train()
    target = torch.rand_like(x)
    F.l1_loss(model(x), target).backward()  # warm-up
    with profile(activities=_activities(device)) as prof:
        for _ in range(steps):
            loss = F.l1_loss(model(x), target)
            with record_function("backward"):
                loss.backward()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return prof.key_averages().table(sort_by=_sort_key(device), row_limit=top)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = create_model(args.model).to(args.device)
    x = torch.rand(args.batch, 3, args.size, args.size, device=args.device)
    print(
        f"# {args.model}, batch {args.batch}, {args.size}x{args.size}, {args.device}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"\n## forward (inference), {args.steps} steps\n")
    print(profile_forward(model, x, args.steps, args.device, args.top))
    print(f"\n## forward + backward (training, L1 loss), {args.steps} steps\n")
    print(profile_backward(model, x, args.steps, args.device, args.top))


if __name__ == "__main__":
    main()
