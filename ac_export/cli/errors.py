"""The one guard every sub-command runs behind: a user's mistake (`UserError`) is one line and exit code 2."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from ac_export.errors import UserError

Handler = Callable[[argparse.Namespace], int]


class UsageError(UserError):
    """A problem with the command line or what it names, that the user must fix."""


def guarded(prefix: str) -> Callable[[Handler], Handler]:
    """Wrap a handler so that a user error prints `<prefix>: <message>` on stderr and exits with 2."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            try:
                return handler(args)
            except UserError as exc:
                print(f"{prefix}: {exc}", file=sys.stderr)
                return 2

        return run

    return wrap
