"""``khm account``: add, show, list, edit, archive customer accounts.

Thin: parse options, call one function of :mod:`khm.services.records`, render the result.
Type and category are not set here: ``khm tag`` applies the method's rules or a manual tag.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

if TYPE_CHECKING:
    from khm.services.records import AccountDetail, AccountRecord

account_app = typer.Typer(
    help="Customer accounts: add, show, list, edit, archive.", no_args_is_help=True
)

KeyArg = Annotated[str, typer.Argument(help="The account's key (unique, e.g. its CRM id).")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Company name.", show_default=False)]
CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="Country: ISO code (NO, SWE) or name (Norway, Sverige); stored as ISO alpha-2.",
        show_default=False,
    ),
]
ProductLineOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--product-line",
        help="A product line the account buys (repeat for several; on edit replaces the list).",
        show_default=False,
    ),
]
RevenueOpt = Annotated[
    str | None,
    typer.Option(
        "--revenue", help="Revenue (1234567, 1 234 567,50 and 1_234_567 work).", show_default=False
    ),
]
EmployeesOpt = Annotated[
    str | None, typer.Option("--employees", help="Number of employees.", show_default=False)
]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        help="A custom numeric field NAME=NUMBER (repeatable), e.g. open_pipeline=25000.",
        show_default=False,
    ),
]
OwnerOpt = Annotated[
    str | None,
    typer.Option("--owner", help="Owner: the handle of an active rep.", show_default=False),
]
StageOpt = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="Lifecycle stage (free text, e.g. customer, onboarding).",
        show_default=False,
    ),
]
WhoOpt = Annotated[
    str | None,
    typer.Option(
        "--who",
        help="Who makes an owner change, for the history (default: $USER).",
        show_default=False,
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help="Why the owner changes, for the history.", show_default=False),
]


def _who(who: str | None) -> str:
    return (who or os.environ.get("USER") or os.environ.get("USERNAME") or "khm").strip() or "khm"


# --------------------------------------------------------------------------- rendering


def _list_columns() -> list[Any]:
    from khm.render import Column

    return [
        Column("key"),
        Column("name"),
        Column("country"),
        Column("product_lines", "product lines"),
        Column("revenue", justify="right"),
        Column("employees", justify="right"),
        Column("type"),
        Column("category"),
        Column("owner"),
        Column("stage"),
    ]


def _print_record(rec: AccountRecord, headline: str, changes: list[str] | None = None) -> None:
    from rich.markup import escape

    from khm.render import get_console

    c = get_console()
    c.print(f"{headline} {escape(rec.key)} ({escape(rec.name)})")
    for line in changes or []:
        c.print(f"  {escape(line)}")


def _emit_record(
    rec: AccountRecord, fmt: str, headline: str, changes: list[str] | None = None
) -> None:
    if fmt == "json":
        from khm.render import envelope, json_dumps

        payload: dict[str, Any] = {"account": rec.as_dict()}
        if changes is not None:
            payload["changes"] = changes
        typer.echo(json_dumps(envelope("account", **payload)))
    else:
        _print_record(rec, headline, changes)


def _num(v: Any) -> str:
    from khm.render import text_value

    return text_value(v) if v is not None else "-"


def _print_detail(d: AccountDetail) -> None:
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table, text_value

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
        ("owner", owner),
        ("type/category", tag),
        ("created", text_value(a.created_at)),
        ("updated", text_value(a.updated_at)),
    ]
    for k, v in sorted(a.custom.items()):
        rows.append((k, _num(v)))
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


# --------------------------------------------------------------------------- commands


@account_app.command("add")
def account_add(
    ctx: typer.Context,
    key: KeyArg,
    name: NameOpt = None,
    country: CountryOpt = None,
    product_line: ProductLineOpt = None,
    revenue: RevenueOpt = None,
    employees: EmployeesOpt = None,
    field: FieldOpt = None,
    owner: OwnerOpt = None,
    stage: StageOpt = None,
    who: WhoOpt = None,
    reason: ReasonOpt = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Add an account. Type and category come from 'khm tag'; a duplicate key is refused."""
    from khm.services.records import AccountChanges, add_account

    changes = AccountChanges(
        name=name,
        country=country,
        product_lines=product_line,
        revenue=revenue,
        employees=employees,
        fields=field or (),
        owner=owner,
        stage=stage,
    )
    rec = add_account(kctx(ctx).store(), key, changes, who=_who(who), reason=reason)
    _emit_record(rec, fmt, "Added account")


