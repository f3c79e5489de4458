"""`python -m ac_export.emulator`: the same as `ac-export emulator`."""

from __future__ import annotations

import argparse
import sys

from ac_export.emulator.commands import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    """Parse the emulator's flags and run it."""
    parser = argparse.ArgumentParser(
        prog="python -m ac_export.emulator", description="Run the local ActiveCampaign API v3 emulator."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
