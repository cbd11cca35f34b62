"""The compact weekly list: one line per item at any width, tactics once, notes; --wide,
--account, Markdown, and the ``<handle>.ics`` subscription file."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len

from test_weekly_cli import MONDAY, TRICKY, WEEK, seed, weekly

TODAY = "2026-11-23"
WIDTHS = (80, 120, 200)


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's book, built once for this module (own data and config dirs)."""
    from typer.testing import CliRunner

    from khm.cli.main import app

    root = tmp_path_factory.mktemp("demo")
    db = str(root / "demo.db")
    env = {
        "KHM_DATA_DIR": str(root / "data"),
        "KHM_CONFIG_DIR": str(root / "config"),
        "KHM_DATABASE_URL": db,
    }
    res = CliRunner().invoke(app, ["--db", db, "demo", "--today", TODAY], env=env)
    assert res.exit_code == 0, res.output
    return db


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def test_on_the_demo_the_longest_list_fits_80_columns_in_items_plus_30_lines(cli, demo_db):
    data = json.loads(cli("--db", demo_db, "weekly", "--today", TODAY, "-f", "json").stdout)
    busiest = max(data["reps"], key=lambda r: r["count"])
    items = busiest["count"]
    assert items > 20
    for width in WIDTHS:
        out = cli(
            "--db", demo_db, "weekly", "--rep", busiest["rep"], "--today", TODAY,
            env={"COLUMNS": str(width)},
        ).stdout  # fmt: skip
        lines = _lines(out)
        assert max(cell_len(line) for line in lines) <= width
        assert len(lines) <= items + 30
        # every listed item is on one line: its status and its account name (or the
        # start of it, cut with "…") are on the same line
        for item in busiest["items"]:
            status = f"overdue {item['days_overdue']}d" if item["status"] == "overdue" else ""
            start = item["name"][:8]
            assert any(start in line and status in line for line in lines), (width, item)
        # the tactic once per (activity, type), not on every line
        tactics = {i["tactic"] for i in busiest["items"]}
        if width == 200:
            for tactic in tactics:
                assert out.count(tactic) == 1


def test_the_demo_shows_the_compact_list(demo_db, cli, tmp_path: Path):
    db = str(tmp_path / "d.db")
    out = cli("--db", db, "demo", "--accounts", "120", "--today", TODAY, "--rep", "sigga").stdout
    assert "Human — within capacity" in out and "Tactics" in out
    assert "(human)" not in out  # the wide table's activity column


# --------------------------------------------------------------------------- plain values


def _plan(names: list[str], tactic: str, *, reasons: tuple[str, ...] = ()):
    from khm.core.planner import PlanItem, RepPlan, WeeklyPlan

    def item(n: int, name: str, **kw) -> PlanItem:
        values = {
            "account": f"K{n}",
            "name": name,
            "type": "keep",
            "category": "A",
            "owner": "ola",
            "country": "NO",
            "kind": "call",
            "label": "Call",
            "mode": "human",
            "effort": 1.0,
            "status": "overdue",
            "due": date(2026, 10, 1),
            "days_overdue": 53 + n,
            "last_touch": date(2026, 7, 1),
            "reasons": ("quarterly, last call 2026-07-01", *reasons),
            "tactic": tactic,
            "interval": "quarterly",
            "lateness": 0.5,
            "day": date(2026, 11, 24),
        }
        values.update(kw)
        return PlanItem(**values)

    items = [item(n, name) for n, name in enumerate(names)]
    items.append(
        item(
            99, "Mail AS", kind="email", label="E-mail", mode="digital", effort=0.0,
            status="due", days_overdue=0, tactic="Write.", reasons=("monthly",), day=None,
        )
    )  # fmt: skip
    carried = tuple(item(100 + n, f"Carried {n}") for n in range(5))
    rep = RepPlan(
        handle="ola", name="Ola [b]Nordmann[/b] " + "Very Long Name " * 8, email=None,
        capacity_full=12, capacity=12, open_days=5, items=tuple(items), carried=carried,
    )  # fmt: skip
    monday = date(2026, 11, 23)
    return WeeklyPlan(
        week=WEEK, monday=monday, sunday=date(2026, 11, 29), today=monday, ref=monday,
        reps=(rep,),
    )  # fmt: skip


