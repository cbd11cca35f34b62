"""The campaign parts of ``khm log`` and ``khm touch delete`` (options declared in
:mod:`khm.cli.touches`): thin, one call of :mod:`khm.services.campaign` each, the views
in :mod:`khm.render.campaign`."""

from __future__ import annotations

import typer

from khm.cli.common import confirm, kctx, parse_date, resolve_today
from khm.errors import UsageError


def log_campaign(
    ctx: typer.Context,
    kind: str,
    *,
    args: tuple[str | None, str | None],
    due: bool,
    segment: str | None,
    country: str | None,
    rep: str | None,
    on: str | None,
    note: str | None,
    today: str | None,
    fmt: str,
) -> None:
    """``khm log --campaign KIND (--due | --segment TYPE/CAT) ...``"""
    from khm.render.campaign import campaign_logged
    from khm.services.campaign import log_campaign as log

    if any(a is not None for a in args):
        raise UsageError("--campaign logs many accounts at once: give no ACCOUNT or KIND")
    k = kctx(ctx)
    day = resolve_today(today)
    rec = log(
        k.store(),
        kind,
        method=k.method(),
        today=day,
        due=due,
        segment=segment,
        country=country,
        rep=rep,
        on=None if on is None else parse_date(on, "--date", day),
        note=note,
    )
    campaign_logged(rec, fmt)


def check_single(due: bool, segment: str | None, country: str | None) -> None:
    """``--due``, ``--segment`` and ``--country`` only go with ``--campaign``."""
    used = [n for n, v in (("--due", due), ("--segment", segment), ("--country", country)) if v]
    if used:
        raise UsageError(f"{used[0]} selects the accounts of a campaign: add --campaign KIND")


def delete_campaign(ctx: typer.Context, campaign_id: int, *, yes: bool, fmt: str) -> None:
    """``khm touch delete --campaign ID``: every touch of the campaign, in one transaction."""
    from khm.render.campaign import campaign_deleted, campaign_question
    from khm.services.campaign import delete_campaign as delete
    from khm.services.campaign import get_campaign

    k = kctx(ctx)
    store = k.store()
    if not yes:
        rec = get_campaign(store, campaign_id, k.method())
        if not confirm(campaign_question(rec), "touch delete --campaign"):
            typer.echo("Nothing deleted.", err=True)
            raise typer.Exit(1)
    campaign_deleted(delete(store, campaign_id, k.method()), fmt)
