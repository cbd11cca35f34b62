"""``khm report``: load what a report needs in a few set-based queries, run the pure report
maths (:mod:`khm.core.reports`) and return one typed :class:`Report`.

Read-only: a report never writes to the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from khm.core.period import Period
from khm.core.reports import (
    REPORT_KINDS,
    CoverageReport,
    MovementReport,
    NeglectedAccount,
    PortfolioReport,
    WorkloadReport,
    coverage_report,
    last_touch_until,
    movement_report,
    neglected_report,
    portfolio_report,
    simulate_accounts,
    workload_report,
)
from khm.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store

ALL_KINDS: tuple[str, ...] = (*REPORT_KINDS, "all")


@dataclass
class Report:
    kind: str  # the KIND asked for (a section name or "all")
    period: Period
    today: date
    as_of: date  # the day silence is measured on: min(period end, today)
    rep: str | None
    method_name: str
    coverage: CoverageReport | None = None
    neglected: list[NeglectedAccount] | None = None
    portfolio: PortfolioReport | None = None
    workload: WorkloadReport | None = None
    movement: MovementReport | None = None

    @property
    def sections(self) -> list[str]:
        return [k for k in REPORT_KINDS if getattr(self, k) is not None]

    @property
    def overall_coverage(self) -> float | None:
        return self.coverage.totals.coverage_pct if self.coverage else None


def max_grace_days(method: Method) -> int:
    out = 0
    for cats in method.cadence.values():
        for plan in cats.values():
            for interval in plan.values():
                out = max(out, method.grace.grace_days(interval))
    return out


def build_report(
    store: Store,
    method: Method,
    kind: str,
    period: Period,
    today: date,
    rep: str | None = None,
) -> Report:
    """Compute the report ``kind`` (a KIND or ``all``) for ``period`` as seen on ``today``."""
    if kind not in ALL_KINDS:
        raise UsageError(f"report: unknown KIND {kind!r} (use {', '.join(ALL_KINDS)})")
    return _build_report(store, method, kind, period, today, rep)


def _build_report(
    store: Store,
    method: Method,
    kind: str,
    period: Period,
    today: date,
    rep: str | None,
) -> Report:
    from khm.store import reporting as q

    wanted = set(REPORT_KINDS) if kind == "all" else {kind}
    as_of = min(period.end, today)
    report = Report(kind, period, today, as_of, rep, method.name)
    with store.engine.connect() as conn:
        if rep is not None and not q.rep_exists(conn, rep):
            raise NotFoundError(f"--rep: no rep with handle {rep!r} (see 'khm rep list')")
        accounts = q.load_accounts(conn, rep)
        last_any: dict[int, date] | None = None
        if wanted & {"coverage", "workload"}:
            reps = q.load_reps(conn)
            last_before = q.last_touch_before(conn, period.start, rep)
            horizon = period.end + timedelta(days=max_grace_days(method))
            by_acc, done = q.touch_streams(
                conn,
                period.start,
                horizon,
                done_from=period.start,
                done_until=period.end,
                human={k for k, a in method.activities.items() if a.mode == "human"},
            )
            if "neglected" in wanted and period.start <= as_of:
                # the touches just read reach as_of: no second pass over the touch table
                last_any = last_touch_until(as_of.toordinal(), last_before, by_acc)
            sim = simulate_accounts(
                method=method,
                period=period,
                today=today,
                accounts=accounts,
                last_before=last_before,
                touches=by_acc,
            )
            if "coverage" in wanted:
                report.coverage = coverage_report(method, sim, len(accounts))
            if "workload" in wanted:
                report.workload = workload_report(
                    method=method,
                    period=period,
                    sim=sim,
                    reps=reps,
                    done=[(w, k, d, n) for (w, k, d), n in done.items()],
                    only_rep=rep,
                )
        if "neglected" in wanted:
            if last_any is None:
                last_any = q.last_touch_any(conn, as_of, rep)
            report.neglected = neglected_report(
                method=method, as_of=as_of, accounts=accounts, last_any=last_any
            )
        if "portfolio" in wanted:
            report.portfolio = portfolio_report(accounts)
        if "movement" in wanted:
            changes = q.tag_changes_between(conn, period.start, period.end)
            report.movement = movement_report(changes, {a.id: a for a in accounts})
    return report


# --------------------------------------------------------------------------- plain data views


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
    raise KeyError(name)


def report_data(report: Report) -> dict[str, Any]:
    """The whole report as the versioned JSON envelope's payload."""
    return {
        "report": report.kind,
        "period": period_dict(report.period),
        "today": report.today,
        "rep": report.rep,
        "method": report.method_name,
        "sections": {name: section_data(report, name) for name in report.sections},
    }


# --------------------------------------------------------------------------- tables (shared by every format)


@dataclass(frozen=True)
class Table:
    """One table of a section: a title, its columns and rows (plain values), optional totals."""

    name: str
    title: str
    columns: list[Any]  # khm.render.Column
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    bar: str | None = None  # "coverage" or "workload": the chart drawn beside the rows


_TALLY_COLS = (
    ("asked", "asked"),
    ("on_time", "on time"),
    ("late", "late"),
    ("missed", "missed"),
    ("open", "open"),
    ("coverage_pct", "coverage %"),
)


def _cols(*specs: tuple[str, str] | tuple[str, str, str]) -> list[Any]:
    from khm.render import Column

    return [Column(s[0], s[1], justify=s[2] if len(s) > 2 else "left") for s in specs]  # type: ignore[misc]


def _tally_cols() -> list[tuple[str, str, str]]:
    return [(k, h, "right") for k, h in _TALLY_COLS]


def section_tables(report: Report, name: str) -> list[Table]:
    """The tables a reader sees for one section (terminal, Markdown, HTML)."""
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
            ),
            Table(
                "by_rep",
                "Coverage by rep (account owner)",
                _cols(("rep", "rep"), *_tally_cols()),
                data["by_rep"],
                {"rep": "total", **total},
                bar="coverage",
            ),
            Table(
                "by_mode",
                "Human vs digital",
                _cols(("mode", "mode"), *_tally_cols()),
                data["by_mode"],
                {"mode": "total", **total},
                bar="coverage",
            ),
            Table(
                "by_kind",
                "By activity kind",
                _cols(("kind", "kind"), ("mode", "mode"), *_tally_cols()),
                data["by_kind"],
                {"kind": "total", "mode": "", **total},
                bar="coverage",
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
            ),
            Table(
                "rows",
                "Human workload per rep per ISO week",
                _cols(("rep", "rep"), ("week", "week"), *wcols),
                data["rows"],
                bar="workload",
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
            ),
        ]
    raise KeyError(name)


def csv_table(report: Report, name: str) -> Table:
    """The one CSV table of a section: its finest grain, so every total is a column sum."""
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
    else:
        cols = [c for c in section_tables(report, name)[0].columns]
    return Table(name, name, cols, data["rows"])
