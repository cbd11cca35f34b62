"""Views of ``khm nps``: the recorded response and the account's ``nps`` field. (The NPS
report is a section of :mod:`khm.render.report`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khm.core.nps import RecordedResponse


def response_recorded(res: RecordedResponse, fmt: str) -> None:
    if fmt == "json":
        import sys

        from khm.render.json import envelope, write

        write(sys.stdout, envelope("nps_recorded", **res.as_dict()))
        return
    from rich.markup import escape

    from khm.render.cells import text_value
    from khm.render.table import get_console

    def t(v: object) -> str:
        return escape(text_value(v))

    c = get_console()
    who = f" from {t(res.contact)}" if res.contact else ""
    c.print(
        f"Recorded NPS {res.score} ({res.group}) #{res.id} on {res.date.isoformat()}{who} "
        f"for {t(res.key)} ({t(res.name)})"
    )
    if res.comment:
        c.print(f"  comment: {t(res.comment)}")
    if res.nps != res.nps_before:
        before = "-" if res.nps_before is None else t(res.nps_before)
        c.print(f"Field nps: {before} → {t(res.nps)}")
    else:
        c.print(f"Field nps stays {t(res.nps)} (a later response is newer)")
    if res.group == "detractor":
        owner = f"{t(res.owner)}'s" if res.owner else "the owner's (none yet)"
        c.print(
            f"A detractor: a detractor trigger of the method puts a follow-up on {owner} weekly list"
        )


# --------------------------------------------------------------------------- the report


def _signed(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+g}"


def nps_text(v: float | None) -> str:
    """An NPS for reading: ``33.3``, ``-12.5``; ``n/a`` without responses."""
    return "n/a" if v is None else f"{v:g}"


def section_data(report: Any) -> dict[str, Any]:
    """The ``nps`` section as plain data (the JSON contract): totals with ``nps``, the
    trend against the previous period, the breakdowns, the accounts not asked for a year
    and the period's responses (``rows``)."""
    from khm.render.report_data import period_dict

    n = report.nps
    prev = n.previous_totals.as_dict()
    return {
        "totals": n.totals.as_dict(),
        "trend": {"previous": period_dict(n.previous), **prev, "change": n.change},
        "by_segment": [r.as_dict() for r in n.by_segment],
        "by_rep": [r.as_dict() for r in n.by_rep],
        "by_month": [r.as_dict() for r in n.by_month],
        "not_asked": {
            "since": n.not_asked_since,
            "accounts": len(n.not_asked),
            "rows": [a.as_dict() for a in n.not_asked],
        },
        "rows": list(n.responses),
    }


_TALLY = (
    ("responses", "responses", "right"),
    ("promoters", "promoters", "right"),
    ("passives", "passives", "right"),
    ("detractors", "detractors", "right"),
    ("nps", "NPS", "right"),
)


def section_tables(report: Any) -> list[Any]:
    """The tables a reader sees (terminal, Markdown, HTML); narrow enough for 80 columns."""
    from khm.render.report_data import Table, _cols

    data = section_data(report)
    n = report.nps
    total = {**data["totals"]}
    trend = data["trend"]
    p = report.period
    return [
        Table(
            "trend",
            f"NPS {nps_text(n.totals.nps)} in {p.label}, {_signed(n.change)} against "
            f"{n.previous.label}",
            _cols(("period", "period"), *_TALLY),
            [
                {"period": p.label, **total},
                {"period": n.previous.label, **{k: trend[k] for k in total}},
            ],
            bar="nps",
        ),
        Table(
            "by_segment",
            "NPS by type × category",
            _cols(("type", "type"), ("category", "cat"), *_TALLY),
            data["by_segment"],
            {"type": "total", "category": "", **total},
            bar="nps",
        ),
        Table(
            "by_rep",
            "NPS by rep (account owner)",
            _cols(("rep", "rep"), *_TALLY),
            data["by_rep"],
            {"rep": "total", **total},
            bar="nps",
        ),
        Table(
            "by_month",
            "NPS by month",
            _cols(("month", "month"), *_TALLY),
            data["by_month"],
            {"month": "total", **total},
            bar="nps",
        ),
        Table(
            "rows",
            "Responses in the period (newest first)",
            _cols(
                ("date", "date"),
                ("key", "key"),
                ("name", "name"),
                ("owner", "owner"),
                ("score", "score", "right"),
                ("group", "group"),
                ("contact", "contact"),
                ("comment", "comment"),
            ),
            data["rows"],
            wide_only=frozenset({"name", "group", "contact"}),
        ),
        Table(
            "not_asked",
            f"Not asked for a year (no answer since {n.not_asked_since.isoformat()}): "
            f"{len(n.not_asked)} accounts",
            _cols(
                ("key", "key"),
                ("name", "name"),
                ("owner", "owner"),
                ("type", "type"),
                ("category", "cat"),
                ("last_asked", "last asked"),
            ),
            [{**r, "last_asked": r["last_asked"] or "never"} for r in data["not_asked"]["rows"]],
            wide_only=frozenset({"name"}),
        ),
    ]


