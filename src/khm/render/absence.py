"""Views of absences: the ``rep away`` result and the "away" text of ``rep show`` and
``rep list``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khm.core.absence import Absence, AwayResult


def away_text(away: Iterable[Absence]) -> str:
    """``7–11 Dec, 28 Dec–3 Jan 2027`` (empty when none)."""
    return ", ".join(a.label for a in away)


def away_result(res: AwayResult, fmt: str) -> None:
    """What ``rep away`` prints: what was added or cleared, and the absences left."""
    if fmt == "json":
        import sys

        from khm.render.json import envelope, write

        write(sys.stdout, envelope("rep_away", **res.as_dict()))
        return
    from rich.markup import escape

    from khm.render.table import get_console

    c = get_console()
    if res.added is not None:
        a = res.added
        why = f" ({escape(a.reason)})" if a.reason else ""
        c.print(
            f"{escape(res.rep)} is away {a.start.isoformat()} to {a.end.isoformat()}{why}: "
            "no human work is planned on those days"
        )
    else:
        n = res.cleared
        c.print(f"Cleared {n} absence{'' if n == 1 else 's'} of {escape(res.rep)}")
    c.print(f"  away: {escape(away_text(res.away)) or 'no current or upcoming absence'}")
