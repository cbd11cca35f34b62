"""``khm report`` through the CLI on a generated ~300-account team: every KIND in every
format, the formats agree with each other, coverage recomputed independently from the raw
touches, cron behaviour (exit codes, --output), and hostile names in every format."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import random
import re
import stat
from datetime import date, datetime, timedelta

import pytest

from khm.method import default_method
from khm.render.cells import md_cell

M = default_method()
TODAY = "2026-11-23"
PERIOD = "2026-09"  # yearly kinds (grace 91 days) due late in September are still open
KINDS = ("coverage", "neglected", "portfolio", "workload", "movement", "funnel", "all")
FORMATS = ("table", "markdown", "html", "csv", "json")
HOSTILE = ("Åre Fisk AS", "=SUM(A1)", "[bold]Bold[/bold] Corp", 'Quote "Q", Ltd', "Émile 🚀")
REPS = (
    {"handle": "anna", "name": "Anna Ångström", "role": "expand", "capacity": 14.0},
    {"handle": "bo", "name": 'Bo "The Closer" [bold]', "role": "keep", "capacity": 12.0},
    {"handle": "cæcilie", "name": "Cæcilie Øvergård 🚀", "role": "any", "capacity": 10.0},
)
KIND_WEIGHTS = {
    "visit": 2,
    "review": 1,
    "meeting": 1,
    "call": 6,
    "email": 8,
    "newsletter": 10,
    "webinar": 2,
}


def make_team(store, n_accounts: int = 300, seed: int = 7):
    """A random but reproducible team: 3 reps, ``n_accounts`` accounts (a few unowned,
    archived or never touched), ~15 touches each from 2025-10-01 to 2026-11-20, and tag
    changes in September 2026. Returns (accounts, touches) as inserted."""
    from sqlalchemy import insert

    from khm.store.models import Account, Rep, TagChange, Touch

    rnd = random.Random(seed)
    start, end = date(2025, 10, 1), date(2026, 11, 20)
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    accounts, touches, changes = [], [], []
    for i in range(n_accounts):
        t = "expand" if rnd.random() < 0.35 else "keep"
        c = rnd.choices("ABCD", [1, 2, 3, 4])[0]
        owner = None if i % 50 == 49 else REPS[i % 3]["handle"]
        tagged = datetime(2025, 9, 1) + timedelta(days=rnd.randint(0, 200))
        accounts.append(
            {
                "id": i + 1,
                "key": f"ACC{i:04d}",
                "name": f"{HOSTILE[i % len(HOSTILE)]} {i}",
                "country": rnd.choice(["NO", "SE", "DK", "FI"]),
                "product_lines": [],
                "custom": {},
                "revenue": float(rnd.randint(1, 500) * 1000),
                "owner": owner,
                "type": t,
                "category": c,
                "tagged_at": tagged,
                "archived": i % 97 == 96,
                "created_at": datetime(2025, 9, 1),
                "updated_at": datetime(2025, 9, 1),
            }
        )
        for _ in range(rnd.randint(0, 30) if i % 13 else 0):
            touches.append(
                {
                    "account_id": i + 1,
                    "rep": rnd.choice([owner, None, "anna"]),
                    "kind": rnd.choices(kinds, weights)[0],
                    "date": start + timedelta(days=rnd.randint(0, (end - start).days)),
                    "source": "test",
                    "created_at": datetime(2026, 1, 1),
                }
            )
        if i % 10 == 0:
            old, new = ("keep", "expand") if t == "expand" else ("expand", "keep")
            changes.append((i + 1, "type", old, new, "khm", "rule"))
        if i % 15 == 0:
            changes.append((i + 1, "category", "B", c, "lead", "=cmd()"))
    with store.engine.begin() as conn:
        conn.execute(insert(Rep), list(REPS))
        conn.execute(insert(Account), accounts)
        conn.execute(insert(Touch), touches)
        conn.execute(
            insert(TagChange),
            [
                {
                    "account_id": a,
                    "field": f,
                    "old": o,
                    "new": n,
                    "who": who,
                    "reason": reason,
                    "changed_at": datetime(2026, 9, 1 + (a % 29), 12),
                }
                for a, f, o, n, who, reason in changes
            ],
        )
    return accounts, touches


@pytest.fixture
def team(store):
    return make_team(store)


def run(cli, kind, fmt, *extra, code=0):
    return cli("report", kind, "--period", PERIOD, "--today", TODAY, "-f", fmt, *extra, code=code)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _num(v: str) -> float:
    return float(v) if v else 0.0


# --------------------------------------------------------------------------- every kind, every format


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_runs_in_every_format(team, cli, fmt, tmp_path):
    for kind in KINDS:
        if kind == "all" and fmt == "csv":
            r = run(cli, kind, fmt, code=2)
            assert "--output DIR" in r.stderr
            r = run(cli, kind, fmt, "--output", str(tmp_path / "all.csv"), code=2)
            out = tmp_path / "csv"  # created
            run(cli, kind, fmt, "--output", str(out))
            assert sorted(p.name for p in out.iterdir()) == sorted(
                f"{k}.csv" for k in KINDS if k != "all"
            )
            continue
        r = run(cli, kind, fmt)
        assert r.stdout.strip(), f"{kind} {fmt}: empty output"
        if fmt == "json":
            data = json.loads(r.stdout)
            assert data["version"] == 1 and data["kind"] == "report" and data["report"] == kind
            assert data["period"]["label"] == PERIOD
            want = [k for k in KINDS if k != "all"] if kind == "all" else [kind]
            assert list(data["sections"]) == want
        if fmt == "table":
            assert "\x1b[" not in r.stdout  # not a TTY: no colour codes


def test_json_totals_equal_csv_sums(team, cli):
    data = json.loads(run(cli, "all", "json").stdout)["sections"]
    cov = _csv(run(cli, "coverage", "csv").stdout)
    for k in ("asked", "on_time", "late", "missed", "open"):
        assert sum(int(r[k]) for r in cov) == data["coverage"]["totals"][k], k
    assert data["coverage"]["totals"]["asked"] > 300
    wl = _csv(run(cli, "workload", "csv").stdout)
    for k in ("planned_effort", "done_effort", "capacity", "planned_touches", "done_touches"):
        assert sum(_num(r[k]) for r in wl) == pytest.approx(data["workload"]["totals"][k]), k
    pf = _csv(run(cli, "portfolio", "csv").stdout)
    assert sum(int(r["accounts"]) for r in pf) == data["portfolio"]["totals"]["accounts"]
    assert sum(_num(r["revenue"]) for r in pf) == pytest.approx(
        data["portfolio"]["totals"]["revenue"]
    )
    ng = _csv(run(cli, "neglected", "csv").stdout)
    assert len(ng) == data["neglected"]["totals"]["accounts"] > 0
    mv = _csv(run(cli, "movement", "csv").stdout)
    assert len(mv) == data["movement"]["totals"]["changes"] > 0
    for direction in ("to_expand", "to_keep", "up", "down"):
        assert sum(r["direction"] == direction for r in mv) == data["movement"]["totals"][direction]
    # the grouped views add up to the same totals
    for view in ("by_segment", "by_rep", "by_mode", "by_kind"):
        assert (
            sum(r["asked"] for r in data["coverage"][view]) == data["coverage"]["totals"]["asked"]
        )


def test_markdown_and_table_show_the_same_overall_coverage_as_json(team, cli):
    pct = json.loads(run(cli, "coverage", "json").stdout)["sections"]["coverage"]["totals"][
        "coverage_pct"
    ]
    assert f"Overall coverage: {pct:g} %" in run(cli, "coverage", "table").stdout
    assert f"**Overall coverage: {pct:g} %**" in run(cli, "coverage", "markdown").stdout
    assert f"{pct:g} %" in run(cli, "coverage", "html").stdout


# --------------------------------------------------------------------------- an independent recount


def _naive_events(acc, kind, interval, touches, start, end, today):
    """A plain, date-by-date re-implementation of the rules in docs/reports.md."""
    from khm.core.due import first_due

    cov = M.covering(kind)
    ts = sorted({t["date"] for t in touches if t["account_id"] == acc["id"] and t["kind"] in cov})
    grace = M.grace.grace_days(interval)
    before = [d for d in ts if d < start]
    prev = before[-1] if before else date.min  # the touch the chain last restarted from
    if before:
        base, k = before[-1], 1
    else:
        base, k = first_due(acc["tagged_at"].date(), acc["key"], kind, interval), 0
    human = M.is_human(kind)

    def due(b, n):  # a human due date in a no-human period: the first weekday after it
        d = interval.add_to(b, n)
        if human and M.calendar.in_no_human_period(d):
            while M.calendar.in_no_human_period(d) or d.weekday() >= 5:
                d += timedelta(days=1)
        return d

    out = []
    while True:
        d = due(base, k)
        if d > end:
            break
        early = [t for t in ts if prev < t < d]
        if early:
            prev = base = early[0]
            k = 1
            continue
        nxt = due(base, k + 1)
        after = [t for t in ts if t >= d and t > prev]
        t = after[0] if after else None
        if t is not None and t <= d + timedelta(days=grace):
            status = "on_time"
        elif t is not None and t < nxt and t <= end:
            status = "late"
        elif t is None and today <= d + timedelta(days=grace):
            status = "open"
        else:
            status = "missed"
        if d >= start:
            out.append(status)
        if t is not None and t < nxt:
            prev = base = t
            k = 1
        else:
            k += 1
    return out


@pytest.mark.parametrize(
    ("rep", "category", "period"),
    [
        ("anna", "C", PERIOD),
        ("bo", "A", PERIOD),
        # a period covering most of the history: the touches are read by a table scan
        ("cæcilie", "B", "2026"),
    ],
)
def test_coverage_recomputed_from_the_touches_matches(team, cli, rep, category, period):
    from khm.core.period import parse_period

    accounts, touches = team
    today = date.fromisoformat(TODAY)
    p = parse_period(period, today)
    start, end = p.start, p.end
    want = {"asked": 0, "on_time": 0, "late": 0, "missed": 0, "open": 0}
    for acc in accounts:
        if acc["archived"] or acc["owner"] != rep or acc["category"] != category:
            continue
        for kind, interval in M.cadence_for(acc["type"], acc["category"]).items():
            for status in _naive_events(acc, kind, interval, touches, start, end, today):
                want[status] += 1
                want["asked"] += 1
    assert want["asked"] > 20
    args = ("report", "coverage", "--period", period, "--today", TODAY, "-f", "json")
    data = json.loads(cli(*args, "--rep", rep).stdout)["sections"]["coverage"]
    rows = [r for r in data["rows"] if r["category"] == category]
    got = {k: sum(r[k] for r in rows) for k in want}
    assert got == want
    # and the per-segment line of the full report agrees with the detail rows
    full = json.loads(cli(*args).stdout)["sections"]["coverage"]
    by_rep = {r["rep"]: r for r in full["by_rep"]}
    assert by_rep[rep]["asked"] == data["totals"]["asked"]


# --------------------------------------------------------------------------- cron behaviour


def test_fail_under_exit_codes(team, cli, tmp_path):
    out = tmp_path / "nightly.md"
    r = run(cli, "all", "markdown", "--fail-under", "100", "--output", str(out), code=8)
    assert "below --fail-under 100" in r.stderr
    assert out.read_text(encoding="utf-8").startswith("# khm report")
    run(cli, "coverage", "table", "--fail-under", "0")
    # a KIND without the coverage section still checks coverage
    run(cli, "portfolio", "csv", "--fail-under", "100", code=8)
    # JSON on stdout stays one parseable document; the threshold message goes to stderr
    r = run(cli, "coverage", "json", "--fail-under", "100", code=8)
    assert json.loads(r.stdout)["report"] == "coverage"
    assert "below --fail-under 100" in r.stderr


def test_output_is_written_atomically_and_stdout_stays_empty(team, cli, tmp_path):
    out = tmp_path / "sub" / "report.html"
    r = run(cli, "all", "html", "--output", str(out))
    assert r.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # not the temp file's 0600


def test_bad_inputs_are_clean_errors(team, cli):
    r = cli("report", "coverag", code=2)
    assert "KIND" in r.stderr
    r = cli("report", "coverage", "--period", "2026-13", code=2)
    assert "--period" in r.stderr and "no month 13" in r.stderr
    r = cli("report", "coverage", "--period", "2026-12-01..2026-11-01", code=2)
    assert "ends before it starts" in r.stderr
    r = cli("report", "coverage", "--rep", "nobody", code=5)
    assert "nobody" in r.stderr
    r = cli("report", "coverage", "--rep", "nobody", "-f", "json", code=5)
    assert json.loads(r.stdout)["error"]["code"] == 5
    cli("report", "coverage", "-f", "xml", code=2)


def test_unwritable_output_is_a_clean_error(team, cli, tmp_path):
    r = run(cli, "portfolio", "markdown", "--output", str(tmp_path), code=3)
    assert "is a directory" in r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    r = run(cli, "portfolio", "markdown", "--output", str(blocker / "r.md"), code=3)
    assert f"--output {blocker / 'r.md'}: cannot write" in r.stderr


def test_help_lists_the_exit_codes(cli):
    out = cli("report", "--help").stdout
    for code in (
        "0 report written",
        "2 bad command line",
        "3 --output",
        "5 --rep",
        "8 coverage below",
    ):
        assert code in " ".join(out.split()), code


def test_every_period_form_is_accepted(team, cli):
    for p in (
        "2026-W38",
        "2026-09",
        "2026-Q3",
        "2026",
        "last-week",
        "last-month",
        "2026-09-01..2026-09-15",
    ):
        data = json.loads(
            cli("report", "portfolio", "--period", p, "--today", TODAY, "-f", "json").stdout
        )
        assert data["period"]["start"] <= data["period"]["end"]


# --------------------------------------------------------------------------- hostile text


def test_names_survive_every_format_and_csv_formulas_are_neutralised(team, cli):
    data = json.loads(run(cli, "all", "json").stdout)["sections"]
    names = {r["name"] for r in data["neglected"]["rows"]} | {
        r["name"] for r in data["movement"]["rows"]
    }
    for hostile in HOSTILE:
        assert any(n.startswith(hostile + " ") for n in names), hostile
    sample = sorted(n for n in names if not n.startswith("="))[:6]
    formula = next(n for n in names if n.startswith("="))
    for fmt in ("table", "markdown", "html"):
        text = run(cli, "all", fmt).stdout
        for n in [*sample, formula]:
            if fmt == "html":
                assert html.escape(n) in text, (fmt, n)
            elif fmt == "markdown":
                assert md_cell(n) in text, (fmt, n)  # escaped: reads as itself
            else:
                assert n in text, (fmt, n)
    for kind in ("neglected", "movement"):
        rows = _csv(run(cli, kind, "csv").stdout)
        want = {r["name"] for r in data[kind]["rows"]}
        assert {r["name"] for r in rows} == {"'" + n if n.startswith("=") else n for n in want}
        if kind == "movement":
            assert {r["reason"] for r in rows} == {"rule", "'=cmd()"}
    handles = {r["rep"] for r in data["coverage"]["by_rep"]}
    assert "cæcilie" in handles


def test_html_is_self_contained(team, cli):
    text = run(cli, "all", "html").stdout
    assert re.findall(r"https?://", text) == []
    assert "<script" not in text.lower()
    assert '<meta name="viewport"' in text
    assert "src=" not in text and "@import" not in text
    assert "[bold]Bold[/bold] Corp" in text  # markup shown as text, not interpreted


def test_rep_filter_limits_every_section(team, cli):
    data = json.loads(run(cli, "all", "json", "--rep", "bo").stdout)["sections"]
    assert {r["rep"] for r in data["coverage"]["by_rep"]} == {"bo"}
    assert {r["rep"] for r in data["workload"]["by_rep"]} == {"bo"}
    assert {r["owner"] for r in data["neglected"]["rows"]} <= {"bo"}
    assert {r["owner"] for r in data["movement"]["rows"]} <= {"bo"}


def test_reports_on_demo_data_agree_with_themselves(cli):
    pytest.importorskip("khm.demo")
    cli("demo", "--accounts", "150", "--today", TODAY)
    data = json.loads(cli("report", "all", "--today", TODAY, "-f", "json").stdout)["sections"]
    cov = _csv(cli("report", "coverage", "--today", TODAY, "-f", "csv").stdout)
    assert data["coverage"]["totals"]["asked"] > 0
    for k in ("asked", "on_time", "late", "missed", "open"):
        assert sum(int(r[k]) for r in cov) == data["coverage"]["totals"][k], k
    wl = _csv(cli("report", "workload", "--today", TODAY, "-f", "csv").stdout)
    assert sum(_num(r["done_effort"]) for r in wl) == pytest.approx(
        data["workload"]["totals"]["done_effort"]
    )
    cli("report", "all", "--today", TODAY, "-f", "html")


def test_the_garbage_collector_runs_again_after_a_report_even_a_failed_one(khm_db, cli):
    import gc

    assert gc.isenabled()
    cli("report", "all", "--period", "2026", "--today", TODAY, code=0)
    assert gc.isenabled()
    cli("report", "coverage", "--rep", "nobody", "--today", TODAY, code=5)
    assert gc.isenabled()


# --------------------------------------------------------------------------- the terminal view


def test_a_long_terminal_table_is_cut_keeps_its_total_and_says_how_to_get_every_row(
    team, cli, monkeypatch
):
    import khm.render.report

    data = json.loads(run(cli, "all", "json").stdout)["sections"]
    segments = len(data["coverage"]["by_segment"])
    changes = data["movement"]["totals"]["changes"]
    assert segments > 5 and changes > 5
    monkeypatch.setattr(khm.render.report, "ROW_LIMIT", 5)
    text = run(cli, "all", "table").stdout
    cov = text[text.index("Coverage by type") : text.index("Coverage by rep")]
    assert len(re.findall(r"^│ (expand|keep) ", cov, re.M)) == 5
    assert re.search(r"^│ total ", cov, re.M)  # the total is of every row, still shown
    assert f"... and {segments - 5} more rows: --format csv" in cov
    moves = text[text.index("Tag changes in the period") :]
    assert f"... and {changes - 5:,} more rows: --format csv" in moves
    # the other formats list every row
    assert len(_csv(run(cli, "movement", "csv").stdout)) == changes
    md = run(cli, "movement", "markdown").stdout
    assert md.count("| ACC") == changes


@pytest.mark.parametrize("columns", [80, 120])
def test_the_terminal_view_fits_the_terminal_and_names_what_it_leaves_out(
    team, cli, monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", str(columns))
    text = run(cli, "all", "table").stdout
    assert max(len(line) for line in text.splitlines()) <= columns
    assert "…" not in text  # no cell cropped: what does not fit is folded or left out
    assert "expand" in text and "2026-W36" in text  # codes are never folded
    notes = re.findall(r"^\(left out at (\d+) columns: (.*); see --format csv\)$", text, re.M)
    if columns < 100:
        assert ("80", "late, open, skipped") in notes and ("80", "name, allowed") in notes
        assert len(notes) == len(set(notes))  # each said once
    else:
        assert notes == []
        assert "days silent" in text and "direction" in text


def test_render_imports_no_service():
    import ast
    from pathlib import Path

    import khm.render

    for path in Path(khm.render.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(("khm.services", "khm.cli")), (path.name, name)
