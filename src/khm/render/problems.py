"""Many problems, read at a glance: ``FILE:ROW: field: problem`` lines grouped by problem.

A real export can have 1,400 rows with the same problem ("account: missing"): twenty of
them, then "... and 1,405 more", say less than one line per problem with its count and
first rows. Up to ``limit`` problems are listed as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ROW = re.compile(r"^(?P<file>.*?):(?P<row>\d+): (?P<what>.*)$", re.S)
ROWS_SHOWN = 8


def problem_lines(problems: Sequence[str], limit: int = 20) -> list[str]:
    """The lines to print for ``problems``: each one while there are at most ``limit``;
    past it, one line per distinct problem (most frequent first) with its count and its
    first rows, at most ``limit`` lines and a count of the rest."""
    if len(problems) <= limit:
        return list(problems)
    groups: dict[tuple[str, str], list[str]] = {}
    loose: list[str] = []
    for p in problems:
        m = _ROW.match(p)
        if m is None:
            loose.append(p)
        else:
            groups.setdefault((m["file"], m["what"]), []).append(m["row"])
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    out: list[str] = []
    counts: list[int] = []
    for (file, what), rows in ranked:
        n = len(rows)
        if n == 1:
            out.append(f"{file}:{rows[0]}: {what}")
        else:
            first = ", ".join(rows[:ROWS_SHOWN]) + (", ..." if n > ROWS_SHOWN else "")
            out.append(f"{file}: {what} — {n} rows ({first})")
        counts.append(n)
    out += loose
    counts += [1] * len(loose)
    if len(out) > limit:
        out = [*out[:limit], f"... and {sum(counts[limit:])} more"]
    return out
