"""``khm tag``: apply the method's type and category rules, tag by hand, show the history.

Thin: parse and check the options, call one function of :mod:`khm.services.tag`, render.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today
from khm.core.constants import CATEGORIES
from khm.errors import UsageError

if TYPE_CHECKING:
    from khm.services.tag import HistoryResult, TagResult


#: The change table shows this many rows; --format csv/json list every change.
TABLE_LIMIT = 200


def _who(who: str | None, default: str) -> str:
    return (who or default).strip() or "khm"


def _user() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "khm"


def tag(
    ctx: typer.Context,
    account: Annotated[
        str | None,
        typer.Argument(
            help="Tag this account by hand (with --type/--category and --reason), "
            "or with --reset-manual give it back to the rules.",
            show_default=False,
        ),
    ] = None,
    account_type: Annotated[
        str | None,
        typer.Option("--type", help="Manual type: expand or keep.", show_default=False),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Manual category: A, B, C or D.", show_default=False),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (required for a manual tag).", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    reset_manual: Annotated[
        bool,
        typer.Option(
            "--reset-manual",
            help="Give manually tagged accounts back to the rules (all, or ACCOUNT only).",
        ),
    ] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="List the tag changes in --period instead of tagging."),
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="With --history: 2026-W48, 2026-11, 2026-Q4, 2026, last-month, FROM..TO "
            "(default: the last 30 days).",
            show_default=False,
        ),
    ] = None,
    history_account: Annotated[
        str | None,
        typer.Option("--account", help="With --history: one account.", show_default=False),
    ] = None,
    history_field: Annotated[
        str | None,
        typer.Option(
            "--field", help="With --history: type, category or owner.", show_default=False
        ),
    ] = None,
    who: Annotated[
        str | None,
        typer.Option(
            "--who",
            help="Who tags, for the history (default: khm for rule runs, $USER by hand).",
            show_default=False,
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(),
) -> None:
    """Tag accounts expand/keep and A-D by the method's rules, or one account by hand.

    Without ACCOUNT: applies the rules to every active account and shows what changes
    (account, field, old → new, the rule that decided) and a summary. Manual tags are
    kept (shown as "manual, rule says B") unless --reset-manual. A second run right
    after changes nothing. Every change goes to the tag history (--history).

    \b
    Examples:
      khm tag --dry-run
      khm tag ACME --type expand --category A --reason "new CFO wants the suite"
      khm tag --history --period last-month --field category
    """
    from khm.services import tag as svc

    day = resolve_today(today)
    hand = account_type is not None or category is not None
    if history:
        if account or hand or reason or reset_manual or dry_run:
            raise UsageError(
                "--history lists changes: it cannot be combined with ACCOUNT, --type, "
                "--category, --reason, --reset-manual or --dry-run"
            )
        k = kctx(ctx)
        res = svc.tag_history(
            k.store(), today=day, period=period, account=history_account, field=history_field
        )
        _emit_history(res, fmt)
        return
    if period or history_account or history_field:
        raise UsageError("--period, --account and --field go with --history")
    if hand:
        if account is None:
            raise UsageError("--type/--category tag one account: give its key (khm tag KEY ...)")
        if reset_manual:
            raise UsageError("--reset-manual cannot be combined with --type/--category")
        k = kctx(ctx)
        res = svc.tag_manual(
            k.store(),
            k.method(),
            account,
            account_type=account_type,
            category=category,
            reason=reason,
            today=day,
            who=_who(who, _user()),
            dry_run=dry_run,
        )
        _emit_run(res, fmt)
        return
    if reason is not None:
        raise UsageError("--reason goes with a manual tag (--type/--category)")
    if account is not None and not reset_manual:
        raise UsageError(
            f"tag {account!r} by hand with --type/--category and --reason, "
            "or give it back to the rules with --reset-manual"
        )
    k = kctx(ctx)
    res = svc.tag_accounts(
        k.store(),
        k.method(),
        today=day,
        dry_run=dry_run,
        who=_who(who, "khm"),
        reset_manual=reset_manual,
        keys=[account] if account is not None else None,
    )
    _emit_run(res, fmt)


# --------------------------------------------------------------------------- rendering


def _change_rows(res: TagResult, limit: int | None = None) -> list[dict[str, Any]]:
    changes = res.changes if limit is None else res.changes[:limit]
    return [
        {
            "account": c.account,
            "name": c.name,
            "field": c.field,
            "old": c.old,
            "new": c.new,
            "change": f"{c.old or '-'} → {c.new}",
            "rule": c.rule,
            "reason": c.reason,
        }
        for c in changes
    ]


def _run_payload(res: TagResult, *, with_changes: bool = True) -> dict[str, Any]:
    from khm.render import envelope

    payload = envelope(
        "tag_run",
        dry_run=res.dry_run,
        today=res.today,
        summary=res.summary,
        counts=res.counts,
        count=len(res.changes),
        changes=[
            {
                "account": c.account,
                "name": c.name,
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "rule": c.rule,
                "reason": c.reason,
            }
            for c in (res.changes if with_changes else ())
        ],
        manual_kept=[
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
        no_metric=[{"account": k, "name": n} for k, n in res.no_metric],
    )
    # every value is JSON-ready but the date
    payload["today"] = res.today.isoformat() if res.today else None
    return payload


def _run_json(res: TagResult) -> str:
    """The ``tag_run`` envelope."""
    from khm.render import json_dumps

    return json_dumps(_run_payload(res)) + "\n"


def _emit_run(res: TagResult, fmt: str) -> None:
    import sys

    from khm.render import Column, write_csv

    if fmt == "json":
        sys.stdout.write(_run_json(res))
        return
    if fmt == "csv":
        rows = _change_rows(res)
        cols = [Column(k) for k in ("account", "name", "field", "old", "new", "rule", "reason")]
        write_csv(rows, cols, sys.stdout)
        return
    # the table shows the first TABLE_LIMIT changes: build only those
    _print_run(res, _change_rows(res, TABLE_LIMIT))


def _print_run(res: TagResult, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table

    c = get_console()
    head = "Would change" if res.dry_run else "Changed"
    if res.rule == "manual":
        _print_manual(res, rows)
        return
    total = len(res.changes)
    if rows:
        shown = rows[:TABLE_LIMIT]
        c.print(
            rich_table(
                shown,
                [
                    Column("account"),
                    Column("name"),
                    Column("field"),
                    Column("change", "old → new"),
                    Column("rule"),
                ],
                title=f"{head}: {total} field(s) on {res.changed_accounts} account(s)",
            )
        )
        if total > len(shown):
            c.print(
                f"... and {total - len(shown):,} more change(s): --format csv or json "
                "lists them all."
            )
    else:
        c.print("No changes: every account already has the tags the rules give.")
    if res.manual_kept:
        c.print(
            rich_table(
                [
                    {
                        "account": m.account,
                        "field": m.field,
                        "value": m.value,
                        "note": m.note,
                        "rule": m.rule,
                        "reason": m.reason,
                    }
                    for m in res.manual_kept[:TABLE_LIMIT]
                ],
                [
                    Column("account"),
                    Column("field"),
                    Column("value", "manual"),
                    Column("note"),
                    Column("rule", "rule's reason"),
                    Column("reason", "manual reason"),
                ],
                title="Manual tags kept (khm tag --reset-manual gives them back to the rules)",
            )
        )
        if len(res.manual_kept) > TABLE_LIMIT:
            c.print(f"... and {len(res.manual_kept) - TABLE_LIMIT:,} more: --format json.")
    # the matrix: counts per type x category
    matrix = []
    for t, cats in res.counts.items():
        row: dict[str, Any] = {"type": t, **cats, "total": sum(cats.values())}
        matrix.append(row)
    totals: dict[str, Any] = {"type": "total"}
    for cat in CATEGORIES:
        totals[cat] = sum(res.counts[t][cat] for t in res.counts)
    totals["total"] = sum(v for k, v in totals.items() if k != "type")
    matrix.append(totals)
    c.print(
        rich_table(
            matrix,
            [Column("type")] + [Column(x, justify="right") for x in (*CATEGORIES, "total")],
            title=f"Accounts by type × category{' (after the run)' if res.dry_run else ''}",
        )
    )
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
    if res.no_metric:
        keys = ", ".join(k for k, _ in res.no_metric[:20])
        more = f" and {len(res.no_metric) - 20} more" if len(res.no_metric) > 20 else ""
        c.print(
            f"{len(res.no_metric)} account(s) without {escape(res.metric)} got the fallback "
            f"category: {escape(keys)}{more}"
        )
    if res.dry_run:
        c.print("Dry run: nothing written.")


def _print_manual(res: TagResult, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table

    c = get_console()
    m = res.summary["manual"]
    if rows:
        c.print(
            rich_table(
                rows,
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
    if not rows:
        c.print("The values were already these; they are now kept as manual tags.")
    if res.dry_run:
        c.print("Dry run: nothing written.")


def _emit_history(res: HistoryResult, fmt: str) -> None:
    from khm.render import Column, emit_rows

    rows = [
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
    ]
    cols = [
        Column("changed_at", "when"),
        Column("account"),
        Column("name"),
        Column("field"),
        Column("old"),
        Column("new"),
        Column("who"),
        Column("reason"),
        Column("rule"),
    ]
    emit_rows(
        rows,
        cols,
        fmt,
        kind="tag_changes",
        title=f"Tag changes, {res.label}",
        json_extra={"period": {"start": res.start, "end": res.end, "label": res.label}},
    )


def register(app: typer.Typer) -> None:
    """Adds ``khm tag`` to the root app."""
    app.command("tag")(tag)
