"""The `demo` and `dev` sub-commands of `ac-export`."""

from __future__ import annotations

import argparse
import warnings

EMULATOR_PORT_HELP = "emulator port (default 8787, or the next free one; each port has its own account)"


def _demo(args: argparse.Namespace) -> int:
    if not args.verbose:
        # Dagster's notes on its own beta parameters are for developers, not for the demo's reader.
        warnings.filterwarnings("ignore", message=".*is currently in beta")
    from ac_export.demo.run import run_demo

    return run_demo(verbose=args.verbose, emulator_port=args.emulator_port)


def _dev(args: argparse.Namespace) -> int:
    from ac_export.demo.dev import run_dev

    return run_dev(port=args.port, emulator_port=args.emulator_port)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `demo` and `dev`."""
    demo = subparsers.add_parser("demo", help="run the whole pipeline on data/ against the local emulator")
    demo.add_argument(
        "--verbose", action="store_true", help="print Dagster's run events (always in a log file)"
    )
    demo.add_argument("--emulator-port", type=int, default=None, help=EMULATOR_PORT_HELP)
    demo.set_defaults(handler=_demo)
    dev = subparsers.add_parser("dev", help="the Dagster UI on 127.0.0.1 with the local emulator")
    dev.add_argument(
        "--port", type=int, default=None, help="Dagster UI port (default 3000, or the next free one)"
    )
    dev.add_argument("--emulator-port", type=int, default=None, help=EMULATOR_PORT_HELP)
    dev.set_defaults(handler=_dev)
