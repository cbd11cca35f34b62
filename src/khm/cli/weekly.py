"""``khm weekly``: each rep's follow-up list for one ISO week.

Thin: parse options, call :func:`khm.services.weekly.build_weekly`, hand the plan to
:mod:`khm.render.weekly` (table, JSON, JSONL, CSV, Markdown, iCalendar), to stdout or one
file per rep (``--out-dir``, for cron to mail), and map errors. The rules are in
docs/weekly.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today
from khm.render.weekly import FORMATS, render, write_out_dir

if TYPE_CHECKING:
    from datetime import date

    from khm.cli.common import KhmContext
    from khm.method import Method
    from khm.services.mail import SmtpSettings


def weekly(
    ctx: typer.Context,
    rep: Annotated[
        str | None,
        typer.Option("--rep", "-r", help="Only this rep's list (default: every active rep)."),
    ] = None,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            "-w",
            help="ISO week, e.g. 2026-W48 (default: the week of --today).",
            show_default=False,
        ),
    ] = None,
    today: TodayOption = None,
    fmt: str = format_option(FORMATS),
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Write one file per rep (<handle>-<week>.<ext>) into this directory "
            "instead of printing; reps with nothing due are skipped. A handle that is not a "
            "plain file name gets 8 hex digits of its hash; a file that cannot be written "
            "is reported, the others are still written (exit 3).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    include_empty: Annotated[
        bool,
        typer.Option(
            "--include-empty", help="With --out-dir or --mail: also reps with nothing due."
        ),
    ] = False,
    ics_kind: Annotated[
        str,
        typer.Option(
            "--ics-kind",
            help="With --format ics: 'todo' (VTODO tasks; Thunderbird, Apple) or 'event' "
            "(all-day events; Google Calendar, Outlook).",
        ),
    ] = "todo",
    mail: Annotated[
        bool,
        typer.Option(
            "--mail",
            help="E-mail each rep their list (one message, text and HTML) through the SMTP "
            "server of KHM_SMTP_HOST, _PORT, _FROM, _USER, _PASSWORD, _TLS (or [smtp] in "
            "config.toml, without the password). Reps with nothing due are skipped unless "
            "--include-empty; a rep without an e-mail address counts as failed.",
        ),
    ] = False,
    mail_dry_run: Annotated[
        bool,
        typer.Option(
            "--mail-dry-run",
            help="Like --mail, but write each message to --out-dir as <handle>-<week>.eml "
            "and send nothing (no SMTP server needed).",
        ),
    ] = False,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Table and Markdown: every column (tactic and reason on each line)."
        ),
    ] = False,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            help="One account's items of the week in full (tactic, reasons), or why none.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The week's follow-up list per rep: what to do with which account, and why.

    Due and overdue activities by priority (overdue first, then lateness, category A-D,
    expand before keep); human work within each rep's capacity, the rest carried to next
    week and counted; no human work in no-human periods and on the account's public
    holidays. `--format csv` is the plan export; `--format jsonl` writes one JSON object
    per listed item (with its week and rep), no envelope. In a terminal the list is
    compact (one line per item, the tactics once under it); `--wide` shows every
    column. With `--out-dir` and `--format ics`, `<handle>.ics` holds this week and the
    next, for a calendar to subscribe to. Rules: docs/weekly.md.
    """
    from khm.errors import UsageError
    from khm.services.weekly import parse_iso_week

    if ics_kind not in ("todo", "event"):
        raise UsageError(f"--ics-kind: {ics_kind!r} is not one of todo, event")
    if week is not None:
        parse_iso_week(week)  # a bad week fails before the database is opened
    if wide and fmt not in ("table", "markdown"):
        raise UsageError(f"--wide: only with --format table or markdown, not {fmt}")
    if account is not None and (fmt != "table" or out_dir is not None):
        raise UsageError("--account: shows one account in the terminal (no --format, --out-dir)")
    settings = _mail_settings(ctx, out_dir, mail_dry_run) if mail or mail_dry_run else None
    day = resolve_today(today)
    k = kctx(ctx)
    method = k.method()
    if account is not None:
        from khm.render.weekly_compact import render_account
        from khm.services.weekly import account_week

        render_account(account_week(k.store(), method, key=account, today=day, week=week, rep=rep))
        return
    if settings is not None:
        _mail(k, method, day, week, rep, settings, out_dir, include_empty)
        return
    _weekly(k, method, day, week, rep, fmt, out_dir, include_empty, ics_kind, wide)


