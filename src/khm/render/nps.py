"""Views of ``khm nps``: the recorded response and the account's ``nps`` field. (The NPS
report is a section of :mod:`khm.render.report`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khm.services.nps import RecordedResponse


def response_recorded(res: RecordedResponse, fmt: str) -> None:
    if fmt == "json":
        import sys

        from khm.render.json import envelope, write

        write(sys.stdout, envelope("nps_recorded", **res.as_dict()))
        return
    from rich.markup import escape

    from khm.render.cells import text_value
    from khm.render.table import get_console

    def t(v: object) -> str:
        return escape(text_value(v))

    c = get_console()
    who = f" from {t(res.contact)}" if res.contact else ""
    c.print(
        f"Recorded NPS {res.score} ({res.group}) #{res.id} on {res.date.isoformat()}{who} "
        f"for {t(res.key)} ({t(res.name)})"
    )
    if res.comment:
        c.print(f"  comment: {t(res.comment)}")
    if res.nps != res.nps_before:
        before = "-" if res.nps_before is None else t(res.nps_before)
        c.print(f"Field nps: {before} → {t(res.nps)}")
    else:
        c.print(f"Field nps stays {t(res.nps)} (a later response is newer)")
    if res.group == "detractor":
        owner = f"{t(res.owner)}'s" if res.owner else "the owner's (none yet)"
        c.print(
            f"A detractor: a detractor trigger of the method puts a follow-up on {owner} weekly list"
        )
