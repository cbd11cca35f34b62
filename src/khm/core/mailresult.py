"""What happened to each rep's weekly mail: the typed result of
:func:`khm.services.mail.mail_weekly`, shown by :func:`khm.render.mail.summary_lines`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MailStatus = Literal["sent", "written", "failed", "skipped"]


@dataclass(frozen=True)
class MailOutcome:
    """One rep: ``sent`` (the server accepted it), ``written`` (a dry run's .eml file),
    ``failed`` (``reason`` says why, in one line) or ``skipped`` (nothing due)."""

    rep: str
    address: str | None
    items: int
    overdue: int
    status: MailStatus
    reason: str = ""
    path: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"
