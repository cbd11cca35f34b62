"""Views of ``khm log --campaign`` and ``khm touch delete --campaign``: a line for the
terminal, or the JSON envelope (``campaign_logged`` / ``campaign_deleted``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khm.core.records import CampaignRecord


def _emit(kind: str, rec: CampaignRecord) -> None:
    import sys

    from khm.render import json as j

    j.write(sys.stdout, j.envelope(kind, campaign=rec.as_dict()))


def campaign_logged(rec: CampaignRecord, fmt: str) -> None:
    if fmt == "json":
        _emit("campaign_logged", rec)
        return
    from rich.markup import escape

    from khm.render.table import get_console

    c = get_console()
    if rec.id is None:
        c.print(f"No accounts selected ({escape(rec.selection)}): nothing logged.")
        return
    c.print(
        f"Logged {escape(rec.kind)} for {rec.count} account(s) on {rec.date.isoformat()} "
        f"({escape(rec.selection)}): campaign {rec.id}"
    )
    c.print(f"Undo with: khm touch delete --campaign {rec.id}")


def campaign_deleted(rec: CampaignRecord, fmt: str) -> None:
    if fmt == "json":
        _emit("campaign_deleted", rec)
        return
    from rich.markup import escape

    from khm.render.table import get_console

    get_console().print(
        f"Deleted campaign {rec.id}: {rec.count} {escape(rec.kind)} touch(es) "
        f"of {rec.date.isoformat()}"
    )


def campaign_question(rec: CampaignRecord) -> str:
    """What ``khm touch delete --campaign ID`` asks before deleting."""
    return (
        f"Delete campaign {rec.id} ({rec.kind} on {rec.date.isoformat()}, "
        f"{rec.count} touch(es), {rec.selection})?"
    )
