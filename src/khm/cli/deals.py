"""``khm deal list``: the imported deals (``khm import deals`` is in
:mod:`khm.cli.import_deals`). Thin: parse options, call :mod:`khm.services.deals`, hand
the records to :mod:`khm.render.deals`."""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import LIST_FORMATS, format_option, kctx

deal_app = typer.Typer(help="Imported deals (CRM opportunities): list them.", no_args_is_help=True)


@deal_app.command("list")
def deal_list(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Account key.", show_default=False)
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option("--stage", help="open, won or lost.", show_default=False),
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Owner rep handle.", show_default=False)
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most this many.", show_default=False)
    ] = None,
    fmt: str = format_option(LIST_FORMATS),
) -> None:
    """List deals: open ones first, then the most recently closed."""
    from khm.render.deals import deal_list as render
    from khm.services.deals import list_deals

    recs = list_deals(kctx(ctx).store(), account=account, stage=stage, rep=rep, limit=limit)
    render(recs, fmt)


def register(app: typer.Typer) -> None:
    """Adds ``khm deal`` to the root app."""
    app.add_typer(deal_app, name="deal")
