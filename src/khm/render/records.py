"""Accounts, reps and touches for people and scripts: the list columns, the one-line
results of add/edit/archive/log/delete, and the ``show`` views.

Lists are streamed (:func:`khm.render.emit_rows`): table (row-limited), CSV, JSON (the
versioned envelope, ``count`` after the items) and JSONL. A JSON item is the record's
``as_dict()``; a table or CSV row is one of the ``*_row`` functions below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from khm.render.cells import Column

if TYPE_CHECKING:
    from khm.core.records import (
        AccountDetail,
        AccountRecord,
        LoggedTouch,
        RepDetail,
        RepRecord,
        TouchRecord,
    )

ACCOUNT_COLUMNS = (
    Column("key"),
    Column("name"),
    Column("country"),
    Column("product_lines", "product lines", optional=3),
    Column("revenue", justify="right"),
    Column("employees", justify="right", optional=4),
    Column("type"),
    Column("category"),
    Column("owner"),
    Column("stage", optional=5),
)
REP_COLUMNS = (
    Column("handle"),
    Column("name"),
    Column("email", optional=2),
    Column("role"),
    Column("capacity", justify="right"),
    Column("active", optional=1),
    Column("accounts", justify="right"),
    Column("away"),
)
TOUCH_COLUMNS = (
    Column("id", justify="right"),
    Column("date"),
    Column("account"),
    Column("account_name", "account name", optional=2),
    Column("kind"),
    Column("rep"),
    Column("note"),
    Column("source", optional=1),
)


def _json(doc: Any, out: IO[str] | None = None) -> None:
    import sys

    from khm.render import json as j

    j.write(out or sys.stdout, doc)


def _emit_list(
    records: Iterable[Any],
    fmt: str,
    kind: str,
    columns: tuple[Column, ...],
    row: Callable[[Any], dict[str, Any]],
    out: IO[str] | None,
) -> int:
    from khm.render.table import emit_rows

    shape = (lambda r: r.as_dict()) if fmt in ("json", "jsonl") else row
    return emit_rows(map(shape, records), columns, fmt, kind=kind, out=out)


# --------------------------------------------------------------------------- accounts


def account_row(a: AccountRecord) -> dict[str, Any]:
    """The list columns of an account, for tables and CSV."""
    return {
        "key": a.key,
        "name": a.name,
        "country": a.country,
        "product_lines": a.product_lines,
        "revenue": a.revenue,
        "employees": a.employees,
        "type": a.type,
        "category": a.category,
        "owner": a.owner,
        "stage": a.lifecycle_stage,
    }


def account_list(records: Iterable[AccountRecord], fmt: str, out: IO[str] | None = None) -> int:
    return _emit_list(records, fmt, "accounts", ACCOUNT_COLUMNS, account_row, out)


def account_result(
    rec: AccountRecord, fmt: str, headline: str, changes: list[str] | None = None
) -> None:
    """What ``account add/edit/archive`` print: the account in JSON, or one line."""
    if fmt == "json":
        from khm.render.json import envelope

        payload: dict[str, Any] = {"account": rec.as_dict()}
        if changes is not None:
            payload["changes"] = changes
        _json(envelope("account", **payload))
        return
    from rich.markup import escape

    from khm.render.table import get_console

    c = get_console()
    c.print(f"{headline} {escape(rec.key)} ({escape(rec.name)})")
    for line in changes or []:
        c.print(f"  {escape(line)}")


def account_edited(rec: AccountRecord, fmt: str, changes: list[str]) -> None:
    account_result(rec, fmt, "Updated account" if changes else "No change to account", changes)


def account_archived(rec: AccountRecord, fmt: str, *, changed: bool, undo: bool) -> None:
    if undo:
        headline = "Restored account" if changed else "Account is not archived:"
    else:
        headline = "Archived account" if changed else "Account is already archived:"
    account_result(rec, fmt, headline)


def _num(v: Any) -> str:
    from khm.render.cells import text_value

    return text_value(v) if v is not None else "-"


def account_detail(d: AccountDetail, fmt: str) -> None:
    """``account show``: fields, owner, tag, what is due, recent touches, tag history."""
    if fmt == "json":
        from khm.render.json import envelope

        _json(envelope("account_detail", **d.as_dict()))
        return
    from rich.markup import escape

    from khm.render.cells import text_value
    from khm.render.table import get_console, rich_table

    a = d.account
    c = get_console()
    e = escape
    c.print(f"[bold]{e(a.key)}[/bold] — {e(a.name)}" + ("  (ARCHIVED)" if a.archived else ""))
    owner = "-"
    if a.owner:
        owner = a.owner + (f" ({d.owner_name})" if d.owner_name else "")
        if d.owner_active is False:
            owner += " [inactive]"
    if a.type is None or a.category is None:
        tag = "not tagged yet (run khm tag)"
    else:
        tag = f"{a.type} {a.category}"
        manual = [f for f, m in (("type", a.type_manual), ("category", a.category_manual)) if m]
        if manual:
            tag += f"  (manual {' and '.join(manual)}"
            tag += f": {a.manual_reason})" if a.manual_reason else ")"
        if a.tagged_at:
            tag += f"  since {a.tagged_at.date().isoformat()}"
    rows = [
        ("country", a.country or "-"),
        ("product lines", ", ".join(a.product_lines) or "-"),
        ("revenue", _num(a.revenue)),
        ("employees", _num(a.employees)),
        ("stage", a.lifecycle_stage or "-"),
        ("customer since", a.customer_since.isoformat() if a.customer_since else "-"),
        ("owner", owner),
        ("type/category", tag),
        ("created", text_value(a.created_at)),
        ("updated", text_value(a.updated_at)),
    ]
    for k, v in sorted(a.custom.items()):
        rows.append((k, _num(v)))
    for k, v in sorted(a.text.items()):
        rows.append((k, v))
    width = max(len(k) for k, _ in rows) + 2
    for k, v in rows:
        c.print(f"  {e(k + ':'):<{width}}{e(v)}")

    c.print()
    if not d.tagged:
        c.print("Activities: not tagged yet (run khm tag)")
    elif not d.schedule:
        c.print(f"Activities: the method has no cadence for {a.type} {a.category}")
    else:
        rows_s = [
            {
                "kind": s.kind,
                "mode": s.mode,
                "interval": s.interval,
                "last_touch": s.last_touch or "never",
                "next_due": s.due.isoformat() + (" (first)" if s.first else ""),
                "status": s.status_text,
            }
            for s in d.schedule
        ]
        c.print(
            rich_table(
                rows_s,
                [
                    Column("kind"),
                    Column("mode"),
                    Column("interval"),
                    Column("last_touch", "last touch"),
                    Column("next_due", "next due"),
                    Column("status"),
                ],
                title=f"Activities on {d.today.isoformat()}",
            )
        )
    c.print()
    if d.touches:
        more = (
            f" (latest {len(d.touches)} of {d.touch_count})"
            if d.touch_count > len(d.touches)
            else ""
        )
        c.print(
            rich_table(
                [t.as_dict() for t in d.touches],
                [
                    Column("id", justify="right"),
                    Column("date"),
                    Column("kind"),
                    Column("rep"),
                    Column("note"),
                ],
                title=f"Recent touches{more}",
            )
        )
    else:
        c.print("Recent touches: none")
    c.print()
    if d.deals:
        from khm.render.deals import deals_section

        c.print(deals_section(d.deals))
        c.print()
    if d.stages:
        from khm.render.stage import stage_line

        c.print("Stage history (khm stage):")
        for h in d.stages:
            c.print("  " + escape(stage_line(h)), highlight=False)
        c.print()
    if d.history:
        hist = [
            {
                "when": h.changed_at,
                "field": h.field,
                "change": f"{h.old or '-'} → {h.new or '-'}",
                "who": h.who,
                "why": "; ".join(x for x in (h.reason, h.rule) if x),
            }
            for h in d.history
        ]
        c.print(
            rich_table(
                hist,
                [
                    Column("when"),
                    Column("field"),
                    Column("change"),
                    Column("who"),
                    Column("why", "reason / rule"),
                ],
                title="Tag history",
            )
        )
    else:
        c.print("Tag history: none")


# --------------------------------------------------------------------------- reps


def rep_row(r: RepRecord) -> dict[str, Any]:
    """The list columns of a rep, for tables and CSV (its JSON item has the same keys;
    ``away`` is the absences as text there, ``7–11 Dec``)."""
    from khm.render.absence import away_text

    return {**r.as_dict(), "away": away_text(r.away)}


def rep_list(records: Iterable[RepRecord], fmt: str, out: IO[str] | None = None) -> int:
    return _emit_list(records, fmt, "reps", REP_COLUMNS, rep_row, out)


def rep_result(rec: RepRecord, fmt: str, headline: str, notes: list[str] | None = None) -> None:
    """What ``rep add/edit`` print: the rep in JSON, or one line and the changes."""
    if fmt == "json":
        from khm.render.json import envelope

        payload: dict[str, Any] = {"rep": rec.as_dict()}
        if notes is not None:
            payload["changes"] = notes
        _json(envelope("rep", **payload))
        return
    from rich.markup import escape

    from khm.render.cells import text_value
    from khm.render.table import get_console

    c = get_console()
    name = f" ({escape(rec.name)})" if rec.name else ""
    c.print(
        f"{headline} {escape(rec.handle)}{name}: role {rec.role}, "
        f"capacity {text_value(rec.capacity)}" + ("" if rec.active else ", inactive")
    )
    for n in notes or []:
        c.print(f"  {escape(n)}")


def _away_lines(r: RepRecord) -> str:
    """The current and upcoming absences, with their reasons, or ``-``."""
    from khm.render.absence import away_text

    return ", ".join(away_text([a]) + (f" ({a.reason})" if a.reason else "") for a in r.away) or "-"


def rep_detail(d: RepDetail, fmt: str) -> None:
    """``rep show``: the rep, its accounts by type × category, its recent touches."""
    if fmt == "json":
        from khm.render.json import envelope

        _json(envelope("rep_detail", **d.as_dict()))
        return
    from rich.markup import escape

    from khm.render.cells import text_value
    from khm.render.table import get_console, rich_table

    r = d.rep
    c = get_console()
    c.print(f"[bold]{escape(r.handle)}[/bold] — {escape(r.name or '-')}")
    for k, v in (
        ("email", r.email or "-"),
        ("role", r.role),
        ("capacity", f"{text_value(r.capacity)} effort units a week"),
        ("active", "yes" if r.active else "no"),
        ("away", _away_lines(r)),
        ("accounts", str(d.total)),
        (
            "touches",
            f"{d.touches_recent} in the last {d.recent_days} days"
            + (f", last on {d.last_touch.isoformat()}" if d.last_touch else ""),
        ),
    ):
        c.print(f"  {k + ':':<10}{escape(v)}")
    if not d.counts:
        c.print("\nOwns no active accounts.")
        return
    types = sorted({t for t, _ in d.counts}, key=lambda t: {"expand": 0, "keep": 1}.get(t or "", 2))
    cats = sorted({cat for _, cat in d.counts}, key=lambda x: (x is None, x or ""))
    rows = []
    for t in types:
        row: dict[str, Any] = {"type": t or "untagged"}
        for cat in cats:
            row[cat or "untagged"] = d.counts.get((t, cat), 0)
        row["total"] = sum(n for (tt, _), n in d.counts.items() if tt == t)
        rows.append(row)
    columns = [Column("type")]
    columns += [Column(cat or "untagged", justify="right") for cat in cats]
    columns.append(Column("total", justify="right"))
    c.print()
    c.print(rich_table(rows, columns, title="Accounts by type × category"))


# --------------------------------------------------------------------------- touches


def touch_row(t: TouchRecord) -> dict[str, Any]:
    """The list columns of a touch, for tables and CSV (its JSON item has the same keys)."""
    return t.as_dict()


def touch_list(records: Iterable[TouchRecord], fmt: str, out: IO[str] | None = None) -> int:
    return _emit_list(records, fmt, "touches", TOUCH_COLUMNS, touch_row, out)


def touch_deleted(rec: TouchRecord, fmt: str) -> None:
    if fmt == "json":
        from khm.render.json import envelope

        _json(envelope("touch_deleted", touch=rec.as_dict()))
        return
    from rich.markup import escape

    from khm.render.table import get_console

    get_console().print(
        f"Deleted {escape(rec.kind)} #{rec.id} on {rec.date.isoformat()} with "
        f"{escape(rec.account)} ({escape(rec.account_name)})"
    )


def touch_logged(res: LoggedTouch, today: date, fmt: str) -> None:
    """``khm log``: the touch, and when that activity (and the kinds it covers) is due next."""
    if fmt == "json":
        from khm.render.json import envelope

        _json(envelope("touch_logged", today=today, **res.as_dict()))
        return
    from rich.markup import escape

    from khm.render.table import get_console

    t, a = res.touch, res.account
    c = get_console()
    who = f" by {escape(t.rep)}" if t.rep else " (no rep)"
    c.print(
        f"Logged {escape(t.kind)} #{t.id} on {t.date.isoformat()} with "
        f"{escape(a.key)} ({escape(a.name)}){who}"
    )
    if t.note:
        c.print(f"  note: {escape(t.note)}")
    if res.same_day:
        ids = ", ".join(f"#{i}" for i in res.same_day)
        c.print(
            f"Note: {escape(t.kind)} was already logged for this account on that date ({ids}); "
            "remove a double with 'khm touch delete ID'"
        )
    if a.type is None or a.category is None:
        c.print("Next due: not tagged yet (run khm tag)")
        return
    if not res.in_cadence:
        c.print(f"Note: {escape(t.kind)} is not in the cadence of {a.type} {a.category}")
    for d in res.next_due:
        status = "" if d.status == "ok" else f" ({d.status_text} on {today.isoformat()})"
        c.print(f"Next {escape(d.kind)} due {d.due.isoformat()} (cadence {d.interval}){status}")
