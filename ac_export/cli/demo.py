"""The `demo` and `dev` sub-commands of `ac-export`."""

from __future__ import annotations

import argparse


def _demo(args: argparse.Namespace) -> int:
    from ac_export.demo.run import run_demo

    return run_demo()


def _dev(args: argparse.Namespace) -> int:
    from ac_export.demo.dev import run_dev

    return run_dev(port=args.port, emulator_port=args.emulator_port)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `demo` and `dev`."""
    demo = subparsers.add_parser("demo", help="run the whole pipeline on data/ against the local emulator")
    demo.set_defaults(handler=_demo)
    dev = subparsers.add_parser("dev", help="the Dagster UI on 127.0.0.1 with the local emulator")
    dev.add_argument("--port", type=int, default=3000, help="Dagster UI port (default 3000)")
    dev.add_argument("--emulator-port", type=int, default=8787, help="emulator port (default 8787)")
    dev.set_defaults(handler=_dev)
