"""``khm simulate``: if the team does X % of its list, what happens over the next N weeks?

Thin: parse the options, call :func:`khm.services.simulate.run_simulation` (read-only: the
book is copied into memory once), hand the result to :mod:`khm.render.simulate`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, parse_date, resolve_today

SIMULATE_FORMATS = ("table", "json", "csv", "markdown")

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 2 bad command line (--weeks, --percent or --start out of range, "
    "a --start that is not a Monday); 4 invalid method file; 5 --rep names no rep; "
    "6 database cannot be opened; 7 --rep names an inactive rep; 1 a bug."
)


def simulate(
    ctx: typer.Context,
    percent: Annotated[
        float,
        typer.Option(
            "--percent",
            "-p",
            help="Share of each week's list the team does (0-100); below 100 a random "
            "subset, drawn with --seed.",
        ),
    ] = 100.0,
    weeks: Annotated[
        int, typer.Option("--weeks", "-n", help="How many weeks to run (1-520).")
    ] = 52,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="The first Monday (YYYY-MM-DD). Default: the first Monday after --today.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same figures.")
    ] = 0,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", "-r", help="Only this rep's accounts (by handle).", show_default=False
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(SIMULATE_FORMATS),
) -> None:
    """If the team does X % of its list, what happens over N weeks?

    Runs the weekly planner forward on a copy of the data (the database is only read):
    each week every listed item is done on its suggested day by the listed rep (a random
    --percent share of them), campaign work is done when due. Prints per category A-D
    the compliance (the share of days each account's activities were within interval +
    grace + a week), the share of pairs that kept their interval, the gaps, the skipped
    work; the backlog at the start, the end and its peak; the load per rep per week.
    Definitions: docs/simulate.md.

    \b
    Examples:
      khm simulate
      khm simulate --percent 80 --weeks 26 --seed 7
      khm simulate --rep asa --format json
    """
    from khm.render.simulate import write_simulation
    from khm.services.simulate import check_options, first_monday, run_simulation

    k = kctx(ctx)
    now = resolve_today(today)
    check_options(weeks, percent)  # refused before the database is opened
    first = parse_date(start, "--start", today=now) if start is not None else None
    first = first_monday(now, first)
    res = run_simulation(
        k.store(),
        k.method(),
        today=now,
        start=first,
        weeks=weeks,
        percent=percent,
        seed=seed,
        rep=rep,
    )
    write_simulation(res, fmt)


def register(app: typer.Typer) -> None:
    """Adds ``khm simulate`` to the root app."""
    app.command("simulate", epilog=EXIT_CODES_HELP)(simulate)
