"""A :class:`~khm.core.report_result.Report` as data every format shares: the JSON payload
(:func:`report_data`, the versioned contract), the tables of each section
(:func:`section_tables`, shared by the terminal, Markdown and HTML) and the one
finest-grain CSV table of each section (:func:`csv_table`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from khm.render.cells import Column

if TYPE_CHECKING:
    from khm.core.period import Period
    from khm.core.report_result import Report

STATUS_STYLE = {"on_time": "green", "late": "yellow", "missed": "red", "open": "bright_black"}
STATUS_CHAR = {"on_time": "█", "late": "▓", "missed": "░", "open": "·"}
BAR_WIDTH = 24  # characters of a bar in a terminal of WIDE_TERMINAL columns or more
WIDE_TERMINAL = 140
NARROW_TERMINAL = 100  # below this, a table leaves out its wide-only columns
MAX_WEEK_ROWS = 8  # longer periods show one sparkline per rep instead of a row per week
SPARK = " ▁▂▃▄▅▆▇█"
#: a terminal table shows at most this many rows (then its total); the rest are one
#: --format csv away (rich lays out a table as a whole: thousands of rows are for a file)
ROW_LIMIT = 200
ALL_ROWS_HINT = "--format csv (or json, markdown, html) lists them all"


# --------------------------------------------------------------------------- plain data (JSON)


def _rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [i.as_dict() for i in items]


def period_dict(p: Period) -> dict[str, Any]:
    return {"label": p.label, "start": p.start, "end": p.end, "days": p.days}


def section_data(report: Report, name: str) -> dict[str, Any]:
    """One section as plain data: what the JSON envelope carries under ``sections``."""
    if name == "coverage" and report.coverage is not None:
        c = report.coverage
        return {
            "accounts": c.accounts,
            "totals": c.totals.as_dict(),
            "by_segment": _rows(c.by_segment),
            "by_rep": _rows(c.by_rep),
            "by_mode": _rows(c.by_mode),
            "by_kind": _rows(c.by_kind),
            "rows": _rows(c.detail),
        }
    if name == "neglected" and report.neglected is not None:
        return {
            "as_of": report.as_of,
            "totals": {"accounts": len(report.neglected)},
            "rows": _rows(report.neglected),
        }
    if name == "portfolio" and report.portfolio is not None:
        p = report.portfolio
        return {
            "totals": p.totals.as_dict() | {"type": None, "category": None},
            "by_type": _rows(p.by_type),
            "by_category": _rows(p.by_category),
            "rows": _rows(p.cells),
        }
    if name == "workload" and report.workload is not None:
        w = report.workload
        totals = w.totals.as_dict()
        for k in ("rep", "week", "monday"):
            totals.pop(k)
        return {"totals": totals, "by_rep": _rows(w.by_rep), "rows": _rows(w.weeks)}
    if name == "movement" and report.movement is not None:
        m = report.movement
        return {
            "totals": {"changes": len(m.changes), **m.counts},
            "rows": _rows(m.changes),
        }
    if name == "nps" and report.nps is not None:
        from khm.render import nps

        return nps.section_data(report)
    if name == "funnel" and report.funnel is not None:
        return funnel_data(report)
    raise KeyError(name)


def _has_any(row: dict[str, Any]) -> bool:
    return any(row[k] for k in ("at_start", "entered", "at_end", "left"))


def funnel_data(report: Report) -> dict[str, Any]:
    """The funnel section: per stage (``rows``), the moves, and the same per rep and per
    type × category (one row per group and stage; stages no account of the group was in
    during the period are left out)."""
    f = report.funnel
    assert f is not None
    return {
        "stages": list(f.stages),
        "totals": {
            "accounts": f.accounts,
            "with_stage_at_start": f.accounts - f.without_stage_at_start,
            "with_stage_at_end": f.accounts - f.without_stage_at_end,
            "moves": sum(m.moves for m in f.moves),
            "accounts_moved": f.accounts_moved,
        },
        "rows": _rows(f.totals),
        "moves": _rows(f.moves),
        "by_rep": [
            {"rep": g.rep, **r.as_dict()} for g in f.by_rep for r in g.rows if _has_any(r.as_dict())
        ],
        "by_segment": [
            {"type": g.type, "category": g.category, **r.as_dict()}
            for g in f.by_segment
            for r in g.rows
            if _has_any(r.as_dict())
        ],
    }


def rate_text(rate: float | None) -> str:
    """A conversion rate for people: ``50.0 %``, or ``—`` when there is none."""
    return "—" if rate is None else f"{100 * rate:.1f} %"


def report_data(report: Report) -> dict[str, Any]:
    """The whole report as the versioned JSON envelope's payload."""
    return {
        "report": report.kind,
        "period": period_dict(report.period),
        "today": report.today,
        "rep": report.rep,
        "method": report.method_name,
        "sections": {name: section_data(report, name) for name in report.sections},
        "method_version": report.method_version,
        "tags_as_of": report.as_of,
        "tags_rewound": report.tags_rewound,
    }