def csv_table(report: Any) -> Any:
    """The CSV of the section: one line per response of the period (the finest grain)."""
    from khm.render.report_data import Table, _cols

    keys = ("date", "key", "name", "owner", "type", "category", "score", "group")
    return Table(
        "nps",
        "nps",
        _cols(*[(k, k) for k in (*keys, "contact", "comment")]),
        section_data(report)["rows"],
    )


# --------------------------------------------------------------------------- HTML

GROUP_COLOUR = {"promoters": "#2e7d32", "passives": "#b0bec5", "detractors": "#c62828"}


def html_bar(row: dict[str, Any]) -> str:
    """Promoters, passives and detractors of one row as a stacked CSS bar."""
    from html import escape

    total = int(row.get("responses") or 0)
    label = ", ".join(f"{k} {int(row.get(k) or 0)}" for k in GROUP_COLOUR)
    parts = "".join(
        f'<span style="width:{100.0 * int(row.get(k) or 0) / total:.2f}%;background:{c}"></span>'
        for k, c in GROUP_COLOUR.items()
        if total and int(row.get(k) or 0)
    )
    return (
        f'<div class="bar" role="img" aria-label="{escape(label)}" '
        f'title="{escape(label)}">{parts}</div>'
    )


def html_cards(report: Any) -> list[tuple[str, str, str]]:
    n = report.nps
    v = n.totals.nps
    cls = "" if v is None else ("good" if v >= 30 else ("bad" if v < 0 else ""))
    return [
        ("NPS", nps_text(v), cls),
        (f"change against {n.previous.label}", _signed(n.change), ""),
        ("responses", str(n.totals.responses), ""),
        (
            "promoters / passives / detractors",
            f"{n.totals.promoters} / {n.totals.passives} / {n.totals.detractors}",
            "wide",
        ),
        ("not asked for a year", str(len(n.not_asked)), ""),
    ]


def html_legend() -> str:
    return (
        '<p class="meta">Columns: each month\'s NPS (−100 … 100; green at or above 0, red '
        "below). Bars in the tables: the share of promoters, passives and detractors.</p>"
        '<div class="legend">'
        + "".join(
            f'<span><i style="background:{c}"></i>{k} ({r})</span>'
            for (k, c), r in zip(GROUP_COLOUR.items(), ("9-10", "7-8", "0-6"), strict=True)
        )
        + "</div>"
    )


def month_chart(report: Any) -> str:
    """The NPS of each month as an inline SVG column chart (−100 … 100, zero line; a
    month without answers has no column), with the value above each column."""
    from html import escape

    rows = report.nps.by_month
    if not rows:
        return ""
    w_col, gap, h, top = 56, 14, 200, 24
    width = len(rows) * (w_col + gap) + gap + 40
    mid = top + h / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="npschart" '
        f'width="{width}" height="{top + h + 40}" viewBox="0 0 {width} {top + h + 40}" '
        'aria-label="NPS by month">',
        f'<line x1="36" y1="{mid}" x2="{width}" y2="{mid}" stroke="#37474f" stroke-width="1"/>',
    ]
    for v, y in ((100, top), (0, mid), (-100, top + h)):
        parts.append(
            f'<text x="30" y="{y + 4}" font-size="11" text-anchor="end" fill="#5f6b76">{v}</text>'
        )
    for i, r in enumerate(rows):
        x = 40 + gap + i * (w_col + gap)
        v = r.tally.nps
        label = escape(str(r.keys["month"]))
        if v is not None:
            bh = abs(v) / 100 * (h / 2)
            y = mid - bh if v >= 0 else mid
            colour = "#2e7d32" if v >= 0 else "#c62828"
            ty = (y - 5) if v >= 0 else (y + bh + 13)
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{w_col}" height="{max(bh, 1):.1f}" '
                f'fill="{colour}"><title>{label}: NPS {v:g}, '
                f"{r.tally.responses} answers</title></rect>"
            )
            parts.append(
                f'<text x="{x + w_col / 2}" y="{ty:.1f}" font-size="12" text-anchor="middle" '
                f'fill="#1c2630">{v:g}</text>'
            )
        parts.append(
            f'<text x="{x + w_col / 2}" y="{top + h + 18}" font-size="11" '
            f'text-anchor="middle" fill="#5f6b76">{label}</text>'
        )
    parts.append("</svg>")
    return '<div class="scroll" style="padding:8px">' + "".join(parts) + "</div>"
