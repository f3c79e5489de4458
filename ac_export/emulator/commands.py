"""The `ac-export emulator` sub-command (also `python -m ac_export.emulator`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from ac_export.emulator.entities import FIELD_TYPES
from ac_export.emulator.knobs import FAULT_KINDS, KnobError, Knobs, parse_fault_kinds
from ac_export.emulator.readings import READINGS, Readings
from ac_export.emulator.runtime import Emulator, StartupSpec
from ac_export.emulator.snapshot import SnapshotError

API_KEYS_ENV = "AC_EMULATOR_API_KEYS"


class UsageError(ValueError):
    """A start-up option the user must fix."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's flags (their names are a contract for tests and the demo)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 picks a free one)")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help=f"an accepted Api-Token (repeatable); also ${API_KEYS_ENV}, comma-separated",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="divide every rate window and delay by X (60: a minute lasts a second)",
    )
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="turn off the 5/s and bulk import limits"
    )
    parser.add_argument(
        "--processing-delay",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="how long a bulk import batch takes to complete (default 0.2)",
    )
    parser.add_argument(
        "--contact-limit",
        type=int,
        default=None,
        metavar="N",
        help="the plan's contact limit; bulk imports refuse new contacts beyond it",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="FILE",
        help="persist the account in this JSON file across restarts (in memory otherwise)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="probability that an API request fails (500, 503, 429, drop, slow)",
    )
    parser.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        metavar="KINDS",
        help=f"comma-separated faults to pick among (default {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--slow-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="delay of a 'slow' fault (default 1.0)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay added to every API request (default 0)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the fault sequence, for reproducible runs"
    )
    parser.add_argument(
        "--list",
        action="append",
        default=[],
        metavar="NAME",
        dest="lists",
        help="create this list at start (repeatable; ids 1, 2, … in order)",
    )
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="PERSTAG[:TYPE]",
        dest="fields",
        help="create this custom field at start, available on every list (repeatable; type defaults to text)",
    )
    _add_reading_arguments(parser)


def _add_reading_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per ambiguous point of ActiveCampaign's documentation (see readings.py)."""
    group = parser.add_argument_group("readings", "where ActiveCampaign's documentation is ambiguous")
    for reading in READINGS:
        group.add_argument(
            reading.flag,
            dest=reading.name,
            type=type(reading.default),
            choices=reading.choices,
            default=reading.default,
            help=f"default {reading.default}: {reading.source}",
        )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `emulator` sub-command to `ac-export`."""
    parser = subparsers.add_parser(
        "emulator",
        help="run the local ActiveCampaign API v3 emulator",
        description="A local emulator of the ActiveCampaign API v3 parts ac_export uses.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def startup_spec(args: argparse.Namespace) -> StartupSpec:
    """The validated start-up specification, or UsageError naming the flag to fix."""
    keys = [*args.api_key, *os.environ.get(API_KEYS_ENV, "").split(",")]
    api_keys = tuple(dict.fromkeys(key.strip() for key in keys if key.strip()))
    if not api_keys:
        raise UsageError(f"no API key: pass --api-key KEY or set {API_KEYS_ENV}=key1,key2")
    knobs = Knobs(
        time_scale=args.time_scale,
        rate_limit=not args.no_rate_limit,
        processing_delay=args.processing_delay,
        contact_limit=args.contact_limit,
        fault_rate=args.fault_rate,
        fault_kinds=parse_fault_kinds(args.fault_kinds),
        slow_delay=args.slow_delay,
        latency=args.latency,
        seed=args.seed,
        readings=Readings(**{reading.name: getattr(args, reading.name) for reading in READINGS}),
    )
    try:
        knobs.validate()
    except KnobError as exc:
        raise UsageError(str(exc).replace("_", "-", 1)) from None
    return StartupSpec(
        api_keys, knobs, tuple(args.lists), tuple(_field_spec(text) for text in args.fields), args.state
    )


def _field_spec(text: str) -> tuple[str, str]:
    """(PERSTAG, type) from `--field PERSTAG[:type]`."""
    perstag, _, field_type = text.partition(":")
    field_type = field_type or "text"
    if not perstag.strip() or field_type not in FIELD_TYPES:
        raise UsageError(
            f"--field {text!r}: expected PERSTAG[:TYPE] with TYPE one of {', '.join(FIELD_TYPES)}"
        )
    return perstag.strip().upper(), field_type


def run(args: argparse.Namespace) -> int:
    """Start the emulator and serve until interrupted; user errors exit 2 with one line on stderr."""
    from ac_export.emulator.server import bind, serve

    try:
        emulator = Emulator(startup_spec(args))
        sock = bind(args.host, args.port)
    except (UsageError, SnapshotError) as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    # Ctrl-C is the normal way to stop; the state file is written during the graceful shutdown.
    with contextlib.suppress(KeyboardInterrupt):
        serve(emulator, sock)
    return 0


def _usage_error(message: str) -> int:
    print(f"ac-export emulator: {message}", file=sys.stderr)
    return 2
