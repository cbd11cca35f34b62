"""The small exception hierarchy and the named exit codes.

Expected problems raise a :class:`KhmError` subclass; the CLI's single exit point
(:mod:`khm.cli.main`) turns it into one line on stderr (or a JSON error envelope when
JSON output was asked for) and the matching exit code. Anything else is a bug and is
raised loudly (set ``KHM_RAISE_ERRORS=1`` to see tracebacks for expected errors too).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every ``khm`` command (documented in docs/cli.md)."""

    OK = 0
    UNEXPECTED = 1  # a bug: please report it
    USAGE = 2  # bad command line (unknown option, bad argument value)
    BAD_INPUT = 3  # a file, row or field that cannot be read
    BAD_METHOD = 4  # the method file is invalid
    NOT_FOUND = 5  # an account, rep or touch that does not exist
    DATABASE = 6  # the database cannot be opened or migrated
    CONFLICT = 7  # the request contradicts the data (duplicate key, no rep of a role, ...)
    BELOW_THRESHOLD = 8  # a report's coverage is under --fail-under
    MAIL_FAILED = 9  # khm weekly --mail: one or more reps' messages were not sent


class KhmError(Exception):
    """An expected error: a clean message and an exit code."""

    exit_code: ExitCode = ExitCode.UNEXPECTED
    kind: str = "error"

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return self.message


class UsageError(KhmError):
    exit_code = ExitCode.USAGE
    kind = "usage"


class InputError(KhmError):
    """Bad input data: names the file, row/line and field where it can."""

    exit_code = ExitCode.BAD_INPUT
    kind = "bad_input"


class MethodError(KhmError):
    """The method file is invalid: names the file and the key."""

    exit_code = ExitCode.BAD_METHOD
    kind = "bad_method"


class NotFoundError(KhmError):
    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class DatabaseError(KhmError):
    exit_code = ExitCode.DATABASE
    kind = "database"


class ConflictError(KhmError):
    exit_code = ExitCode.CONFLICT
    kind = "conflict"


class BelowThresholdError(KhmError):
    exit_code = ExitCode.BELOW_THRESHOLD
    kind = "below_threshold"


class MailError(KhmError):
    """``khm weekly --mail``: some messages were not sent (the others were)."""

    exit_code = ExitCode.MAIL_FAILED
    kind = "mail_failed"
