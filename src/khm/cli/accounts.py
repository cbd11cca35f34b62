"""``khm account``: add, show, list, edit, archive (thin over :mod:`khm.services.records`)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from khm.cli.account_options import (
    CountryOpt,
    CustomerSinceOpt,
    EmployeesOpt,
    FieldOpt,
    KeyArg,
    NameOpt,
    OwnerOpt,
    ProductLineOpt,
    ReasonOpt,
    RevenueOpt,
    StageOpt,
    WhoOpt,
)
from khm.cli.common import LIST_FORMATS, TodayOption, WhereOpt, format_option, kctx, resolve_today

_HELP = "Customer accounts: add, show, list, edit, archive."
account_app = typer.Typer(help=_HELP, no_args_is_help=True)

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
    customer_since: CustomerSinceOpt = None,
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
        customer_since=customer_since,
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
            help="Remove a custom field, or empty country, revenue, employees, stage, "
            "customer-since or product-lines (repeatable).",
            show_default=False,
        ),
    ] = None,
    owner: OwnerOpt = None,
    unset_owner: Annotated[bool, typer.Option("--unset-owner", help="Remove the owner.")] = False,
    stage: StageOpt = None,
    customer_since: CustomerSinceOpt = None,
    who: WhoOpt = None,
    reason: ReasonOpt = None,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Change an account's fields or owner (an owner change is kept in the tag history, a
    numeric field's change in its history, dated --today)."""
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
        customer_since=customer_since,
    )
    rec, changed = edit_account(
        kctx(ctx).store(), key, changes, who=_who(who), reason=reason, today=resolve_today(today)
    )
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