NAMES = [
    "Ærøskøbing Ålesund Øresund Handelskompagni og Sønner A/S (Danmark)",
    "🚀🚀 Rocket 株式会社 ロケット 🚀🚀 Ltd",
    "[red]Not red[/red] [bold]AS[/bold]",
    "Line\nbreak\x1b[31mESC\ttab AS",
    "Short AS",
]
LONG_TACTIC = "Ask what would make us more useful. " * 12


def _printed(plan, width: int, monkeypatch) -> str:
    from khm.render.weekly import render

    monkeypatch.setenv("COLUMNS", str(width))
    buf = io.StringIO()
    render(plan, "table", file=buf)
    return buf.getvalue()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_line_fits_and_every_item_is_one_line(width, monkeypatch):
    plan = _plan(NAMES, LONG_TACTIC, reasons=("No touch of any kind for 120 days",))
    out = _printed(plan, width, monkeypatch)
    lines = _lines(out)
    assert max(cell_len(line) for line in lines) <= width
    assert "\x1b" not in out and "\t" not in out
    for n in range(len(NAMES)):
        assert sum(f"overdue {53 + n}d" in line for line in lines) == 1
    assert sum("Mail AS" in line for line in lines) == 1
    for line in lines:
        if "overdue 55d" in line:  # the markup name: printed as written, maybe shortened
            assert line.startswith("[red]Not")
        if "overdue 56d" in line:
            assert line.startswith("Line break [31mESC tab")  # control characters: spaces


def test_tactic_once_notes_deduplicated_and_markup_literal(monkeypatch):
    plan = _plan(NAMES, "Ask [bold]them[/bold].", reasons=("No touch of any kind for 120 days",))
    out = _printed(plan, 200, monkeypatch)
    assert out.count("Ask [bold]them[/bold].") == 1  # once, literally
    assert out.count("No touch of any kind for 120 days") == 1
    assert out.count("[1]") == len(NAMES) + 1  # each line, and the note itself
    assert "[red]Not red[/red] [bold]AS[/bold]" in out
    assert "Ola [b]Nordmann[/b]" in out
    assert "Carried to next week: 5 (5 effort), the first 3" in out
    assert "Carried 2" in out and "Carried 3" not in out


def test_a_very_long_tactic_wraps_in_the_legend_only(monkeypatch):
    out = _printed(_plan(NAMES, LONG_TACTIC), 80, monkeypatch)
    legend = out[out.index("Tactics\n") + len("Tactics\n") :]
    words = LONG_TACTIC.split()
    assert " ".join(legend.replace("Call (keep)", "").split()).startswith(" ".join(words[:30]))
    assert max(cell_len(line) for line in _lines(out)) <= 80


def test_the_cadence_reason_alone_gets_no_note(monkeypatch):
    out = _printed(_plan(["Plain AS"], "Call them."), 120, monkeypatch)
    assert "[1]" not in out and "quarterly, last call" not in out


def test_the_title_and_summary_break_between_parts_in_a_narrow_terminal(monkeypatch):
    out = _printed(_plan(NAMES, "Call."), 80, monkeypatch)
    first, second, third = _lines(out)[:3]
    assert first.startswith("ola (Ola [b]Nordmann[/b]") and first.endswith("…")
    assert second == "week 2026-W48 (Mon 23 Nov – Sun 29 Nov 2026)"
    assert third.startswith("capacity 5/12 used · +5 carried to next week (5 effort)")


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def book(store):
    seed(store)
    return store


def test_wide_is_the_full_table_and_only_for_table_and_markdown(cli, book):
    wide = weekly(cli, "--rep", "ola", "--wide").stdout
    assert "tactic" in wide and "reason" in wide and "On-site visit (human)" in wide
    compact = weekly(cli, "--rep", "ola").stdout
    assert "(human)" not in compact
    assert "tactic" in weekly(cli, "--rep", "ola", "--wide", "-f", "markdown").stdout
    res = weekly(cli, "--wide", "-f", "json", code=2)
    assert "--wide" in res.stderr