def json_text(report: Report) -> str:
    from khm.render.json import dumps, envelope

    return dumps(envelope("report", **report_data(report))) + "\n"


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """One table of a section: a title, its columns and rows (plain values), optional totals."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    bar: str | None = None  # "coverage", "workload" or "nps": the chart beside the rows
    #: keys of the columns a terminal narrower than NARROW_TERMINAL leaves out
    wide_only: frozenset[str] = field(default_factory=frozenset)


_TALLY_COLS = (
    ("asked", "asked"),
    ("on_time", "on time"),
    ("late", "late"),
    ("missed", "missed"),
    ("open", "open"),
    ("coverage_pct", "coverage %"),
    ("skipped", "skipped"),  # of the missed: waited more than an interval
)


def _cols(*specs: tuple[str, str] | tuple[str, str, str]) -> list[Column]:
    return [Column(s[0], s[1], justify=s[2] if len(s) > 2 else "left") for s in specs]  # type: ignore[misc]


#: in a narrow terminal the coverage bar alone shows these counts
_BAR_SHOWS = frozenset({"late", "open", "skipped"})


def _tally_cols() -> list[tuple[str, str, str]]:
    return [(k, h, "right") for k, h in _TALLY_COLS]


def section_tables(report: Report, name: str) -> list[Table]:
    """The tables a reader sees for one section (terminal, Markdown, HTML)."""
    if name == "nps":
        from khm.render import nps

        return nps.section_tables(report)
    data = section_data(report, name)
    if name == "coverage":
        total = {**data["totals"]}
        return [
            Table(
                "by_segment",
                "Coverage by type × category",
                _cols(("type", "type"), ("category", "category"), *_tally_cols()),
                data["by_segment"],
                {"type": "total", "category": "", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_rep",
                "Coverage by rep (account owner)",
                _cols(("rep", "rep"), *_tally_cols()),
                data["by_rep"],
                {"rep": "total", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_mode",
                "Human vs digital",
                _cols(("mode", "mode"), *_tally_cols()),
                data["by_mode"],
                {"mode": "total", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
            Table(
                "by_kind",
                "By activity kind",
                _cols(("kind", "kind"), ("mode", "mode"), *_tally_cols()),
                data["by_kind"],
                {"kind": "total", "mode": "", **total},
                bar="coverage",
                wide_only=_BAR_SHOWS,
            ),
        ]
    if name == "neglected":
        return [
            Table(
                "rows",
                f"Neglected accounts on {report.as_of.isoformat()} (longest silence first)",
                _cols(
                    ("key", "key"),
                    ("name", "name"),
                    ("owner", "owner"),
                    ("type", "type"),
                    ("category", "cat"),
                    ("last_touch", "last touch"),
                    ("days_silent", "days silent", "right"),
                    ("allowed_days", "allowed", "right"),
                    ("longest", "longest interval"),
                ),
                [{**r, "last_touch": r["last_touch"] or "never"} for r in data["rows"]],
                wide_only=frozenset({"name", "allowed_days"}),
            )
        ]
    if name == "portfolio":
        share_cols = (
            ("accounts", "accounts", "right"),
            ("account_share_pct", "% of accounts", "right"),
            ("revenue", "revenue", "right"),
            ("revenue_share_pct", "% of revenue", "right"),
        )
        total = {**data["totals"], "type": "total", "category": ""}
        return [
            Table(
                "rows",
                "Portfolio: type × category",
                _cols(("type", "type"), ("category", "category"), *share_cols),
                data["rows"],
                total,
            ),
            Table(
                "by_type",
                "By type",
                _cols(("type", "type"), *share_cols),
                data["by_type"],
                {**total, "type": "total"},
            ),
            Table(
                "by_category",
                "By category",
                _cols(("category", "category"), *share_cols),
                data["by_category"],
                {**total, "category": "total"},
            ),
        ]
    if name == "workload":
        wcols = (
            ("planned_effort", "planned effort", "right"),
            ("done_effort", "done effort", "right"),
            ("capacity", "capacity", "right"),
            ("planned_touches", "planned", "right"),
            ("done_touches", "done", "right"),
        )
        return [
            Table(
                "by_rep",
                "Human workload per rep over the period (effort units)",
                _cols(("rep", "rep"), *wcols),
                data["by_rep"],
                {"rep": "total", **data["totals"]},
                bar="workload",
                wide_only=frozenset({"planned_touches", "done_touches"}),
            ),
            Table(
                "rows",
                "Human workload per rep per ISO week",
                _cols(("rep", "rep"), ("week", "week"), *wcols),
                data["rows"],
                bar="workload",
                wide_only=frozenset({"planned_touches", "done_touches"}),
            ),
        ]
    if name == "movement":
        counts = data["totals"]
        return [
            Table(
                "counts",
                "Tag movements by direction",
                _cols(("direction", "direction"), ("changes", "changes", "right")),
                [
                    {"direction": d.replace("_", " "), "changes": counts[d]}
                    for d in counts
                    if d != "changes" and counts[d]
                ],
                {"direction": "total", "changes": counts["changes"]},
            ),
            Table(
                "rows",
                "Tag changes in the period",
                _cols(
                    ("changed_at", "when"),
                    ("key", "key"),
                    ("name", "name"),
                    ("owner", "owner"),
                    ("field", "field"),
                    ("old", "old"),
                    ("new", "new"),
                    ("direction", "direction"),
                    ("who", "who"),
                    ("reason", "reason"),
                ),
                data["rows"],
                wide_only=frozenset({"name", "owner", "direction"}),
            ),
        ]
    if name == "funnel":
        return funnel_tables(data)
    raise KeyError(name)


#: the funnel's stage columns (key, title, justify) after the group columns
_FUNNEL_COLS = (
    ("at_start", "start", "right"),
    ("entered", "entered", "right"),
    ("moved_on", "moved on", "right"),
    ("moved_back", "back", "right"),
    ("at_end", "end", "right"),
    ("conversion", "conversion", "right"),
    ("median_days", "median days", "right"),
    ("median_age_days", "median age", "right"),
)
#: in a narrow terminal (80 columns) these stay out
_FUNNEL_WIDE = frozenset({"moved_back", "median_age_days", "entered"})


def _with_rate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "conversion": rate_text(r["conversion_rate"])} for r in rows]


def funnel_tables(data: dict[str, Any]) -> list[Table]:
    t = data["totals"]
    counts = ("at_start", "entered", "moved_on", "moved_back", "at_end")
    total = {"stage": "total", **{k: "" for k in counts}}
    total["at_start"] = t["with_stage_at_start"]
    total["at_end"] = t["with_stage_at_end"]
    return [
        Table(
            "rows",
            "Funnel: accounts per stage (conversion = moved on ÷ in the stage)",
            _cols(("stage", "stage"), *_FUNNEL_COLS),
            _with_rate(data["rows"]),
            total,
            bar="funnel",
            wide_only=_FUNNEL_WIDE,
        ),
        Table(
            "moves",
            "Moves between stages in the period",
            _cols(
                ("from", "from"),
                ("to", "to"),
                ("direction", "direction"),
                ("moves", "moves", "right"),
                ("accounts", "accounts", "right"),
            ),
            data["moves"],
            {"from": "total", "to": "", "direction": "", "moves": t["moves"], "accounts": ""},
        ),
        Table(
            "by_rep",
            "Funnel by rep (account owner)",
            _cols(("rep", "rep"), ("stage", "stage"), *_FUNNEL_COLS),
            _with_rate(data["by_rep"]),
            wide_only=_FUNNEL_WIDE | {"median_days"},
        ),
        Table(
            "by_segment",
            "Funnel by type × category",
            _cols(("type", "type"), ("category", "cat"), ("stage", "stage"), *_FUNNEL_COLS),
            _with_rate(data["by_segment"]),
            wide_only=_FUNNEL_WIDE | {"median_days"},
        ),
    ]


#: the funnel's CSV: every group's stage rows in one table, ``scope`` saying which
FUNNEL_CSV_COLUMNS = (
    "scope",
    "rep",
    "type",
    "category",
    "stage",
    "at_start",
    "entered",
    "in_stage",
    "moved_on",
    "moved_back",
    "left",
    "at_end",
    "conversion_rate",
    "median_days",
    "median_age_days",
)


def funnel_csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of every group, the rate written with its four decimals (a CSV cell of a
    float keeps two)."""
    out = [{"scope": "total", **r} for r in data["rows"]]
    out += [{"scope": "rep", **r} for r in data["by_rep"]]
    out += [{"scope": "segment", **r} for r in data["by_segment"]]
    for r in out:
        rate = r["conversion_rate"]
        r["conversion_rate"] = None if rate is None else f"{rate:.4f}".rstrip("0").rstrip(".")
    return out


