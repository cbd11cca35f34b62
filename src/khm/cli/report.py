"""``khm report KIND``: did the team keep the method? For people and for cron.

Thin: parse the options, call :func:`khm.services.report.build_report`, hand the report to
:mod:`khm.render.report` (written atomically with ``--output``), then apply
``--fail-under``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khm.cli.common import TodayOption, format_option, kctx, resolve_today

REPORT_FORMATS = ("table", "markdown", "html", "csv", "json")
KINDS = (
    "coverage",
    "neglected",
    "portfolio",
    "workload",
    "movement",
    "funnel",
    "nps",
    "all",
)

EXIT_CODES_HELP = """\
Exit codes: 0 report written (and coverage at or above --fail-under);
2 bad command line (unknown KIND, bad --period, csv of 'all' without an --output directory);
3 --output cannot be written;
4 invalid method file; 5 --rep names no rep; 6 database cannot be opened;
8 coverage below --fail-under (the report is still written first); 1 a bug.
"""


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help=(
            "Did the team keep the method? KIND is coverage (activities the cadence asked "
            "for in the period: done on time, late, missed), neglected (silent accounts), "
            "portfolio (type × category matrix), workload (planned vs done human effort per "
            "rep and week, with capacity), movement (tag changes), funnel (lifecycle stages: "
            "accounts per stage, moves, conversion rate of each step), all (those six) or nps "
            "(Net Promoter Score of the period's responses, by segment, rep and month, the "
            "trend, accounts not asked for a year). Definitions: docs/reports.md."
        ),
        epilog=EXIT_CODES_HELP.replace("\n", " "),
    )(report)


def report(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="coverage, neglected, portfolio, workload, movement, funnel, all or nps.",
            metavar="KIND",
            show_default=False,
        ),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2026-W48, 2026-11, 2026-Q4, 2026, last-week, last-month, last-quarter, "
            "last-year or FROM..TO dates. Default: the last full month.",
            show_default=False,
        ),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", "-r", help="Only this rep's accounts (by handle).", show_default=False
        ),
    ] = None,
    fmt: str = format_option(REPORT_FORMATS),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically: temp file + rename) instead of stdout. "
            "For 'all' in csv: a directory (created if missing), one KIND.csv per section.",
            show_default=False,
        ),
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under",
            min=0,
            max=100,
            help="Exit with code 8 when overall coverage % is below this (after writing).",
            show_default=False,
        ),
    ] = None,
    today: TodayOption = None,
) -> None:
    from khm.core.period import default_period, parse_period
    from khm.errors import BelowThresholdError, UsageError
    from khm.services.report import build_report

    k = kind.strip().lower()
    if k not in KINDS:
        raise UsageError(f"KIND: {kind!r} is not one of {', '.join(KINDS)}")
    day = resolve_today(today)
    try:
        per = parse_period(period, day) if period else default_period(day)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    if k == "all" and fmt == "csv" and not _is_dir_target(output):
        raise UsageError(
            "report all --format csv: CSV holds one table per KIND; give --output DIR "
            "(a directory, created if missing: one KIND.csv per section) or run one KIND "
            "at a time (or use --format json)"
        )
    c = kctx(ctx)
    c.record_method = False  # a report reads the method history; it does not add to it
    result = build_report(c.store(), c.method(), k, per, day, rep)

    from khm.render import report as view

    if fmt == "csv" and k == "all":
        assert output is not None
        for name, text in view.csv_sections(result):
            _write(output / f"{name}.csv", text)
    elif output is not None:
        _write(output, view.render_text(result, fmt))
    else:
        view.write_report(result, fmt)

    if fail_under is not None:
        cov = result.overall_coverage
        if result.coverage is None:
            cov = build_report(c.store(), c.method(), "coverage", per, day, rep).overall_coverage
        if cov is None or cov < fail_under:
            from khm.cli.common import set_output_format

            # the report is already on stdout: the threshold message goes to stderr only,
            # so JSON output stays one parseable document
            set_output_format("table")
            if cov is None:  # n/a must not pass cron: a wrong database plans nothing
                raise BelowThresholdError(
                    f"nothing was planned for {per.label} (coverage n/a), so --fail-under "
                    f"{fail_under:g}% fails: check the database, the tags and the owners"
                )
            raise BelowThresholdError(
                f"coverage {cov:g}% for {per.label} is below --fail-under {fail_under:g}%"
            )


def _write(path: Path, text: str) -> None:
    """Atomic write with the user's umask; a path that cannot be written is a clean error
    naming it."""
    from khm.errors import InputError
    from khm.render import atomic_write_text

    if path.is_dir():
        raise InputError(f"--output {path}: is a directory (give a file name)")
    try:
        # the report gets the usual permissions (0666 less the umask, not the temporary
        # file's 0600), so a web server or a mail job run as another user can read it
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


def _is_dir_target(output: Path | None) -> bool:
    """For ``all`` in CSV: an existing directory, or a new path not named ``*.csv``."""
    if output is None:
        return False
    return output.is_dir() or (not output.exists() and output.suffix.lower() != ".csv")
