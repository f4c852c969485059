"""``python -m aminet.data``: how fast SynthFaces draws faces, and a grid of them to look at."""

from __future__ import annotations

import torch

from aminet.data.synthfaces import SynthFaces, face_rng, render_face


def _best_of(draw, n: int, repeat: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds of ``repeat`` blocks of ``n`` draws, as timeit does: on a shared
    machine the fastest block is the one least disturbed by other processes."""
    import time

    best_wall = best_cpu = float("inf")
    for block in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(block * n, (block + 1) * n):
            draw(i)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> None:
    """``python -m aminet.data``: time the SynthFaces generator and draw a grid of samples."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--n", type=int, default=100, help="faces per timed block (default 100)")
    parser.add_argument("--repeat", type=int, default=5, help="timed blocks; the best is reported")
    parser.add_argument("--grid", default=None, help="write a PNG grid of test faces here")
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--cols", type=int, default=8)
    parser.add_argument(
        "--with-lr", action="store_true", help="add each face's bicubic input below it"
    )
    args = parser.parse_args(argv)
    if args.n > 0:
        torch.set_num_threads(1)  # a per-core figure: one process, one thread
        ds = SynthFaces("train")
        render_face(face_rng(0, "test", 0))  # warm-up: caches and lazy imports
        ds[0]
        for label, draw in (
            ("render_face", lambda i: render_face(face_rng(0, "train", i))),
            ("SynthFaces item (render + degrade)", ds.__getitem__),
        ):
            best_wall, best_cpu = _best_of(draw, args.n, args.repeat)
            print(
                f"{label}: {args.n / best_cpu:.0f} faces per CPU-second, {args.n / best_wall:.0f} faces/s wall-clock (best of {args.repeat} blocks of {args.n})"
            )
    if args.grid:
        from PIL import Image

        ds = SynthFaces("test")
        tiles = []
        for r in range(args.rows):
            row = []
            for c in range(args.cols):
                item = ds[r * args.cols + c]
                faces = [item["hr"]] if not args.with_lr else [item["hr"], item["input"]]
                row.append(torch.cat(faces, dim=1))
            tiles.append(torch.cat(row, dim=2))
        grid = torch.cat(tiles, dim=1).permute(1, 2, 0).mul(255).round().byte().numpy()
        Image.fromarray(grid).save(args.grid)
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
