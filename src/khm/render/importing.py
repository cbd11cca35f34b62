"""What ``khm import`` shows: a progress bar on stderr for large files, and the import's
report (counts, the column mapping, warnings and bad rows; JSON when asked)."""

from __future__ import annotations

import sys
from typing import Any


def _echo(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout)


class ImportProgress:
    """A progress bar on stderr for large files, only when stderr is a terminal."""

    THRESHOLD = 5000

    def __init__(self, label: str) -> None:
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int, label: str = "") -> None:
        if self._progress is not None:  # a new phase: reuse the bar
            self._progress.update(
                self._task, total=total, completed=0, description=label or self.label
            )
            return
        if total < self.THRESHOLD or not sys.stderr.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from khm.render import get_console

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=get_console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(label or self.label, total=total)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def write_import_report(report: Any, fmt: str) -> None:
    """What an import did (or would do, with --dry-run): counts, mapping, warnings, bad rows."""
    if fmt == "json":
        from khm.render import json as j

        j.write(sys.stdout, j.envelope("import", **report.as_dict()))
        return
    verb = "Would import" if report.dry_run else "Imported"
    _echo(
        f"{verb} {report.entity} from {report.path} ({report.encoding}, "
        f"{report.delimiter}-separated, {report.rows} rows)"
    )
    mapping = ", ".join(
        f"{f} = {col[1:]!r} (--set)" if col.startswith("=") else f"{f} ← {col}"
        for f, col in report.mapping.items()
    )
    _echo(f"  fields: {mapping}")
    if report.ignored_columns:
        _echo(f"  ignored columns: {_bounded(report.ignored_columns)}")
    _echo(
        f"  inserted {report.inserted}, updated {report.updated}, "
        f"unchanged {report.unchanged}, bad {report.bad}"
    )
    if report.dry_run:
        _echo("  dry run: nothing was written")
    for w in report.warnings[:20]:
        _echo(f"Warning: {w}", err=True)
    if len(report.warnings) > 20:
        _echo(f"Warning: ... and {len(report.warnings) - 20} more warnings", err=True)
    if report.bad:
        what = "would be skipped" if report.dry_run else "skipped"
        _echo(f"{report.bad} bad row{'s' if report.bad != 1 else ''} {what}:", err=True)
        from khm.render.problems import problem_lines

        for p in problem_lines(report.problems):
            _echo(f"  {p}", err=True)


#: how many names a list in the summary shows, and how much of each
LISTED, NAME_CHARS = 20, 60


def _bounded(names: list[str]) -> str:
    """``a, b, ... and 999980 more``: a file of a million columns prints one short line."""
    shown = [n if len(n) <= NAME_CHARS else n[: NAME_CHARS - 1] + "…" for n in names[:LISTED]]
    more = f" ... and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return ", ".join(shown) + more


def write_batches(batches: list[Any], fmt: str) -> None:
    """``khm import list``: id, time, file, kind and counts of every import batch."""
    from khm.render import json as j

    items = [b.as_dict() for b in batches]
    if fmt == "json":
        j.write_list(sys.stdout, j.envelope("import_batches"), items)
        return
    if fmt == "jsonl":
        j.write_jsonl(sys.stdout, items)
        return
    if not items:
        _echo("No imports yet.")
        return
    from rich.markup import escape
    from rich.table import Table

    from khm.render import get_console

    table = Table(box=None, pad_edge=False)
    for name in ("id", "time", "kind", "file", "inserted", "updated", "unchanged", "skipped"):
        table.add_column(name, justify="right" if name not in ("time", "kind", "file") else "left")
    table.add_column("undone")
    for it in items:
        table.add_row(
            *(escape(str(it[c])) for c in ("id", "time", "kind", "file")),
            *(str(it[c]) for c in ("inserted", "updated", "unchanged", "skipped")),
            it["undone"] or "",
        )
    get_console().print(table)


def write_undo(result: Any, fmt: str) -> None:
    """``khm import undo ID``: what was reverted."""
    if fmt == "json":
        from khm.render import json as j

        j.write(sys.stdout, j.envelope("import_undo", **result.as_dict()))
        return
    b = result.batch
    _echo(
        f"Undid import batch {b.id} ({b.kind} from {b.file}): {result.deleted} row(s) it "
        f"inserted removed, {result.restored} row(s) it updated restored"
        + (
            f", {result.dependents} dependent row(s) dropped or emptied"
            if result.dependents
            else ""
        )
        + "."
    )
