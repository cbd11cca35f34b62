"""What every command shares: the context object (database and method, opened lazily),
the reusable options (``--format``, ``--today``, ``--week``) and small parsers.

Nothing heavy is imported at module level: ``khm --help`` must stay fast.
"""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.errors import UsageError

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store

METHOD_ENV = "KHM_METHOD"

_output_format: contextvars.ContextVar[str] = contextvars.ContextVar(
    "khm_output_format", default="table"
)


def set_output_format(fmt: str) -> None:
    """The format this command writes; an expected error is written as JSON when "json"."""
    _output_format.set(fmt)


def output_format() -> str:
    return _output_format.get()


TODAY_ENV = "KHM_TODAY"


@dataclass
class KhmContext:
    """Global options, and the database and method opened on first use."""

    db: str | None = None
    method_path: Path | None = None
    #: keep the method version this command runs with (khm.services.history) once both
    #: the database and the method are open; off for reports, which read the history
    record_method: bool = True
    _store: Store | None = field(default=None, repr=False)
    _method: Method | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        from khm.store.db import resolve_url

        return resolve_url(self.db)

    def store(self, *, create: bool = False) -> Store:
        """The database, opened on first use. Only ``init``, ``demo`` and ``import`` pass
        ``create``: any other command given a missing database fails (exit DATABASE)."""
        if self._store is None:
            from khm.store.db import open_store

            self._store = open_store(self.url, create=create)
            if self._method is not None:
                self._record()
        return self._store

    def resolved_method_path(self) -> Path | None:
        """``--method``, else ``KHM_METHOD``, else ``method.toml`` in the config dir if it exists."""
        if self.method_path is not None:
            return self.method_path
        env = os.environ.get(METHOD_ENV)
        if env:
            return Path(env)
        default = default_method_path()
        return default if default.exists() else None

    def method(self) -> Method:
        if self._method is None:
            from khm.method import load_method

            self._method = load_method(self.resolved_method_path())
            if self._store is not None:
                self._record()
        return self._method

    def _record(self) -> None:
        if self.record_method and self._store is not None and self._method is not None:
            from khm.services.history import record_method

            record_method(self._store, self._method)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


def config_dir() -> Path:
    import platformdirs

    return Path(
        os.environ.get("KHM_CONFIG_DIR") or platformdirs.user_config_dir("khm", appauthor=False)
    )


def default_method_path() -> Path:
    return config_dir() / "method.toml"


def kctx(ctx: typer.Context) -> KhmContext:
    """The :class:`KhmContext` of the root command (created if a command runs alone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, KhmContext):
        root.obj = KhmContext()
        root.call_on_close(root.obj.close)
    return root.obj


# --------------------------------------------------------------------------- options

TABLE_FORMATS = ("table", "json", "csv")
#: the formats of a command that lists records (streamed: JSON, JSONL and CSV)
LIST_FORMATS = ("table", "json", "jsonl", "csv")


def _format_callback(allowed: tuple[str, ...]) -> Any:
    def cb(ctx: typer.Context, value: str) -> str:
        v = (value or "table").lower()
        if v == "md":
            v = "markdown"
        if v not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        set_output_format(v)
        return v

    return cb


def format_option(allowed: tuple[str, ...] = TABLE_FORMATS, default: str = "table") -> Any:
    """``--format/-f`` limited to ``allowed``; JSON errors follow when json is chosen."""
    return typer.Option(
        default,
        "--format",
        "-f",
        help=f"Output format: {', '.join(allowed)}.",
        callback=_format_callback(allowed),
        show_default=True,
    )


_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def parse_date(value: str, what: str = "date", today: date | None = None) -> date:
    """A date as the import reads one (:func:`khm.io.parse.parse_date`: 2026-11-23,
    23.11.2026, 23/11/2026, 20261123, 23 Nov 2026), or the words today / yesterday /
    tomorrow, relative to ``today`` (the command's ``--today``; by default KHM_TODAY, else
    the clock)."""
    from datetime import timedelta

    from khm.io.parse import CellError
    from khm.io.parse import parse_date as read_date

    word = value.strip().lower()
    if word in _RELATIVE_DAYS:
        base = today if today is not None else resolve_today(None)
        return base + timedelta(days=_RELATIVE_DAYS[word])
    try:
        return read_date(value.strip())
    except CellError as exc:
        raise UsageError(f"{what}: {exc}") from None


def resolve_today(value: str | None) -> date:
    """``--today``, else ``KHM_TODAY``, else the clock. The core never reads the clock."""
    raw = value or os.environ.get(TODAY_ENV)
    if raw:
        return parse_date(raw, "--today", today=date.today())
    return date.today()


WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="FIELD=TEXT",
        help="Only accounts whose text field FIELD (imported with --map text.FIELD=COLUMN) is "
        "TEXT, any case, or whose numeric field compares so (revenue, employees, nps or a "
        "custom field; == != < <= > >=) (repeatable: all must hold), e.g. --where "
        "sector=Energy, --where 'nps<=6'.",
        show_default=False,
    ),
]
TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="Act as if today were this date (YYYY-MM-DD); also KHM_TODAY. Default: the clock.",
        show_default=False,
    ),
]


def confirm(question: str, what: str) -> bool:
    """``typer.confirm`` on stderr; no answer (stdin closed, as under cron) is a usage
    error naming ``--yes`` (exit 2), not click's "Aborted." with the code for a bug."""
    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort:
        typer.echo("", err=True)
        raise UsageError(
            f"{what}: no answer to the question (stdin is closed); pass --yes to go ahead "
            "without asking"
        ) from None