@account_app.command("show")
def account_show(
    ctx: typer.Context,
    key: KeyArg,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Show an account: fields, owner, type/category, what is due, recent touches, tag history."""
    from khm.services.records import show_account

    k = kctx(ctx)
    detail = show_account(k.store(), key, k.method(), resolve_today(today))
    if fmt == "json":
        from khm.render import envelope, json_dumps

        typer.echo(json_dumps(envelope("account_detail", **detail.as_dict())))
        return
    _print_detail(detail)


@account_app.command("list")
def account_list(
    ctx: typer.Context,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="expand, keep, or none (untagged).", show_default=False),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="A, B, C, D, or none (untagged).", show_default=False),
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Owner's handle.", show_default=False)
    ] = None,
    no_owner: Annotated[
        bool, typer.Option("--no-owner", help="Only accounts without an owner.")
    ] = False,
    country: Annotated[
        str | None,
        typer.Option("--country", help="Country code or name.", show_default=False),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option("--stage", help="Lifecycle stage (any case).", show_default=False),
    ] = None,
    product_line: Annotated[
        str | None,
        typer.Option(
            "--product-line", help="Accounts buying this product line.", show_default=False
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search", "-s", help="Text in the key or name (any case).", show_default=False
        ),
    ] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Only archived accounts.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Archived and active accounts.")] = False,
    sort: Annotated[
        str, typer.Option("--sort", help="key, name, revenue (largest first) or category.")
    ] = "key",
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most this many.", show_default=False)
    ] = None,
    fmt: str = format_option(),
) -> None:
    """List accounts (active ones unless --archived/--all), filtered and sorted."""
    from khm.errors import UsageError
    from khm.render import emit_rows
    from khm.services.records import list_accounts

    if archived and all_:
        raise UsageError("--archived and --all: give one or the other")
    recs = list_accounts(
        kctx(ctx).store(),
        type=type_,
        category=category,
        rep=rep,
        no_owner=no_owner,
        country=country,
        stage=stage,
        product_line=product_line,
        search=search,
        archived=None if all_ else archived,
        sort=sort.strip().lower(),
        limit=limit,
    )
    emit_rows(
        [r.row() for r in recs] if fmt != "json" else [],
        _list_columns(),
        fmt,
        kind="accounts",
        json_rows=[r.as_dict() for r in recs] if fmt == "json" else None,
    )


@account_app.command("edit")
def account_edit(
    ctx: typer.Context,
    key: KeyArg,
    name: NameOpt = None,
    country: CountryOpt = None,
    product_line: ProductLineOpt = None,
    revenue: RevenueOpt = None,
    employees: EmployeesOpt = None,
    field: FieldOpt = None,
    clear_field: Annotated[
        list[str] | None,
        typer.Option(
            "--clear-field",
            help="Remove a custom field, or empty country, revenue, employees, stage or "
            "product-lines (repeatable).",
            show_default=False,
        ),
    ] = None,
    owner: OwnerOpt = None,
    unset_owner: Annotated[bool, typer.Option("--unset-owner", help="Remove the owner.")] = False,
    stage: StageOpt = None,
    who: WhoOpt = None,
    reason: ReasonOpt = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Change an account's fields or owner (an owner change is kept in the tag history)."""
    from khm.services.records import AccountChanges, edit_account

    changes = AccountChanges(
        name=name,
        country=country,
        product_lines=product_line,
        revenue=revenue,
        employees=employees,
        fields=field or (),
        clear_fields=clear_field or (),
        owner=owner,
        unset_owner=unset_owner,
        stage=stage,
    )
    rec, changed = edit_account(kctx(ctx).store(), key, changes, who=_who(who), reason=reason)
    _emit_record(rec, fmt, "Updated account" if changed else "No change to account", changed)


@account_app.command("archive")
def account_archive(
    ctx: typer.Context,
    key: KeyArg,
    undo: Annotated[bool, typer.Option("--undo", help="Restore an archived account.")] = False,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Archive an account (hidden from lists, plans and logging); --undo restores it."""
    from khm.services.records import archive_account

    rec, changed = archive_account(kctx(ctx).store(), key, undo=undo)
    if undo:
        headline = "Restored account" if changed else "Account is not archived:"
    else:
        headline = "Archived account" if changed else "Account is already archived:"
    _emit_record(rec, fmt, headline)


def register(app: typer.Typer) -> None:
    """Adds ``khm account`` to the root app."""
    app.add_typer(account_app, name="account")
