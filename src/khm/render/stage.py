"""The view of ``khm stage``: what was recorded, and the account's stage history."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khm.core.funnel import StageRecord, StageResult


def stage_line(h: StageRecord) -> str:
    """One history line: ``2026-10-03  conversion  (manual: "onboarding") note``."""
    how = h.source + (f' "{h.text}"' if h.text else "")
    if h.batch is not None:
        how += f", import batch {h.batch}"
    note = f"  {h.note}" if h.note else ""
    return f"{h.date.isoformat()}  {h.stage:<12} ({how}){note}"


def stage_recorded(res: StageResult, fmt: str) -> None:
    if fmt == "json":
        import sys

        from khm.render import json as j

        j.write(sys.stdout, j.envelope("stage_recorded", **res.as_dict()))
        return
    from rich.markup import escape

    from khm.render.table import get_console

    c = get_console()
    who = f"{escape(res.key)} ({escape(res.name)})" if res.name else escape(res.key)
    if not res.changed:
        since = f" since {res.previous.date.isoformat()}" if res.previous else ""
        c.print(f"{who} is already in {escape(res.stage)}{since}: nothing recorded")
    else:
        word = f" ({escape(res.text)})" if res.text != res.stage else ""
        c.print(f"{who}: {escape(res.stage)}{word} from {res.date.isoformat()}")
    c.print("Stage history:")
    for h in res.history:
        c.print("  " + escape(stage_line(h)), highlight=False)
