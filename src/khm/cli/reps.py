"""``khm rep``: add, show, list, edit the reps who follow up accounts.

Thin: parse options, call one function of :mod:`khm.services.records`, render the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

if TYPE_CHECKING:
    from khm.services.records import RepDetail, RepRecord

rep_app = typer.Typer(help="Reps: add, show, list, edit.", no_args_is_help=True)

HandleArg = Annotated[
    str, typer.Argument(help="The rep's handle: one lower-case word (a-z, 0-9, . _ -).")
]
NameOpt = Annotated[str | None, typer.Option("--name", help="Full name.", show_default=False)]
EmailOpt = Annotated[
    str | None,
    typer.Option("--email", help="E-mail address (empty to clear on edit).", show_default=False),
]
CapacityOpt = Annotated[
    str | None,
    typer.Option(
        "--capacity",
        help="Weekly capacity for human activities, in effort units "
        "(default: the method's capacity.default).",
        show_default=False,
    ),
]


def _columns() -> list[Any]:
    from khm.render import Column

    return [
        Column("handle"),
        Column("name"),
        Column("email"),
        Column("role"),
        Column("capacity", justify="right"),
        Column("active"),
        Column("accounts", justify="right"),
    ]


def _emit_rep(rec: RepRecord, fmt: str, headline: str, notes: list[str] | None = None) -> None:
    if fmt == "json":
        from khm.render import envelope, json_dumps

        payload: dict[str, Any] = {"rep": rec.as_dict()}
        if notes is not None:
            payload["changes"] = notes
        typer.echo(json_dumps(envelope("rep", **payload)))
        return
    from rich.markup import escape

    from khm.render import get_console, text_value

    c = get_console()
    name = f" ({escape(rec.name)})" if rec.name else ""
    c.print(
        f"{headline} {escape(rec.handle)}{name}: role {rec.role}, "
        f"capacity {text_value(rec.capacity)}" + ("" if rec.active else ", inactive")
    )
    for n in notes or []:
        c.print(f"  {escape(n)}")


def _print_detail(d: RepDetail) -> None:
    from rich.markup import escape

    from khm.render import Column, get_console, rich_table, text_value

    r = d.rep
    c = get_console()
    c.print(f"[bold]{escape(r.handle)}[/bold] — {escape(r.name or '-')}")
    for k, v in (
        ("email", r.email or "-"),
        ("role", r.role),
        ("capacity", f"{text_value(r.capacity)} effort units a week"),
        ("active", "yes" if r.active else "no"),
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


@rep_app.command("add")
def rep_add(
    ctx: typer.Context,
    handle: HandleArg,
    name: NameOpt = None,
    email: EmailOpt = None,
    role: Annotated[str, typer.Option("--role", help="expand, keep or any.")] = "any",
    capacity: CapacityOpt = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Add a rep (handle, name, e-mail, role and weekly capacity)."""
    from khm.services.records import add_rep

    k = kctx(ctx)
    default_capacity = k.method().capacity.default if capacity is None else 0.0
    rec = add_rep(
        k.store(),
        handle,
        name=name,
        email=email,
        role=role,
        capacity=capacity,
        default_capacity=default_capacity,
    )
    _emit_rep(rec, fmt, "Added rep")


@rep_app.command("show")
def rep_show(
    ctx: typer.Context,
    handle: HandleArg,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Show a rep with the accounts owned by type × category and recent touches."""
    from khm.services.records import show_rep

    detail = show_rep(kctx(ctx).store(), handle, resolve_today(today))
    if fmt == "json":
        from khm.render import envelope, json_dumps

        typer.echo(json_dumps(envelope("rep_detail", **detail.as_dict())))
        return
    _print_detail(detail)


@rep_app.command("list")
def rep_list(
    ctx: typer.Context,
    role: Annotated[
        str | None, typer.Option("--role", help="expand, keep or any.", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include inactive reps.")] = False,
    fmt: str = format_option(),
) -> None:
    """List reps (active ones unless --all) with the number of accounts each owns."""
    from khm.render import emit_rows
    from khm.services.records import list_reps

    recs = list_reps(kctx(ctx).store(), role=role, include_inactive=all_)
    emit_rows(
        [r.as_dict() for r in recs],
        _columns(),
        fmt,
        kind="reps",
        json_rows=[r.as_dict() for r in recs],
    )


@rep_app.command("edit")
def rep_edit(
    ctx: typer.Context,
    handle: HandleArg,
    name: NameOpt = None,
    email: EmailOpt = None,
    role: Annotated[
        str | None, typer.Option("--role", help="expand, keep or any.", show_default=False)
    ] = None,
    capacity: CapacityOpt = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Reactivate, or deactivate (an inactive rep cannot own new accounts).",
            show_default=False,
        ),
    ] = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Change a rep's name, e-mail, role, capacity or active flag."""
    from khm.services.records import edit_rep

    rec, changed, owned = edit_rep(
        kctx(ctx).store(),
        handle,
        name=name,
        email=email,
        role=role,
        capacity=capacity,
        active=active,
    )
    _emit_rep(rec, fmt, "Updated rep" if changed else "No change to rep", changed)
    if not rec.active and owned and fmt != "json":
        typer.echo(
            f"Note: {rec.handle} is inactive but still owns {owned} active account(s); "
            "give them new owners with 'khm assign' or 'khm account edit KEY --owner ...'.",
            err=True,
        )


def register(app: typer.Typer) -> None:
    """Adds ``khm rep`` to the root app."""
    app.add_typer(rep_app, name="rep")
