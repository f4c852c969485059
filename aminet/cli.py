"""The ``aminet`` command line (also ``python -m aminet``).

Each sub-command lives in its own module under ``aminet/commands/`` and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``.

Every mistake a user can make ends as one line naming the file or the flag, with exit code 2, and
:func:`main` is the one place that turns exceptions into those lines: :class:`UserError` and
``ValueError`` (bad options, bad checkpoint contents, unreadable images), ``OSError`` (missing
files, permissions, a file where a folder is expected, a full disk), PIL's decode errors, and
Ctrl-C (exit code 130). ``--debug`` (or ``AMINET_DEBUG=1``) shows the full traceback instead.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

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


def describe_error(err: BaseException) -> str | None:
    """The one-line message for an error a user can cause, or None for a bug (shown in full)."""
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
            return (
                f"{where}no space left on the device; nothing half-written was kept (checkpoints "
                "are replaced atomically). Free some space and run again (or --resume)"
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
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"aminet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        message = describe_error(err)
        if debug or message is None:
            raise
        print(f"aminet {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
