"""The `ac-export` command: emulator, check-connection, demo, dev and the other user commands.

Each area registers its own sub-commands (a `register(subparsers)` function in its `commands`
module), so this file only assembles them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define `register(subparsers)`; each adds sub-commands with a `handler` default.
COMMAND_MODULES = (
    "ac_export.emulator.commands",
    "ac_export.profiles.commands",
    "ac_export.segments.commands",
    "ac_export.activecampaign.commands",
    "ac_export.automation.commands",
    "ac_export.bench.commands",
    "ac_export.demo.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per user task."""
    parser = argparse.ArgumentParser(
        prog="ac-export", description="Export unified customer segments to ActiveCampaign lists."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
