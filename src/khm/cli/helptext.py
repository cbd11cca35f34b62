"""Help text that reads at any terminal width.

typer (rich mode) keeps the single line breaks of a docstring, so a paragraph wrapped at
90 columns in the source comes out ragged in an 80-column terminal. :func:`reflow` joins
the lines of each prose paragraph (rich then wraps them to the terminal) and keeps what is
laid out on purpose: indented lines (examples), list items (``- ``, ``1. ``), lines after
a line ending in ``:``, and paragraphs starting with ``\\b``.
"""

from __future__ import annotations

import re
from typing import Any

_ITEM = re.compile(r"^(?:[-*•] |\d+[.)] )")


def reflow(text: str | None) -> str | None:
    if not text:
        return text
    out: list[str] = []
    for para in text.split("\n\n"):
        if para.startswith("\b"):
            out.append(para)
            continue
        lines: list[str] = []
        for line in para.split("\n"):
            starts_new = (
                not lines
                or line[:1].isspace()
                or _ITEM.match(line) is not None
                or lines[-1][:1].isspace()
                or lines[-1].rstrip().endswith(":")
                or not line.strip()
            )
            if starts_new:
                lines.append(line)
            else:
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        out.append("\n".join(lines))
    return "\n\n".join(out)


def reflow_command(cmd: Any) -> Any:
    """Reflow the help of a click command and of every command under it; returns it."""
    cmd.help = reflow(cmd.help)
    for sub in getattr(cmd, "commands", {}).values():
        reflow_command(sub)
    return cmd
