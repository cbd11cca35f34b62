"""The typed result of ``khm report``: one :class:`Report` holding the sections asked for.

Built by :func:`khm.services.report.build_report`, turned into output by
:mod:`khm.render.report` (which may import this module, but no service).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from khm.core.funnel import FunnelReport
from khm.core.nps import NpsReport
from khm.core.period import Period
from khm.core.reports import (
    REPORT_KINDS,
    CoverageReport,
    MovementReport,
    NeglectedAccount,
    PortfolioReport,
    WorkloadReport,
)

#: every section a report can hold, in order: ``all``'s, then ``nps``
SECTIONS: tuple[str, ...] = (*REPORT_KINDS, "nps")


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
    #: the method version used (khm.services.history.InForce.as_dict)
    method_version: dict[str, object] | None = None
    #: accounts whose tags were changed after ``as_of`` and taken back to that day's
    tags_rewound: int = 0
    nps: NpsReport | None = None  # ``khm report nps`` (not part of ``all``)
    funnel: FunnelReport | None = None

    @property
    def sections(self) -> list[str]:
        return [k for k in SECTIONS if getattr(self, k) is not None]

    @property
    def overall_coverage(self) -> float | None:
        return self.coverage.totals.coverage_pct if self.coverage else None