def csv_table(report: Report, name: str) -> Table:
    """The one CSV table of a section: its finest grain, so every total is a column sum."""
    if name == "nps":
        from khm.render import nps

        return nps.csv_table(report)
    data = section_data(report, name)
    if name == "coverage":
        cols = _cols(
            ("rep", "rep"),
            ("type", "type"),
            ("category", "category"),
            ("kind", "kind"),
            ("mode", "mode"),
            *_tally_cols(),
        )
    elif name == "workload":
        cols = _cols(
            ("rep", "rep"),
            ("week", "week"),
            ("monday", "monday"),
            ("planned_effort", "planned_effort"),
            ("planned_touches", "planned_touches"),
            ("done_effort", "done_effort"),
            ("done_touches", "done_touches"),
            ("capacity", "capacity"),
        )
    elif name == "movement":
        cols = _cols(
            *[(k, k) for k in ("changed_at", "key", "name", "owner", "field", "old", "new")],
            *[(k, k) for k in ("direction", "who", "reason")],
        )
    elif name == "portfolio":
        cols = _cols(
            *[(k, k) for k in ("type", "category", "accounts", "account_share_pct")],
            *[(k, k) for k in ("revenue", "revenue_share_pct")],
        )
    elif name == "funnel":
        return Table(
            name, name, _cols(*[(k, k) for k in FUNNEL_CSV_COLUMNS]), funnel_csv_rows(data)
        )
    else:
        cols = list(section_tables(report, name)[0].columns)
    return Table(name, name, cols, data["rows"])


