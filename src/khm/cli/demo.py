"""``khm demo``: a realistic demo team in its own database, the method run on it, and
what to try next.

Thin: check the options, pick the database, call :func:`khm.services.demo.build_demo`,
print the result with :mod:`khm.render.demo`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from khm.cli.common import TodayOption, kctx, resolve_today
from khm.errors import UsageError

if TYPE_CHECKING:
    pass


def _target(ctx: typer.Context, db: str | None) -> str:
    """The demo's database URL: ``khm demo --db``, else the global --db / KHM_DATABASE_URL
    when given, else demo.db in the data dir (never the user's real khm.db)."""
    from khm.store.db import demo_db_path, normalise_url, path_to_url

    raw = db or kctx(ctx).db or os.environ.get("KHM_DATABASE_URL")
    if raw:
        return normalise_url(raw)
    return path_to_url(demo_db_path())


def _target_default() -> str:
    from khm.store.db import demo_db_path, path_to_url

    return path_to_url(demo_db_path())


def demo(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same team.")
    ] = 42,
    accounts: Annotated[
        int, typer.Option("--accounts", help="How many accounts to generate.")
    ] = 700,
    today: TodayOption = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Where to build it: a SQLite path or SQLAlchemy URL. Default: the global "
            "--db / KHM_DATABASE_URL when given, else demo.db in the user data dir.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the data of a database that is not empty.")
    ] = False,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep",
            help="Whose weekly list to show at the end (default: the first rep).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build a realistic demo team (5 reps, ~700 Nordic accounts, a year of touches), run the method on it and show a rep's weekly list.

    Deterministic: the same --seed and --today give the same data. The demo gets its own database (demo.db in the data dir, rebuilt on every run) unless --db or KHM_DATABASE_URL names one; a database you name that already holds data is only replaced with --force.
    """
    from khm.demo import DEMO_REPS
    from khm.render import get_console
    from khm.render.demo import print_demo
    from khm.services.demo import MAX_ACCOUNTS, build_demo

    if accounts < 1 or accounts > MAX_ACCOUNTS:
        raise UsageError(f"--accounts: {accounts} is out of range (1..{MAX_ACCOUNTS:,})")
    handles = [h for h, *_ in DEMO_REPS]
    if rep is not None and rep not in handles:
        raise UsageError(f"--rep: {rep!r} is not a demo rep (one of {', '.join(handles)})")
    day = resolve_today(today)
    method = kctx(ctx).method()
    url = _target(ctx, db)
    # The demo's own database (demo.db in the data dir) is rebuilt on every run, so the
    # quick start can be run twice; a database the user named is only replaced with --force.
    run = build_demo(
        url,
        method,
        today=day,
        seed=seed,
        accounts=accounts,
        rep=rep or handles[0],
        replace=force or url == _target_default(),
        force=force,
    )
    explicit = bool(today or os.environ.get("KHM_TODAY"))
    print_demo(get_console(), run, hint_today=day if explicit else None)


def register(app: typer.Typer) -> None:
    """Adds ``khm demo`` to the root app."""
    app.command("demo")(demo)
