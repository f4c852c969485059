"""The ``aminet`` command line (also ``python -m aminet``).

Each sub-command lives in its own module under ``aminet/commands/`` and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``.

Every mistake a user can make ends as one line naming the file or the flag, with exit code 2, and
:func:`main` is the one place that turns exceptions into those lines: :class:`UserError` and
``ValueError`` (bad options, bad checkpoint contents, unreadable images), ``OSError`` (missing
files, permissions, a file where a folder is expected, a full disk), PIL's decode errors, running
out of memory (a batch or an image too large for the device), and Ctrl-C (exit code 130).
``--debug`` (or ``AMINET_DEBUG=1``) shows the full traceback instead. Warnings print as one
``warning: ...`` line (not Python's two-line form that quotes the library's source).

Checks that several commands share live here too: :func:`check_threads` (``--threads``) and
:func:`check_input_file` (a flag that names a file).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from pathlib import Path

COMMANDS = (
    "summary",
    "list_models",
    "course",
    "train",
    "upscale",
    "demo",
    "eval",
    "bench",
    "prepare_celeba",
    "prepare_faces",
    "ablate",
)  # modules under aminet/commands/


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aminet",
        description=(
            "AMINet: x8 face super-resolution (16x16 -> 128x128). Build, train, evaluate, "
            "benchmark and ablate the models of the paper. Run 'aminet COMMAND --help' for details."
        ),
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error (also: AMINET_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"aminet.commands.{name}").add_parser(sub)
    for command in sub.choices.values():  # also after the command: aminet train ... --debug
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def check_threads(threads: int | None, flag: str = "--threads") -> int | None:
    """``threads`` if it is a sane torch thread count, else a :class:`UserError` naming the range.

    torch accepts any count and crashes the process (a segmentation fault) when it cannot start
    that many threads, so the count is bounded by the machine: more threads than 4 per core only
    wait on each other."""
    if threads is None:
        return None
    limit = 4 * (os.cpu_count() or 1)
    if not 1 <= threads <= limit:
        raise UserError(
            f"{flag} must be from 1 to {limit} (4 per CPU core of this machine), got {threads}"
        )
    return threads


def check_input_file(path: str, flag: str) -> Path:
    """``path`` as a Path if it is a regular file; else a :class:`UserError` saying what it is.

    A pipe or a device would block or stream forever when read, and "does not exist" would be
    wrong for a folder, so each case has its own message."""
    p = Path(path).expanduser()
    if p.is_file():
        return p
    if p.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file")
    if p.exists():
        raise UserError(f"{flag} {path} is not a regular file (a pipe or a device?); give a file")
    raise UserError(f"{flag} {path} does not exist")


def check_model_name(name: str, flag: str = "--model") -> str:
    """``name`` if it is registered; else a :class:`UserError` with "did you mean" and the list."""
    import difflib

    from aminet.registry import list_models

    known = list_models()
    if name in known:
        return name
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not close:
        close = [k for k in known if name.lower() in k.lower()][:3]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UserError(f"{flag} {name!r}: unknown model{hint} (see 'aminet list' for all names)")


def is_out_of_memory(err: BaseException) -> bool:
    try:
        import torch

        if isinstance(err, torch.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):  # pragma: no cover - torch < 2.5 has only the cuda one
        pass
    text = str(err)
    return isinstance(err, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def describe_error(err: BaseException, command: str | None = None) -> str | None:
    """The one-line message for an error a user can cause, or None for a bug (shown in full).

    ``command`` (train, upscale, ...) only tunes the advice, e.g. --resume after a full disk."""
    if is_out_of_memory(err):
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return (
            f"the device ran out of memory ({first[:160]}); use a smaller --batch-size (or "
            "--crop-size), smaller images, or a device with more memory"
        )
    try:
        from PIL import Image, UnidentifiedImageError

        if isinstance(err, Image.DecompressionBombError):
            return f"an image is too large to decode safely (a decompression bomb?): {err}"
        if isinstance(err, UnidentifiedImageError):
            return f"not a readable image: {err}"
    except ImportError:  # pragma: no cover - Pillow is a dependency
        pass
    if isinstance(err, (UserError, ValueError)):
        return str(err)
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        reason = err.strerror or str(err)
        if err.errno == errno.ENOSPC:
            again = " (or --resume)" if command in (None, "train", "demo") else ""
            return (
                f"{where}no space left on the device; nothing half-written was kept (files are "
                f"written to a temporary name, then renamed). Free some space and run again{again}"
            )
        if err.errno in (errno.EACCES, errno.EPERM):
            return f"{where}permission denied: {reason}"
        if isinstance(err, NotADirectoryError) and not err.filename:
            return str(err)
        if err.filename:
            return f"{where}{reason}"
        return str(err)
    return None


def debug_requested(argv: list[str] | None = None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return os.environ.get("AMINET_DEBUG", "") not in ("", "0") or "--debug" in argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    debug = args.debug or debug_requested([])
    import warnings

    show = warnings.formatwarning
    if not debug:  # one line, not Python's "file:line: Category: text" + the quoted source line
        warnings.formatwarning = lambda message, *rest, **kw: f"warning: {message}\n"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"aminet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        message = describe_error(err, args.command)
        if debug or message is None:
            raise
        print(f"aminet {args.command}: error: {message}", file=sys.stderr)
        return 2
    finally:
        warnings.formatwarning = show


if __name__ == "__main__":
    sys.exit(main())