def _weekly(
    k: KhmContext,
    method: Method,
    day: date,
    week: str | None,
    rep: str | None,
    fmt: str,
    out_dir: Path | None,
    include_empty: bool,
    ics_kind: str,
    wide: bool,
) -> None:
    from datetime import timedelta

    from khm.core.planner import week_label
    from khm.services.weekly import build_weekly

    plan = build_weekly(k.store(), method, today=day, week=week, rep=rep)
    if out_dir is not None:
        following = None
        if fmt == "ics":  # <handle>.ics: this week and the next, for a subscription
            following = build_weekly(
                k.store(),
                method,
                today=day,
                week=week_label(plan.monday + timedelta(days=7)),
                rep=rep,
            )
        lines, failed = write_out_dir(
            plan, fmt, out_dir, following, include_empty=include_empty, ics_kind=ics_kind, wide=wide
        )
        for line in lines:
            typer.echo(line)
        if failed:
            from khm.errors import InputError

            raise InputError(
                f"--out-dir {out_dir}: {len(failed)} file(s) not written (the others were)",
                details=failed,
            )
        return
    render(plan, fmt, ics_kind=ics_kind, wide=wide)


def _mail_settings(ctx: typer.Context, out_dir: Path | None, dry_run: bool) -> SmtpSettings:
    """Refuse what cannot work, and read the SMTP settings, before the database opens."""
    import os

    from khm.cli.common import config_dir
    from khm.errors import UsageError
    from khm.services.mail import load_settings

    source = ctx.get_parameter_source("fmt")  # typer's own click: compare by name
    if source is not None and source.name != "DEFAULT":
        raise UsageError("--mail sends text and HTML: drop --format")
    if dry_run and out_dir is None:
        raise UsageError("--mail-dry-run needs --out-dir DIR for the .eml files")
    if not dry_run and out_dir is not None:
        raise UsageError("--mail sends, --out-dir writes: add --mail-dry-run to write .eml files")
    return load_settings(os.environ, config_dir() / "config.toml", need_host=not dry_run)


def _mail(
    k: KhmContext,
    method: Method,
    day: date,
    week: str | None,
    rep: str | None,
    settings: SmtpSettings,
    out_dir: Path | None,
    include_empty: bool,
) -> None:
    from datetime import datetime

    from khm.errors import MailError
    from khm.render.mail import summary_lines
    from khm.services.mail import mail_weekly
    from khm.services.weekly import build_weekly

    plan = build_weekly(k.store(), method, today=day, week=week, rep=rep)
    now = datetime.now().astimezone()
    done = mail_weekly(plan, settings, include_empty=include_empty, now=now, out_dir=out_dir)
    for line in summary_lines(done, include_empty=include_empty):
        typer.echo(line)
    failed = [o.rep for o in done if o.failed]
    if failed:
        tried = sum(1 for o in done if o.status != "skipped")
        raise MailError(f"{len(failed)} of {tried} message(s) not sent: {', '.join(failed)}")


EXIT_CODES_HELP = """\
Exit codes: 0 every list written or sent; 2 bad command line (bad --week, --mail with
--format, missing or invalid KHM_SMTP_* settings); 3 --out-dir cannot be written, or an
invalid config.toml (a password in it); 4 invalid method file; 5 --rep names no rep;
6 database cannot be opened; 7 --rep names an inactive rep; 9 --mail: one or more
messages not sent (each rep's reason is printed; the others were sent); 1 a bug.
"""


def register(app: typer.Typer) -> None:
    """Adds ``khm weekly`` to the root app."""
    app.command("weekly", epilog=" ".join(EXIT_CODES_HELP.split()))(weekly)
