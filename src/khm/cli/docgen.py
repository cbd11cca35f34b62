"""Generate docs/cli.md from the commands' own help (``python -m khm.cli.docgen``).

A test checks that docs/cli.md equals this output, so the reference cannot drift from
``--help``.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any


def _root() -> Any:
    import typer.main

    from khm.cli.main import app

    return typer.main.get_command(app)


def _walk(cmd: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    import typer

    out = [(path, cmd)]
    if hasattr(cmd, "list_commands"):
        ctx = typer.Context(cmd, info_name="khm")
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if getattr(sub, "hidden", False):
                continue
            out.extend(_walk(sub, (*path, name)))
    return out


def _is_arg(p: Any) -> bool:
    return getattr(p, "param_type_name", "") == "argument"


def _default(p: Any) -> str:
    if not _is_arg(p) and (getattr(p, "is_flag", False) and not p.secondary_opts):
        return ""
    d: Any = p.default
    if d is None or d == () or d == [] or callable(d):
        return ""
    if not _is_arg(p) and not getattr(p, "show_default", True):
        return ""
    return f"`{d}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def generate() -> str:
    from khm.errors import ExitCode

    root = _root()
    lines = [
        "# CLI reference",
        "",
        "Generated from the commands' own `--help` by `python -m khm.cli.docgen > docs/cli.md`;",
        "a test fails when this file and `--help` disagree.",
        "",
        "## Exit codes",
        "",
        "| code | name | meaning |",
        "| ---: | --- | --- |",
    ]
    meaning = {
        "OK": "success",
        "UNEXPECTED": "a bug: please report it (set KHM_RAISE_ERRORS=1 for the traceback)",
        "USAGE": "bad command line: unknown option, bad argument value",
        "BAD_INPUT": "a file, row or field that cannot be read (import, dates, ...)",
        "BAD_METHOD": "the method file is invalid",
        "NOT_FOUND": "an account, rep or touch that does not exist",
        "DATABASE": "the database cannot be opened or migrated",
        "CONFLICT": "the request contradicts the data (duplicate key, no rep of a role, ...)",
        "BELOW_THRESHOLD": "a report's coverage is under --fail-under",
        "MAIL_FAILED": "`khm weekly --mail`: one or more reps' messages were not sent "
        "(each is reported; the others were sent)",
    }
    for code in ExitCode:
        lines.append(f"| {int(code)} | {code.name} | {meaning.get(code.name, '')} |")
    lines.append("")
    import typer

    ctx_root = typer.Context(root, info_name="khm")
    for path, cmd in _walk(root, ()):
        name = " ".join(("khm", *path))
        lines.append(f"## `{name}`")
        lines.append("")
        ctx = typer.Context(cmd, info_name=name, parent=ctx_root if path else None)
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        lines.append(f"Usage: `{name} {usage}`".rstrip())
        lines.append("")
        if cmd.help:
            lines.append(inspect.cleandoc(cmd.help).replace("\b\n", ""))
            lines.append("")
        params = [p for p in cmd.params if not getattr(p, "hidden", False)]
        if params:
            lines.append("| option / argument | help | default |")
            lines.append("| --- | --- | --- |")
            for p in params:
                if _is_arg(p):
                    label = f"`{(p.metavar or p.name or '').upper()}`"
                    help_text = getattr(p, "help", "") or ""
                else:
                    label = ", ".join(f"`{o}`" for o in (*p.opts, *p.secondary_opts))
                    help_text = p.help or ""
                lines.append(f"| {label} | {_cell(help_text)} | {_default(p)} |")
            lines.append("")
        if hasattr(cmd, "list_commands"):
            subs = cmd.list_commands(ctx)
            lines.append("Commands: " + ", ".join(f"`{n}`" for n in subs))
            lines.append("")
        if cmd.epilog:
            lines.append(inspect.cleandoc(cmd.epilog))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
