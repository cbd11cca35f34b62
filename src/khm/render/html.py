"""``khm report --format html``: one self-contained HTML file.

Inline CSS, no scripts, no fonts, images or other network assets; readable on a phone
(viewport meta, tables that scroll sideways inside their own box, cards that wrap).
Charts are CSS bars: each bar is a ``<div>`` whose segments get ``width: N%`` straight
from the report's numbers, so there is no drawing code to get wrong (docs/reports.md
says why this beats an SVG library here). Every piece of user text goes through
:func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khm.core.report_result import Report
    from khm.render.report_data import Table

STATUS_LABEL = {"on_time": "on time", "late": "late", "missed": "missed", "open": "open"}

CSS = """
:root{--ok:#2e7d32;--late:#f9a825;--miss:#c62828;--open:#b0bec5;--plan:#1565c0;
--cap:#37474f;--ink:#1c2630;--muted:#5f6b76;--line:#e3e7ea;--bg:#f6f8f9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta{color:var(--muted);margin:.2rem 0 1rem}
nav{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0 1rem}
nav a{background:#fff;border:1px solid var(--line);border-radius:999px;padding:.15rem .7rem;
color:var(--ink);text-decoration:none;font-size:.9rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.card .v{font-size:1.5rem;font-weight:700;white-space:nowrap}
.card .l{color:var(--muted);font-size:.85rem}
.card.wide{grid-column:span 2}
.card.bad .v{color:var(--miss)} .card.good .v{color:var(--ok)}
.scroll{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:middle;white-space:nowrap}
td.name{white-space:normal;min-width:10rem}
th{background:#eef2f4;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:700;background:#fafbfc}
.bar{display:flex;width:14rem;max-width:40vw;height:.9rem;background:#eceff1;border-radius:3px;
overflow:hidden}
.bar span{display:block;height:100%}
.on_time{background:var(--ok)} .late{background:var(--late)} .missed{background:var(--miss)}
.open{background:var(--open)}
.wl{position:relative;width:14rem;max-width:40vw;height:1.1rem;background:#eceff1;border-radius:3px}
.wl .p{position:absolute;left:0;top:0;height:.5rem;background:var(--plan)}
.wl .p.over{background:var(--miss)}
.wl .d{position:absolute;left:0;bottom:0;height:.5rem;background:var(--ok)}
.wl .c{position:absolute;top:-2px;bottom:-2px;width:2px;background:var(--cap)}
.legend{display:flex;flex-wrap:wrap;gap:.9rem;color:var(--muted);font-size:.85rem;margin:.3rem 0}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;
vertical-align:-.1rem}
.matrix td.cell{text-align:center;min-width:6rem}
.matrix td.cell b{display:block;font-size:1.05rem}
.matrix td.cell small{color:var(--muted)}
.matrix td.cell.dark,.matrix td.cell.dark small{color:#fff}
details{background:#fff;border:1px solid var(--line);border-radius:10px;margin:.4rem 0;
padding:.3rem .6rem}
details summary{cursor:pointer;font-weight:600}
details .scroll{border:0}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:.8rem;margin:2rem 0 1rem}
.funnel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.fstep{display:grid;grid-template-columns:8rem 1fr 7.5rem;gap:.6rem;align-items:center;
margin:.15rem 0}
.fstep .nm{font-weight:600;overflow:hidden;text-overflow:ellipsis}
.fstep .track{position:relative;height:1.7rem}
.fstep .start{position:absolute;top:0;height:.35rem;background:var(--open);border-radius:2px}
.fstep .end{position:absolute;bottom:0;height:1.2rem;background:var(--plan);border-radius:3px}
.fstep .ct{font-variant-numeric:tabular-nums;white-space:nowrap}
.fconv{margin:0 0 0 8.6rem;color:var(--muted);font-size:.85rem}
.fconv b{color:var(--ink)}
.fb{display:block;width:10rem;max-width:30vw;height:.9rem;background:#eceff1;border-radius:3px;
position:relative}
.fb span{position:absolute;left:0;top:0;bottom:0;background:var(--plan);border-radius:3px}
@media (max-width:600px){.fstep{grid-template-columns:5.5rem 1fr 5.5rem}.fconv{margin-left:6rem}}
@media (max-width:600px){body{font-size:14px} main{padding:10px}
.bar,.wl{width:6.5rem} th,td{padding:.3rem .4rem} .card .v{font-size:1.25rem}}
@media print{nav{display:none} .scroll{overflow:visible}}
"""


def _t(value: Any) -> str:
    from khm.render import text_value

    return escape(text_value(value))


def _pct_width(part: float, whole: float) -> str:
    if whole <= 0:
        return "0%"
    return f"{max(0.0, min(100.0, 100.0 * part / whole)):.2f}%"


def coverage_bar(row: dict[str, Any]) -> str:
    asked = int(row.get("asked") or 0)
    label = ", ".join(f"{STATUS_LABEL[k]} {int(row.get(k) or 0)}" for k in STATUS_LABEL)
    parts = "".join(
        f'<span class="{k}" style="width:{_pct_width(int(row.get(k) or 0), asked)}"></span>'
        for k in STATUS_LABEL
        if int(row.get(k) or 0)
    )
    return f'<div class="bar" role="img" aria-label="{escape(label)}" title="{escape(label)}">{parts}</div>'


def workload_bar(row: dict[str, Any]) -> str:
    cap, plan, done = (float(row[k] or 0) for k in ("capacity", "planned_effort", "done_effort"))
    size = max(cap, plan, done, 1e-9)
    over = " over" if plan > cap else ""
    label = f"planned {plan:g}, done {done:g}, capacity {cap:g} effort units"
    return (
        f'<div class="wl" role="img" aria-label="{escape(label)}" title="{escape(label)}">'
        f'<span class="p{over}" style="width:{_pct_width(plan, size)}"></span>'
        f'<span class="d" style="width:{_pct_width(done, size)}"></span>'
        f'<span class="c" style="left:calc({_pct_width(cap, size)} - 1px)"></span></div>'
    )


def funnel_cell(row: dict[str, Any], scale: float) -> str:
    at_end = int(row.get("at_end") or 0)
    label = f"{at_end} at the end, {int(row.get('at_start') or 0)} at the start"
    return (
        f'<div class="fb" role="img" aria-label="{escape(label)}" title="{escape(label)}">'
        f'<span style="width:{_pct_width(at_end, scale)}"></span></div>'
    )


def funnel_chart(rows: list[dict[str, Any]]) -> str:
    """The funnel as centred CSS bars, one per stage: the accounts at the end (wide bar)
    and at the start (thin grey line), the conversion of each step between them."""
    scale = max((max(int(r["at_start"]), int(r["at_end"])) for r in rows), default=0)
    out = ['<div class="funnel" role="img" aria-label="lifecycle funnel">']
    for i, r in enumerate(rows):
        start, end = int(r["at_start"]), int(r["at_end"])
        ws, we = _pct_width(start, scale), _pct_width(end, scale)
        # centred: each bar starts at half of what it leaves out
        ls = f"{(100 - float(ws[:-1])) / 2:.2f}%"
        le = f"{(100 - float(we[:-1])) / 2:.2f}%"
        out.append(
            f'<div class="fstep"><div class="nm">{escape(str(r["stage"]))}</div>'
            f'<div class="track"><span class="start" style="left:{ls};width:{ws}"></span>'
            f'<span class="end" style="left:{le};width:{we}"></span></div>'
            f'<div class="ct"><b>{end}</b> <small>(start {start})</small></div></div>'
        )
        if i < len(rows) - 1:
            rate = r.get("conversion")
            out.append(
                f'<p class="fconv">↓ moved on: <b>{escape(str(rate))}</b> '
                f"({int(r['moved_on'])} of {int(r['in_stage'])} in {escape(str(r['stage']))})</p>"
            )
    out.append("</div>")
    out.append(
        '<div class="legend"><span><i style="background:var(--plan)"></i>accounts at the end'
        '</span><span><i style="background:var(--open)"></i>at the start</span></div>'
    )
    return "".join(out)


def _table(t: Table, *, wrap: bool = True) -> str:
    if not t.rows:
        return '<p class="empty">None.</p>'
    columns: list[Any] = list(t.columns)
    chart_at = len(columns)
    if t.bar == "coverage":
        # key columns, coverage %, the bar, then the counts: on a phone the first screen
        # width shows what matters and the counts scroll sideways
        pct = next(c for c in columns if c.key == "coverage_pct")
        keys = [c for c in columns if c.justify != "right"]
        counts = [c for c in columns if c.justify == "right" and c is not pct]
        columns = [*keys, pct, *counts]
        chart_at = len(keys) + 1
    elif t.bar in ("workload", "funnel"):
        chart_at = 1
    elif t.bar == "nps":  # after the key columns
        chart_at = next((i for i, c in enumerate(columns) if c.justify == "right"), 1)
    scale = 0.0
    if t.bar == "funnel":
        scale = max((max(int(r["at_start"]), int(r["at_end"])) for r in t.rows), default=0)
    head_cells = [
        f'<th class="{"n" if c.justify == "right" else ""}">{escape(c.title)}</th>' for c in columns
    ]
    if t.bar in ("coverage", "workload", "nps", "funnel"):
        head_cells.insert(chart_at, "<th>chart</th>")
    body = []
    rows = [*t.rows, *([t.total] if t.total else [])]
    for i, r in enumerate(rows):
        total = t.total is not None and i == len(rows) - 1
        cells = []
        for c in columns:
            cls = "n" if c.justify == "right" else ("name" if c.key in ("name", "reason") else "")
            cells.append(f'<td class="{cls}">{_t(r.get(c.key))}</td>')
        if t.bar == "coverage":
            cells.insert(chart_at, f"<td>{coverage_bar(r)}</td>")
        elif t.bar == "workload":
            cells.insert(chart_at, f"<td>{workload_bar(r)}</td>")
        elif t.bar == "nps":
            from khm.render.nps import html_bar

            cells.insert(chart_at, f"<td>{html_bar(r)}</td>")
        elif t.bar == "funnel":
            cells.insert(chart_at, "<td></td>" if total else f"<td>{funnel_cell(r, scale)}</td>")
        body.append(f"<tr{' class=total' if total else ''}>{''.join(cells)}</tr>")
    html = (
        f"<table><thead><tr>{''.join(head_cells)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return f'<div class="scroll">{html}</div>' if wrap else html


def _legend_coverage() -> str:
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="{k}"></i>{v}</span>' for k, v in STATUS_LABEL.items())
        + "</div>"
    )


def _legend_workload() -> str:
    return (
        '<div class="legend"><span><i style="background:var(--plan)"></i>planned effort</span>'
        '<span><i style="background:var(--miss)"></i>planned over capacity</span>'
        '<span><i style="background:var(--ok)"></i>done effort</span>'
        '<span><i style="background:var(--cap);width:3px"></i>capacity</span></div>'
    )


def _portfolio_matrix(report: Report) -> str:
    from khm.core.constants import CATEGORIES

    p = report.portfolio
    assert p is not None
    cats = [c for c in CATEGORIES] + sorted(
        {c.category or "—" for c in p.cells if c.category not in CATEGORIES}
    )
    cell_of = {(c.type, c.category or "—"): c for c in p.cells}
    types = []
    for c in p.cells:
        if c.type not in types:
            types.append(c.type)
    head = "<th>type</th>" + "".join(f"<th>{escape(c)}</th>" for c in cats) + "<th>total</th>"
    body = []
    by_type = {c.type: c for c in p.by_type}
    for t in types:
        tds = [f"<td><b>{_t(t or 'untagged')}</b></td>"]
        for cat in cats:
            cell = cell_of.get((t, cat))
            if cell is None:
                tds.append('<td class="cell"></td>')
                continue
            alpha = min(0.85, cell.revenue_share_pct / 40.0)
            dark = " dark" if alpha >= 0.5 else ""  # white text on the darker cells
            tds.append(
                f'<td class="cell{dark}" style="background:rgba(21,101,192,{alpha:.2f})">'
                f"<b>{cell.accounts}</b><small>{cell.revenue_share_pct:g} % of revenue</small></td>"
            )
        tt = by_type.get(t)
        tds.append(
            f'<td class="cell"><b>{tt.accounts if tt else 0}</b>'
            f"<small>{tt.revenue_share_pct if tt else 0:g} %</small></td>"
        )
        body.append(f"<tr>{''.join(tds)}</tr>")
    by_cat = {c.category: c for c in p.by_category}
    foot = ["<td><b>total</b></td>"]
    for cat in cats:
        cc = by_cat.get(cat if cat != "—" else None)
        foot.append(
            f'<td class="cell"><b>{cc.accounts if cc else 0}</b>'
            f"<small>{cc.revenue_share_pct if cc else 0:g} %</small></td>"
        )
    foot.append(
        f'<td class="cell"><b>{p.totals.accounts}</b><small>{_t(p.totals.revenue)}</small></td>'
    )
    body.append(f'<tr class="total">{"".join(foot)}</tr>')
    return (
        '<div class="scroll"><table class="matrix"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
        + '<p class="meta">Cells: accounts, and share of revenue (darker = larger share).</p>'
    )


def _cards(report: Report) -> str:
    cards: list[tuple[str, str, str]] = []
    if report.coverage is not None:
        tot = report.coverage.totals
        pct = tot.coverage_pct
        cls = "" if pct is None else ("good" if pct >= 80 else ("bad" if pct < 50 else ""))
        cards += [
            ("coverage", "n/a" if pct is None else f"{pct:g} %", cls),
            ("asked", str(tot.asked), ""),
            ("on time", str(tot.on_time), ""),
            ("late", str(tot.late), ""),
            ("missed", str(tot.missed), "bad" if tot.missed else ""),
        ]
    if report.neglected is not None:
        cards.append(("neglected accounts", str(len(report.neglected)), ""))
    if report.portfolio is not None:
        cards.append(("accounts", str(report.portfolio.totals.accounts), ""))
    if report.workload is not None:
        w = report.workload.totals
        cards.append(
            ("human effort done / planned", f"{w.done_effort:g} / {w.planned_effort:g}", "wide")
        )
    if report.movement is not None:
        cards.append(("tag changes", str(len(report.movement.changes)), ""))
    if report.nps is not None:
        from khm.render.nps import html_cards

        cards += html_cards(report)
    if report.funnel is not None:
        f = report.funnel
        cards.append(("accounts with a stage", str(f.accounts - f.without_stage_at_end), ""))
        cards.append(("stage moves", str(sum(m.moves for m in f.moves)), ""))
    return (
        '<section class="cards">'
        + "".join(
            f'<div class="card {cls}"><div class="v">{escape(v)}</div>'
            f'<div class="l">{escape(label)}</div></div>'
            for label, v, cls in cards
        )
        + "</section>"
    )


SECTION_TITLES = {
    "coverage": "Coverage: did we do what the cadence asked?",
    "neglected": "Neglected accounts: not to lose",
    "portfolio": "Portfolio",
    "workload": "Workload: planned vs done human effort",
    "movement": "Tag movements",
    "nps": "NPS: how likely are they to recommend us?",
    "funnel": "Lifecycle funnel: stages and conversion",
}


def render_html(report: Report) -> str:
    from khm.render.report_data import history_note, section_tables

    p = report.period
    what = "all sections" if report.kind == "all" else report.kind
    title = f"khm report: {what}, {p.label}"
    rep = f" · rep {report.rep}" if report.rep else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(p.start.isoformat())} – {escape(p.end.isoformat())} '
        f"({p.days} days){escape(rep)} · method “{escape(report.method_name)}” · "
        f"seen on {escape(report.today.isoformat())}</p>",
    ]
    note = history_note(report)
    if note:
        parts.append(f'<p class="meta">{escape(note)}</p>')
    parts += [
        _cards(report),
    ]
    if len(report.sections) > 1:
        parts.append(
            "<nav>" + "".join(f'<a href="#{n}">{escape(n)}</a>' for n in report.sections) + "</nav>"
        )
    for name in report.sections:
        parts.append(f'<section id="{name}"><h2>{escape(SECTION_TITLES[name])}</h2>')
        tables = section_tables(report, name)
        if name == "coverage":
            parts.append(_legend_coverage())
        if name == "workload":
            parts.append(_legend_workload())
        if name == "portfolio":
            parts.append(_portfolio_matrix(report))
        if name == "nps":
            from khm.render.nps import html_legend, month_chart

            parts.append("<h3>NPS by month</h3>" + month_chart(report) + html_legend())
        if name == "funnel":
            parts.append(funnel_chart(tables[0].rows))
        for t in tables:
            if name == "workload" and t.name == "rows":
                parts.append(f"<h3>{escape(t.title)}</h3>")
                by_rep: dict[str, list[dict[str, Any]]] = {}
                for r in t.rows:
                    by_rep.setdefault(str(r["rep"]), []).append(r)
                for rep_name, rows in by_rep.items():
                    from dataclasses import replace

                    sub = replace(t, rows=rows, total=None)
                    parts.append(
                        f"<details><summary>{escape(rep_name)}</summary>{_table(sub)}</details>"
                    )
                continue
            if name == "portfolio" and t.name == "rows":
                continue  # shown as the matrix above
            parts.append(f"<h3>{escape(t.title)}</h3>{_table(t)}")
        parts.append("</section>")
    parts.append(
        "<footer>Made by khm. Definitions of every number: docs/reports.md. "
        "Coverage % = on time / (asked − open). NPS = % promoters (9-10) − % detractors "
        "(0-6). Funnel conversion = moved on ÷ in the stage.</footer></main></body></html>\n"
    )
    return "\n".join(parts)
