"""The typed result of ``khm report``: one :class:`Report` holding the sections asked for.

Built by :func:`khm.services.report.build_report`, turned into output by
:mod:`khm.render.report` (which may import this module, but no service).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from khm.core.funnel import FunnelReport
from khm.core.period import Period
from khm.core.reports import (
    REPORT_KINDS,
    CoverageReport,
    MovementReport,
    NeglectedAccount,
    PortfolioReport,
    WorkloadReport,
)


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
    funnel: FunnelReport | None = None

    @property
    def sections(self) -> list[str]:
        return [k for k in REPORT_KINDS if getattr(self, k) is not None]

    @property
    def overall_coverage(self) -> float | None:
        return self.coverage.totals.coverage_pct if self.coverage else None