# --------------------------------------------------------------------------- CSV, Markdown


def csv_text(report: Report, name: str | None = None) -> str:
    """One section (default: the first) as CSV."""
    from khm.render.table import csv_text as table_csv

    t = csv_table(report, name or report.sections[0])
    return table_csv(t.rows, t.columns)


def csv_sections(report: Report) -> Iterator[tuple[str, str]]:
    """(section name, CSV text) for every section: ``report all -f csv -o DIR``."""
    for name in report.sections:
        yield name, csv_text(report, name)


def history_note(report: Report) -> str | None:
    """One line when a past period was measured with another method than this command's
    or with tags taken back to the period's end (docs/reports.md); else None."""
    v = report.method_version or {}
    parts = []
    if v and not v.get("current", True):
        seen = v.get("first_seen_at")
        when = f", first seen {seen:%Y-%m-%d}" if seen is not None else ""  # type: ignore[str-format]
        parts.append(
            f"method version {str(v.get('hash', ''))[:12]} ({v.get('path') or 'built-in'}{when}),"
            " not the file in use"
        )
    if report.tags_rewound:
        parts.append(f"the tags of {report.tags_rewound} account(s) as they were then")
    if not parts:
        return None
    return f"In force on {report.as_of.isoformat()}: " + "; ".join(parts) + "."


def title_of(report: Report) -> str:
    what = "all sections" if report.kind == "all" else report.kind
    rep = f", rep {report.rep}" if report.rep else ""
    p = report.period
    return f"khm report: {what}, {p.label} ({p.start.isoformat()} – {p.end.isoformat()}){rep}"
