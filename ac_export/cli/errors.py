"""The one guard every sub-command runs behind: a user's mistake is one line and exit code 2."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.errors import ExportFailed, ExportStopped
from ac_export.config.loading import ConfigError
from ac_export.profiles.reading import SourceFileError
from ac_export.profiles.unify import UnifyError
from ac_export.state.backend import StateConfigError
from ac_export.state.postgres.connection import StateDatabaseError

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A problem with the command line or what it names, that the user must fix."""


# Errors that carry a message saying what to fix; anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    UsageError,
    ConfigError,
    SourceFileError,
    UnifyError,
    ActiveCampaignError,
    ExportStopped,
    ExportFailed,
    StateConfigError,
    StateDatabaseError,
)


def guarded(prefix: str) -> Callable[[Handler], Handler]:
    """Wrap a handler so that a user error prints `<prefix>: <message>` on stderr and exits with 2."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            try:
                return handler(args)
            except USER_ERRORS as exc:
                print(f"{prefix}: {exc}", file=sys.stderr)
                return 2

        return run

    return wrap
