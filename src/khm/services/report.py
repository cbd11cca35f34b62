"""``khm report``: load what a report needs in a few set-based queries, run the pure report
maths (:mod:`khm.core.reports`) and return one typed :class:`Report`
(:mod:`khm.core.report_result`). Turning it into output is :mod:`khm.render.report`'s job.

Read-only: a report never writes to the database. A report for a past period uses the
method and the tags in force at its end (:mod:`khm.services.history`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from khm.core.nps import NpsReport, nps_report
from khm.core.period import Period, previous_period
from khm.core.report_result import Report
from khm.core.reports import (
    REPORT_KINDS,
    AccountFacts,
    coverage_report,
    last_touch_until,
    movement_report,
    neglected_report,
    portfolio_report,
    simulate_accounts,
    workload_report,
)
from khm.errors import NotFoundError, UsageError
from khm.services.history import method_in_force

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from khm.method import Method
    from khm.store.db import Store

#: ``nps`` is asked for on its own: ``all`` is the method-keeping sections
ALL_KINDS: tuple[str, ...] = (*REPORT_KINDS, "nps", "all")

__all__ = ["ALL_KINDS", "Report", "build_report", "max_grace_days"]


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


def _nps_section(conn: Any, period: Period, as_of: date, rep: str | None) -> NpsReport:
    """The NPS of the period against the previous one (:mod:`khm.core.nps`)."""
    from khm.store import nps as qn

    previous = previous_period(period)
    return nps_report(
        period=period,
        previous=previous,
        as_of=as_of,
        accounts=qn.report_accounts(conn, rep),
        responses=qn.responses_between(conn, previous.start, period.end),
        last_asked=qn.last_asked(conn, as_of),
    )


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
    with store.engine.connect() as conn:
        if rep is not None and not q.rep_exists(conn, rep):
            raise NotFoundError(f"--rep: no rep with handle {rep!r} (see 'khm rep list')")
        # the method and the tags in force at the end of the period (docs/reports.md)
        in_force = method_in_force(conn, method, as_of, today)
        method = in_force.method
        report = Report(kind, period, today, as_of, rep, method.name)
        report.method_version = in_force.as_dict()
        if kind == "nps":
            report.nps = _nps_section(conn, period, as_of, rep)
            return report
        accounts = q.load_accounts(conn, rep)
        report.tags_rewound = tags_as_of(conn, accounts, as_of)
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
        if "funnel" in wanted:
            from khm.core.funnel import funnel_report
            from khm.store.stages import changes_until

            report.funnel = funnel_report(
                method.lifecycle.stages,
                accounts,
                changes_until(conn, period.end, rep),
                period,
                as_of,
            )
    return report


def tags_as_of(conn: Connection, accounts: list[AccountFacts], day: date) -> int:
    """Give ``accounts`` the tags they had at the end of ``day``: the type/category
    changes made later are undone (:func:`khm.core.history.rewind_tags`). Reads the
    changes after ``day`` only, so a report of last month reads a month of changes."""
    from khm.core.history import rewind_tags
    from khm.store import history as h

    cut = datetime.combine(day + timedelta(days=1), time())
    later = h.tag_changes_after(conn, cut)
    if not later:
        return 0
    earlier = h.earlier_tags(conn, cut, {c.account_id for c in later if c.old is not None})
    return rewind_tags(accounts, later, earlier)
