"""``khm rep``: add, show, list, edit the reps who follow up accounts.

Thin: parse options, call one function of :mod:`khm.services.records`, hand the result to
:mod:`khm.render.records`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import LIST_FORMATS, TodayOption, format_option, kctx, resolve_today

rep_app = typer.Typer(help="Reps: add, show, list, edit, away.", no_args_is_help=True)

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
    from khm.render.records import rep_result
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
    rep_result(rec, fmt, "Added rep")


@rep_app.command("show")
def rep_show(
    ctx: typer.Context,
    handle: HandleArg,
    today: TodayOption = None,
    fmt: str = format_option(("table", "json")),
) -> None:
    """Show a rep with absences, the accounts owned by type × category, recent touches."""
    from khm.render.records import rep_detail
    from khm.services.records import show_rep

    rep_detail(show_rep(kctx(ctx).store(), handle, resolve_today(today)), fmt)


@rep_app.command("list")
def rep_list(
    ctx: typer.Context,
    role: Annotated[
        str | None, typer.Option("--role", help="expand, keep or any.", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include inactive reps.")] = False,
    today: TodayOption = None,
    fmt: str = format_option(LIST_FORMATS),
) -> None:
    """List reps (active ones unless --all) with the number of accounts each owns and
    their current and upcoming absences."""
    from khm.render.records import rep_list
    from khm.services.records import list_reps

    store = kctx(ctx).store()
    rep_list(list_reps(store, role=role, include_inactive=all_, today=resolve_today(today)), fmt)


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
    from khm.render.records import rep_result
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
    rep_result(rec, fmt, "Updated rep" if changed else "No change to rep", changed)
    if not rec.active and owned and fmt != "json":
        typer.echo(
            f"Note: {rec.handle} is inactive but still owns {owned} active account(s); "
            "give them new owners with 'khm assign' or 'khm account edit KEY --owner ...'.",
            err=True,
        )


def register(app: typer.Typer) -> None:
    """Adds ``khm rep`` (with ``rep away``, :mod:`khm.cli.away`) to the root app."""
    from khm.cli import away

    away.register(rep_app)
    app.add_typer(rep_app, name="rep")
