"""``khm tag`` as a table, JSON, JSONL or CSV: the changes of a rule run or a manual tag,
the manual tags kept, the matrix of accounts by type × category; the tag history.

The JSON is the ``tag_run`` envelope, its ``changes`` streamed item by item; ``--format
jsonl`` writes one change per line and no envelope."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any

from khm.core.constants import CATEGORIES
from khm.render.cells import Column

if TYPE_CHECKING:
    from rich.console import Console

    from khm.core.tagresult import FieldChange, HistoryResult, TagResult

#: a terminal shows this many changes (and manual tags kept); the other formats list all
TABLE_LIMIT = 200
CHANGE_FIELDS = ("account", "name", "field", "old", "new", "rule", "reason")


def _change_rows(changes: Iterable[FieldChange]) -> Iterator[dict[str, Any]]:
    for c in changes:
        yield {
            "account": c.account,
            "name": c.name,
            "field": c.field,
            "old": c.old,
            "new": c.new,
            "change": f"{c.old or '-'} → {c.new}",
            "rule": c.rule,
            "reason": c.reason,
        }


def _table_rows(changes: list[FieldChange]) -> Iterator[dict[str, Any]]:
    """The rows a terminal shows, then a blank per change past :data:`TABLE_LIMIT`:
    :func:`~khm.render.table.print_table` only counts those, so they are not built."""
    yield from _change_rows(changes[:TABLE_LIMIT])
    yield from repeat({}, max(len(changes) - TABLE_LIMIT, 0))


def write_run(res: TagResult, fmt: str, out: IO[str] | None = None) -> None:
    """A rule run or a manual tag in ``fmt`` (table, json, jsonl, csv)."""
    from khm.render import json as j
    from khm.render.table import write_csv

    out = out or sys.stdout
    if fmt == "json":
        # FieldChange's fields are the JSON keys of a change, in order: orjson writes it
        j.write_list(
            out,
            j.envelope(
                "tag_run",
                dry_run=res.dry_run,
                today=res.today,
                summary=res.summary,
                counts=res.counts,
                count=len(res.changes),
            ),
            res.changes,
            key="changes",
            count_key=None,
            tail={
                "manual_kept": [
                    {
                        "account": m.account,
                        "name": m.name,
                        "field": m.field,
                        "value": m.value,
                        "rule_value": m.rule_value,
                        "note": m.note,
                        "rule": m.rule,
                        "reason": m.reason,
                    }
                    for m in res.manual_kept
                ],
                "no_metric": [{"account": k, "name": n} for k, n in res.no_metric],
            },
        )
    elif fmt == "jsonl":
        j.write_jsonl(out, res.changes)
    elif fmt == "csv":
        write_csv(_change_rows(res.changes), [Column(k) for k in CHANGE_FIELDS], out)
    else:
        from khm.render.table import get_console

        console = get_console(file=out)
        if res.rule == "manual":
            _print_manual(console, res)
        else:
            _print_run(console, res)


def _print_run(c: Console, res: TagResult) -> None:
    from rich.markup import escape

    from khm.render.table import print_table

    head = "Would change" if res.dry_run else "Changed"
    if res.changes:
        print_table(
            c,
            _table_rows(res.changes),
            [
                Column("account"),
                Column("name", optional=1),
                Column("field"),
                Column("change", "old → new"),
                Column("rule"),
            ],
            title=f"{head}: {len(res.changes)} field(s) on {res.changed_accounts} account(s)",
            limit=TABLE_LIMIT,
            what="changes",
        )
    else:
        c.print("No changes: every account already has the tags the rules give.")
    if res.manual_kept:
        print_table(
            c,
            (
                {
                    "account": m.account,
                    "field": m.field,
                    "value": m.value,
                    "note": m.note,
                    "rule": m.rule,
                    "reason": m.reason,
                }
                for m in res.manual_kept
            ),
            [
                Column("account"),
                Column("field"),
                Column("value", "manual"),
                Column("note"),
                Column("rule", "rule's reason"),
                Column("reason", "manual reason"),
            ],
            title="Manual tags kept (khm tag --reset-manual gives them back to the rules)",
            limit=TABLE_LIMIT,
            what="manual tags",
        )
    _print_matrix(c, res)
    s = res.summary
    by_field = ", ".join(f"{n} {f}" for f, n in s["changes_by_field"].items()) or "none"
    c.print(
        f"{s['accounts']} active account(s); {s['changes']} change(s) ({escape(by_field)}) on "
        f"{s['changed_accounts']} account(s); {s['manual_kept']} manual tag(s) kept"
        + (f", {s['manual_differs']} differ from the rule" if s["manual_differs"] else "")
        + (f"; {s['manual_reset']} manual tag(s) reset" if s["manual_reset"] else "")
        + "."
    )
    for note in res.notes:
        c.print(f"note: {escape(note)}")
    singles = s.get("single_account_groups", 0)
    if singles:
        by = " × ".join(s.get("group_by", [])) or "all"
        c.print(
            f"ABC within {s['groups']} group(s) by {escape(by)}: {singles} hold a single "
            "account, which is A on its own (a coarser categories.group_by, e.g. "
            '["country"] or [], ranks them against more accounts).'
        )
    merged = s.get("merged_groups") or {}
    if merged:
        shown = ", ".join(f"{g} → {w}" for g, w in list(merged.items())[:20])
        more = f" and {len(merged) - 20} more" if len(merged) > 20 else ""
        c.print(
            f"{len(merged)} group(s) under categories.min_group = {s['min_group']} account(s) "
            f"ranked within a wider one: {escape(shown)}{more}"
        )
    if res.no_metric:
        keys = ", ".join(k for k, _ in res.no_metric[:20])
        more = f" and {len(res.no_metric) - 20} more" if len(res.no_metric) > 20 else ""
        c.print(
            f"{len(res.no_metric)} account(s) without {escape(res.metric)} got the fallback "
            f"category: {escape(keys)}{more}"
        )
    if res.dry_run:
        c.print("Dry run: nothing written.")


def _print_matrix(c: Console, res: TagResult) -> None:
    """Accounts per type × category, with totals."""
    from khm.render.table import rich_table

    cats = CATEGORIES
    matrix: list[dict[str, Any]] = [
        {"type": t, **per, "total": sum(per.values())} for t, per in res.counts.items()
    ]
    totals: dict[str, Any] = {"type": "total"}
    for cat in cats:
        totals[cat] = sum(res.counts[t][cat] for t in res.counts)
    totals["total"] = sum(totals[cat] for cat in cats)
    matrix.append(totals)
    c.print(
        rich_table(
            matrix,
            [Column("type")] + [Column(x, justify="right") for x in (*cats, "total")],
            title=f"Accounts by type × category{' (after the run)' if res.dry_run else ''}",
        )
    )


def _print_manual(c: Console, res: TagResult) -> None:
    from rich.markup import escape

    from khm.render.table import rich_table

    m = res.summary["manual"]
    if res.changes:
        c.print(
            rich_table(
                list(_change_rows(res.changes)),
                [Column("account"), Column("name"), Column("field"), Column("change", "old → new")],
                title=("Would change" if res.dry_run else "Changed") + " by hand",
            )
        )
    pinned = [f for f in ("type", "category") if m[f"{f}_manual"]]
    values = ", ".join(f"{f} {m[f]}" for f in pinned)
    verb = "would be" if res.dry_run else "is"
    c.print(
        f"{escape(m['account'])}: {escape(values)} {verb} a manual tag "
        f"(reason: {escape(m['reason'])}); rule runs keep it until "
        f"'khm tag {escape(m['account'])} --reset-manual'."
    )
    if not res.changes:
        c.print("The values were already these; they are now kept as manual tags.")
    if res.dry_run:
        c.print("Dry run: nothing written.")


HISTORY_COLUMNS = (
    Column("changed_at", "when"),
    Column("account"),
    Column("name"),
    Column("field"),
    Column("old"),
    Column("new"),
    Column("who"),
    Column("reason"),
    Column("rule"),
)


def write_history(res: HistoryResult, fmt: str, out: IO[str] | None = None) -> None:
    """The tag changes of a period in ``fmt`` (table, json, jsonl, csv), streamed."""
    from khm.render.table import emit_rows

    rows = (
        {
            "changed_at": r.changed_at,
            "account": r.account,
            "name": r.name,
            "field": r.field,
            "old": r.old,
            "new": r.new,
            "who": r.who,
            "reason": r.reason,
            "rule": r.rule,
        }
        for r in res.rows
    )
    emit_rows(
        rows,
        HISTORY_COLUMNS,
        fmt,
        kind="tag_changes",
        title=f"Tag changes, {res.label}",
        json_extra={"period": {"start": res.start, "end": res.end, "label": res.label}},
        out=out,
    )
