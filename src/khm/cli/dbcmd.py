"""``khm db``: where the data lives, its schema revision, migrations."""

from __future__ import annotations

import typer

from khm.cli.common import format_option, kctx

db_app = typer.Typer(
    help="Where the database is, its schema version, migrations.", no_args_is_help=True
)


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print the database URL in use (--db, else KHM_DATABASE_URL, else the data dir)."""
    from khm.store.db import display_url, sqlite_path

    url = kctx(ctx).url
    p = sqlite_path(url)
    typer.echo(str(p) if p else display_url(url))


@db_app.command("status")
def db_status(ctx: typer.Context, fmt: str = format_option(("table", "json"))) -> None:
    """Show the database, its schema revision (and whether it is current) and row counts."""
    from khm.render import envelope, get_console, json_dumps
    from khm.store.db import status

    info = status(kctx(ctx).store())
    if fmt == "json":
        typer.echo(json_dumps(envelope("db_status", **info)))
        return
    from rich.markup import escape

    c = get_console()
    c.print(f"database: {escape(info['url'])}")
    c.print(f"dialect:  {info['dialect']}")
    state = "up to date" if info["up_to_date"] else f"behind (head is {info['head']})"
    c.print(f"schema:   {info['revision']} ({state})")
    for k, v in info["counts"].items():
        c.print(f"{k + ':':<13}{v}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply any pending migrations (khm also does this whenever it opens the database)."""
    from khm.store.db import HEAD_REVISION, display_url

    store = kctx(ctx).store()  # opening migrates
    typer.echo(f"{display_url(store.url)}: schema at {HEAD_REVISION}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
