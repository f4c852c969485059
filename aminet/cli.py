"""The ``aminet`` command line (also ``python -m aminet``).

Each sub-command lives in its own module under ``aminet/commands/`` and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``. Errors that a user can
fix (bad paths, unknown model names, bad sizes) are raised as :class:`UserError` and printed as one
line with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"aminet.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except (UserError, FileNotFoundError, ValueError) as err:
        print(f"aminet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"aminet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
