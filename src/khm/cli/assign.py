"""``khm assign`` (owners for accounts, balanced by load) and ``khm capacity`` (can the
team keep the method?).

Thin: parse options, call :mod:`khm.services.assign` / :mod:`khm.services.capacity`,
hand the result to :mod:`khm.render.assign` / :mod:`khm.render.capacity`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

#: the moves also come as JSON Lines (one move a line)
ASSIGN_FORMATS = ("table", "json", "jsonl", "csv")


# --------------------------------------------------------------------------- assign


def assign(
    ctx: typer.Context,
    rebalance: Annotated[
        bool,
        typer.Option(
            "--rebalance",
            help="Also move accounts between reps until each is near its target load "
            "(as few moves as possible).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the moves; write nothing.")
    ] = False,
    who: Annotated[
        str | None,
        typer.Option(
            "--who", help="Who assigns, for the history (default: khm).", show_default=False
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            min=0.5,
            max=50.0,
            help="With --rebalance: stop moving once every rep is within this many percent "
            "of its target load.",
        ),
    ] = 5.0,
    from_history: Annotated[
        bool,
        typer.Option(
            "--from-history",
            help="First give each account the active rep of a fitting role who made most "
            "of its deals and touches in the last 12 months (ties: the most recent); the "
            "balance fills the rest.",
        ),
    ] = False,
    today: TodayOption = None,
    fmt: str = format_option(ASSIGN_FORMATS),
) -> None:
    """Give owners to accounts, balanced by the weekly human load the cadence implies.

    Expand accounts go to reps with role expand, keep accounts to keep reps; role any
    takes both. Existing owners stay; accounts with no owner, an inactive owner or an
    owner of the wrong role get one. --rebalance also evens out the load relative to
    each rep's capacity, moving as few accounts as possible. Run 'khm tag' first.

    \b
    Examples:
      khm assign --dry-run
      khm assign --from-history --dry-run
      khm assign --rebalance
    """
    from khm.render.assign import write_assign
    from khm.services.assign import assign_accounts

    k = kctx(ctx)
    k.record_method = not dry_run  # a dry run writes nothing, not even that
    res = assign_accounts(
        k.store(),
        k.method(),
        today=resolve_today(today),
        rebalance=rebalance,
        dry_run=dry_run,
        who=(who or "khm").strip() or "khm",
        tolerance=tolerance / 100.0,
        from_history=from_history,
    )
    write_assign(res, fmt)


# --------------------------------------------------------------------------- capacity


def capacity(
    ctx: typer.Context,
    today: TodayOption = None,
    fmt: str = format_option(),
) -> None:
    """Can this team keep this method? Weekly human load per rep against capacity.

    Per rep: accounts by type × category, human touches and effort per week the cadence
    asks for (averaged over the year's human weeks: no-human periods and public holidays
    taken out), capacity, utilisation; team totals; the cells that drive the load; the
    unowned accounts' load; how many reps of each role the method needs; a verdict.
    """
    from khm.render.capacity import write_capacity
    from khm.services.capacity import capacity_report

    k = kctx(ctx)
    plan = capacity_report(k.store(), k.method(), today=resolve_today(today))
    write_capacity(plan, fmt)


def register(app: typer.Typer) -> None:
    """Adds ``khm assign`` and ``khm capacity`` to the root app."""
    app.command("assign")(assign)
    app.command("capacity")(capacity)
