"""The README's main job with other training data: how docs/training.md measured the data levers.

    python scripts/demo_data_lever.py OUT DATA               # the demo's 9 minutes, its report
    python scripts/demo_data_lever.py OUT DATA --steps 400   # a fixed number of steps instead

DATA is a training spec such as ``synthetic``, ``synthetic:natural=0.15`` or
``synthetic:natural=0.15,blur=0.5``. Everything else is the demo's CPU configuration
(:func:`aminet.demo.demo_config`), and the scoring is the demo's: the held-out SynthFaces test
faces and the two shipped real photos, each against bicubic (:func:`aminet.demo.run_demo`), so a
row of docs/training.md is one run of this script. ``--steps`` fixes the length, for a machine too
busy for a time budget to measure the lever rather than the load. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json

import torch

from aminet.demo import DEFAULT_MINUTES, demo_config, run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="run folder (must not hold a run)")
    parser.add_argument("data", help="training data spec, e.g. synthetic:natural=0.15,blur=0.5")
    parser.add_argument("--steps", type=int, default=None, help="fixed steps instead of 9 minutes")
    parser.add_argument("--eval-limit", type=int, default=200, help="SynthFaces test faces")
    parser.add_argument("--seed", type=int, default=0, help="training seed (the test faces stay)")
    args = parser.parse_args()
    config = demo_config(DEFAULT_MINUTES, torch.device("cpu"), args.out, seed=args.seed)
    config.data = args.data
    if args.steps is not None:
        config.minutes, config.steps = None, args.steps
    config.validate()
    metrics = run_demo(
        config.minutes, args.out, device="cpu", config=config, eval_limit=args.eval_limit
    )
    real = metrics["real_faces"]
    print(
        json.dumps(
            {
                "data": args.data,
                "steps": metrics["run"]["steps"],
                "synthfaces": {k: metrics[k] for k in ("gain_psnr_y", "gain_ssim_y")},
                "photos": {k: real[k] for k in ("gain_psnr_y", "gain_ssim_y")},
            }
        )
    )


if __name__ == "__main__":
    main()
