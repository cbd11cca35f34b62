"""A rep's weekly list as one e-mail, and the lines that say what ``--mail`` did.

Pure: a plan and a rep in, an :class:`email.message.EmailMessage` out
(multipart/alternative: the Markdown list as text/plain, :mod:`khm.render.weekly_html`
as text/html); sending is :mod:`khm.services.mail`. Both parts are quoted-printable, so
the message is 7-bit clean for any SMTP server and æøå survive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from email.message import EmailMessage

    from khm.core.mailresult import MailOutcome
    from khm.core.planner import RepPlan, WeeklyPlan


def one_line(text: str) -> str:
    """Header-safe text: no line breaks, runs of white space as one space."""
    return " ".join(text.split())


def subject(plan: WeeklyPlan, rep: RepPlan) -> str:
    """``khm 2026-W49: 12 items, 3 overdue`` (``nothing due`` for an empty list)."""
    from khm.render.weekly_html import counts_text

    return f"khm {plan.week}: {counts_text(rep)}"


def weekly_message(
    plan: WeeklyPlan,
    rep: RepPlan,
    *,
    sender: str,
    to: str,
    date: str | None = None,
    msgid: str | None = None,
) -> EmailMessage:
    """The message for ``rep``, from ``sender`` to ``to`` (addresses as written in the
    settings and on the rep). ``date`` and ``msgid`` (RFC 5322 Date and Message-ID) are
    the caller's: this function reads no clock."""
    import io
    from email.message import EmailMessage
    from email.utils import formataddr, parseaddr

    from khm.render.weekly import render
    from khm.render.weekly_html import render_html

    text = io.StringIO()
    render(plan, "markdown", reps=[rep], file=text)
    msg = EmailMessage()
    msg["Subject"] = subject(plan, rep)
    msg["From"] = one_line(sender)
    msg["To"] = formataddr((one_line(rep.name or rep.handle), parseaddr(to)[1] or to.strip()))
    if date is not None:
        msg["Date"] = date
    if msgid is not None:
        msg["Message-ID"] = msgid
    msg["X-khm-week"] = plan.week
    msg["X-khm-rep"] = one_line(rep.handle)
    msg.set_content(text.getvalue(), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(
        render_html(plan, [rep]), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return msg


def summary_lines(outcomes: Sequence[MailOutcome], *, include_empty: bool) -> list[str]:
    """One line per rep sent, written or failed, then one for the reps skipped:
    ``sent to ola@example.com (ola, 12 items, 3 overdue)``, ``FAILED erik: 550 ...``."""
    from khm.render.weekly_html import count_phrase

    lines: list[str] = []
    for o in outcomes:
        what = count_phrase(o.items, o.overdue)
        if o.status == "sent":
            lines.append(f"sent to {o.address} ({o.rep}, {what})")
        elif o.status == "written":
            lines.append(f"wrote {o.path} (to {o.address}; {o.rep}, {what})")
        elif o.status == "failed":
            lines.append(f"FAILED {o.rep}: {one_line(o.reason)}")
    skipped = [o.rep for o in outcomes if o.status == "skipped"]
    if skipped:
        hint = "" if include_empty else " (use --include-empty to mail them too)"
        lines.append(f"skipped {len(skipped)} rep(s) with nothing due: {', '.join(skipped)}{hint}")
    if not outcomes:
        lines.append("no reps to mail")
    return lines
