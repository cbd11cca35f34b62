"""``khm account``: add, show, list, edit, archive (thin over :mod:`khm.services.records`)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from khm.cli.common import LIST_FORMATS, TodayOption, WhereOpt, format_option, kctx, resolve_today

_HELP = "Customer accounts: add, show, list, edit, archive."
account_app = typer.Typer(help=_HELP, no_args_is_help=True)

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


_Text = str | None


def _opt(*names: str, help: str) -> Any:  # a list filter: no default shown
    return typer.Option(*names, help=help, show_default=False)


def _who(who: str | None) -> str:
    return (who or os.environ.get("USER") or os.environ.get("USERNAME") or "khm").strip() or "khm"


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
    from khm.render import records as render
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
    render.account_result(rec, fmt, "Added account")


@account_app.command("show")
def account_show(
    ctx: typer.Context,
    key: KeyArg,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Show an account: fields, owner, type/category, what is due, recent touches, tag history."""
    from khm.render.records import account_detail
    from khm.services.records import show_account

    k = kctx(ctx)
    account_detail(show_account(k.store(), key, k.method(), resolve_today(today)), fmt)


@account_app.command("list")
def account_list(
    ctx: typer.Context,
    type_: Annotated[str | None, _opt("--type", help="expand, keep, or none (untagged).")] = None,
    category: Annotated[_Text, _opt("--category", help="A, B, C, D, or none (untagged).")] = None,
    rep: Annotated[str | None, _opt("--rep", help="Owner's handle.")] = None,
    no_owner: Annotated[
        bool, typer.Option("--no-owner", help="Only accounts without an owner.")
    ] = False,
    country: Annotated[str | None, _opt("--country", help="Country code or name.")] = None,
    stage: Annotated[str | None, _opt("--stage", help="Lifecycle stage (any case).")] = None,
    product_line: Annotated[
        str | None, _opt("--product-line", help="Accounts buying this product line.")
    ] = None,
    search: Annotated[
        _Text, _opt("--search", "-s", help="Text in the key or name (any case).")
    ] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Only archived accounts.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Archived and active accounts.")] = False,
    sort: Annotated[
        str, typer.Option("--sort", help="key, name, revenue (largest first) or category.")
    ] = "key",
    limit: Annotated[int | None, _opt("--limit", "-n", help="At most this many.")] = None,
    where: WhereOpt = None,
    fmt: str = format_option(LIST_FORMATS),
) -> None:
    """List accounts (active ones unless --archived/--all), filtered and sorted."""
    from khm.errors import UsageError
    from khm.render.records import account_list
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
        where=where or (),
    )
    account_list(recs, fmt)


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
    from khm.render import records as render
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
    render.account_edited(rec, fmt, changed)


@account_app.command("archive")
def account_archive(
    ctx: typer.Context,
    key: KeyArg,
    undo: Annotated[bool, typer.Option("--undo", help="Restore an archived account.")] = False,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Archive an account (hidden from lists, plans and logging); --undo restores it."""
    from khm.render.records import account_archived
    from khm.services.records import archive_account

    rec, changed = archive_account(kctx(ctx).store(), key, undo=undo)
    account_archived(rec, fmt, changed=changed, undo=undo)


def register(app: typer.Typer) -> None:
    """Adds ``khm account`` to the root app."""
    app.add_typer(account_app, name="account")