def test_markdown_is_compact_with_tactics_and_escaped_text(cli, book):
    out = weekly(cli, "--rep", "ola", "-f", "markdown").stdout
    assert "### Human — within capacity" in out and "### Tactics" in out
    assert "| account | type/cat | activity | status | day | last touch |" in out
    assert "Ærø Ålesund 🚀" in out and "\\| piped" in out
    data = json.loads(weekly(cli, "--rep", "ola", "-f", "json").stdout)
    for tactic in {i["tactic"] for i in data["reps"][0]["items"]}:
        assert out.count(tactic) == 1


def test_account_shows_its_items_in_full(cli, book):
    data = json.loads(weekly(cli, "--rep", "ola", "-f", "json").stdout)
    acme = [i for i in data["reps"][0]["items"] if i["account"] == "ACME"]
    out = weekly(cli, "--account", "ACME").stdout
    assert "ACME — Acme AS" in out and "owner ola" in out
    for item in acme:
        assert item["tactic"] in out
        for reason in item["reasons"]:
            assert reason in out
    assert weekly(cli, "--account", "acme").stdout == out  # the key in any case
    tricky = cli(
        "weekly", "--week", WEEK, "--today", MONDAY, "--account", "BOLT", env={"COLUMNS": "80"}
    ).stdout
    assert TRICKY.split(",")[0] in tricky  # markup shown as written
    assert max(cell_len(line) for line in _lines(tricky)) <= 80


def test_account_with_nothing_due_says_so(cli, book):
    cli("log", "ACME", "visit", "--date", MONDAY, "--today", MONDAY)
    for kind in ("call", "email", "newsletter", "webinar", "review"):
        cli("log", "ACME", kind, "--date", MONDAY, "--today", MONDAY)
    out = weekly(cli, "--account", "ACME").stdout
    assert f"Nothing due in week {WEEK}." in out
    other = weekly(cli, "--account", "=CMD", "--rep", "ola").stdout
    assert "Nothing due on ola's list" in other and "owner: kari" in other
    assert "not tagged" in weekly(cli, "--account", "RAW").stdout


def test_account_errors(cli, book):
    assert "not found" in weekly(cli, "--account", "NOPE", code=5).stderr
    weekly(cli, "--account", "ACME", "-f", "json", code=2)


def test_out_dir_ics_writes_a_subscription_file_with_this_week_and_the_next(
    cli, book, tmp_path: Path
):
    from icalendar import Calendar

    out = tmp_path / "cal"
    res = weekly(cli, "-f", "ics", "--out-dir", str(out))
    assert f"wrote {out / 'ola.ics'}" in res.stdout
    assert (out / "idle.ics").exists()  # empty, but a subscribed calendar must see that
    sub = Calendar.from_ical((out / "ola.ics").read_text(encoding="utf-8"))
    this = Calendar.from_ical((out / f"ola-{WEEK}.ics").read_text(encoding="utf-8"))
    uids = {str(t["uid"]) for t in sub.walk("VTODO")}
    assert {str(t["uid"]) for t in this.walk("VTODO")} <= uids  # this week's, same UIDs
    nxt = tmp_path / "next"
    weekly(cli, "-f", "ics", "--out-dir", str(nxt), "--week", "2026-W49")
    following = Calendar.from_ical((nxt / "ola-2026-W49.ics").read_text(encoding="utf-8"))
    this_keys = {(str(t["summary"])) for t in this.walk("VTODO")}
    for todo in following.walk("VTODO"):  # next week's new items, with next week's UIDs
        if str(todo["summary"]) not in this_keys:
            assert str(todo["uid"]) in uids
    summaries = [str(t["summary"]) for t in sub.walk("VTODO")]
    assert len(summaries) == len(set(summaries))  # an item listed in both weeks: once
    # a second run rewrites the file in place (same data, same bytes; no temp files)
    before = (out / "ola.ics").read_bytes()
    weekly(cli, "-f", "ics", "--out-dir", str(out))
    assert (out / "ola.ics").read_bytes() == before
    assert not any(p.name.startswith(".") for p in out.iterdir())
    # the work is done: the subscription loses the items
    for kind in ("visit", "call", "email", "newsletter", "webinar", "review"):
        for key in ("ACME", "BOLT"):
            cli("log", key, kind, "--date", MONDAY, "--today", MONDAY)
    weekly(cli, "-f", "ics", "--out-dir", str(out))
    assert len(Calendar.from_ical((out / "ola.ics").read_text()).walk("VTODO")) < len(uids)
