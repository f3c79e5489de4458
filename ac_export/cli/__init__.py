"""The `ac-export` command: one sub-command module per area, assembled here."""

from __future__ import annotations

import argparse
import sys

from ac_export.cli import activecampaign, demo, generate, optouts, profiles, reports, segments
from ac_export.emulator import commands as emulator

# Each module's `register(subparsers)` adds its sub-commands with a `handler` default.
COMMAND_MODULES = (emulator, profiles, segments, activecampaign, optouts, reports, generate, demo)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per user task."""
    parser = argparse.ArgumentParser(
        prog="ac-export", description="Export unified customer segments to ActiveCampaign lists."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
