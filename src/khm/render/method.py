"""``khm method check`` as a table or JSON: the method's summary
(:func:`khm.core.methodsummary.summarise`)."""

from __future__ import annotations

import sys
from typing import IO, Any

from khm.render.cells import Column


def write_check(source: str, summary: dict[str, Any], fmt: str, out: IO[str] | None = None) -> None:
    """The summary of the method read from ``source`` in ``fmt`` (table, json)."""
    out = out or sys.stdout
    if fmt == "json":
        from khm.render import json as j

        j.write(out, j.envelope("method_check", source=source, valid=True, **summary))
        return
    _print_check(source, summary, out)


def _print_check(source: str, s: dict[str, Any], out: IO[str]) -> None:
    from rich.markup import escape

    from khm.render.table import get_console, rich_table

    c = get_console(file=out)
    c.print(f"[green]OK[/green] {escape(source)}: {escape(s['name'])}")
    cat = s["categories"]
    c.print(
        f"categories: rule={cat['rule']} metric={escape(cat['metric'])} "
        f"group_by={','.join(cat['group_by']) or '-'} fallback={cat['fallback']} "
        f"({escape(cat['detail'])})"
    )
    c.print(
        f"types: default={s['types']['default']}; "
        f"rules: {escape('; '.join(s['types']['rules']) or '-')}"
    )
    c.print(
        rich_table(
            s["activities"],
            [
                Column("kind"),
                Column("label"),
                Column("mode"),
                Column("effort", justify="right"),
                Column("covers"),
            ],
            title="Activities",
        )
    )
    kinds = [a["kind"] for a in s["activities"]]
    rows = [
        {"cell": r["cell"], **r["intervals"], "load": r["human_effort_per_week"]}
        for r in s["cadence"]
    ]
    c.print(
        rich_table(
            rows,
            [
                Column("cell", "type/cat"),
                *[Column(k) for k in kinds],
                Column("load", "effort/week/account", justify="right"),
            ],
            title="Cadence",
        )
    )
    cal = s["calendar"]
    c.print(
        f"no-human periods: {escape(', '.join(cal['no_human_periods']) or 'none')}; "
        f"holidays: {cal['holidays']}"
    )
    c.print(
        f"grace: {s['grace']}; default capacity: {s['capacity_default']:g} effort units/week; "
        f"overload: {s['overload']}"
    )
    if s["triggers"]:
        c.print("triggers: " + escape("; ".join(s["triggers"])))


#: the columns of ``khm method history`` (table and CSV; the JSON item has them all)
HISTORY_COLUMNS = (
    Column("hash"),
    Column("first_seen_at", "first seen"),
    Column("until"),
    Column("name"),
    Column("path"),
    Column("tag_runs", "tag runs", justify="right"),
    Column("in_use", "in use"),
)


def _history_row(v: Any) -> dict[str, Any]:
    doc: dict[str, Any] = v.as_dict()
    doc["hash"] = v.short
    doc["first_seen_at"] = f"{v.first_seen_at:%Y-%m-%d %H:%M}"
    doc["until"] = f"{v.until:%Y-%m-%d %H:%M}" if v.until else ""
    doc["path"] = v.path or "(built-in)"
    doc["in_use"] = "yes" if v.in_use else ""
    return doc


def write_history(versions: list[Any], fmt: str, out: IO[str] | None = None) -> int:
    """``khm method history``: every recorded method version, oldest first."""
    from khm.render.table import emit_rows

    out = out or sys.stdout
    if not versions and fmt == "table":
        out.write(
            "No method recorded yet: khm keeps a version the first time a command runs with it.\n"
        )
        return 0
    shape = (lambda v: v.as_dict()) if fmt in ("json", "jsonl") else _history_row
    if fmt == "csv":  # full hashes and plain values in a spreadsheet

        def shape(v: Any) -> dict[str, Any]:
            return {**_history_row(v), "hash": v.hash, "in_use": v.in_use}

    return emit_rows(map(shape, versions), HISTORY_COLUMNS, fmt, kind="method_versions", out=out)
