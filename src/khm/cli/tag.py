"""``khm tag``: apply the method's type and category rules, tag by hand, show the history.

Thin: parse and check the options, call one function of :mod:`khm.services.tag`, hand
the result to :mod:`khm.render.tag`.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today
from khm.errors import UsageError

#: the change list and the history also come as JSON Lines (one change a line)
TAG_FORMATS = ("table", "json", "jsonl", "csv")


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
    fmt: str = format_option(TAG_FORMATS),
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
    from khm.render import tag as view
    from khm.services import tag as svc

    day = resolve_today(today)
    kctx(ctx).record_method = not dry_run  # a dry run writes nothing, not even that
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
        view.write_history(res, fmt)
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
        view.write_run(res, fmt)
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
    view.write_run(res, fmt)


def register(app: typer.Typer) -> None:
    """Adds ``khm tag`` to the root app."""
    app.command("tag")(tag)
