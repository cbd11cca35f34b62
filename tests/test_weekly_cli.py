"""``khm weekly`` through the CLI: every format, --out-dir, errors, escaping, the loop."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

WEEK = "2026-W48"
MONDAY = "2026-11-23"
TRICKY = '[bold]Ærø Ålesund 🚀[/bold], "quoted" | piped'


def seed(store, *, tricky: bool = True) -> None:
    """Two active reps and one inactive; accounts with calls/visits long overdue."""
    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola Nordmann", capacity=12))
        s.add(Rep(handle="kari", name="Kari Sørensen", capacity=12))
        s.add(Rep(handle="gone", name="Gone Away", capacity=12, active=False))
        s.add(Rep(handle="idle", name="Nothing To Do", capacity=12))
        s.flush()
        rows = [
            ("ACME", "Acme AS", "expand", "A", "ola", "NO"),
            ("BOLT", TRICKY if tricky else "Bolt AB", "keep", "B", "ola", "SE"),
            ("=CMD", '=HYPERLINK("x")', "keep", "C", "kari", "DK"),
            ("LOST", "Lost Oy", "keep", "D", "gone", "FI"),
            ("RAW", "Untagged AS", None, None, "ola", "NO"),
            ("FREE", "Free AS", "expand", "B", None, "NO"),
        ]
        for key, name, typ, cat, owner, country in rows:
            acc = Account(
                key=key,
                name=name,
                type=typ,
                category=cat,
                owner=owner,
                country=country,
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            for kind in ("visit", "call", "email", "newsletter", "webinar", "review"):
                s.add(Touch(account_id=acc.id, rep=owner, kind=kind, date=date(2026, 6, 2)))


@pytest.fixture
def book(store):
    seed(store)
    return store


def weekly(cli, *args, code=0):
    return cli("weekly", "--week", WEEK, "--today", MONDAY, *args, code=code)


def as_json(cli, *args) -> dict:
    return json.loads(weekly(cli, "--format", "json", *args).stdout)


# --------------------------------------------------------------------------- formats


def test_json_has_the_documented_versioned_shape(cli, book):
    data = as_json(cli)
    assert data["version"] == 1 and data["week"] == WEEK
    assert [r["rep"] for r in data["reps"]] == ["idle", "kari", "ola"]  # active reps only
    ola = next(r for r in data["reps"] if r["rep"] == "ola")
    for key in ("rep", "capacity", "human_planned", "carried_over", "items"):
        assert key in ola
    item = ola["items"][0]
    assert set(item) >= {
        "account",
        "name",
        "type",
        "category",
        "activity",
        "mode",
        "effort",
        "status",
        "due",
        "days_overdue",
        "last_touch",
        "reason",
        "tactic",
    }
    assert item["mode"] in ("human", "digital")
    assert item["status"] in ("overdue", "due", "trigger")
    assert ola["human_planned"] <= ola["capacity"]
    problems = {a["account"]: a["problem"] for a in data["unassigned"]["accounts"]}
    assert set(problems) == {"LOST", "RAW", "FREE"}


def test_names_and_dates_survive_json_exactly(cli, book):
    data = as_json(cli)
    ola = next(r for r in data["reps"] if r["rep"] == "ola")
    bolt = [i for i in ola["items"] if i["account"] == "BOLT"]
    assert bolt and all(i["name"] == TRICKY for i in bolt)
    for item in ola["items"]:
        assert date.fromisoformat(item["due"]) <= date(2026, 11, 29)
        assert item["last_touch"] == "2026-06-02"
        assert item["reason"] == "; ".join(item["reasons"])
    assert {i["name"] for r in data["reps"] for i in r["items"]} >= {'=HYPERLINK("x")'}


def test_a_reps_json_file_is_its_section_of_the_whole_without_unassigned(cli, book, tmp_path):
    whole = as_json(cli)
    weekly(cli, "-f", "json", "--out-dir", str(tmp_path))
    ola = json.loads((tmp_path / f"ola-{WEEK}.json").read_text(encoding="utf-8"))
    assert "unassigned" not in ola
    assert ola["reps"] == [r for r in whole["reps"] if r["rep"] == "ola"]
    assert ola["reps"] == as_json(cli, "--rep", "ola")["reps"]
    assert {k: v for k, v in ola.items() if k != "reps"} == {
        k: v for k, v in whole.items() if k not in ("reps", "unassigned")
    }


def jsonl(cli, *args) -> list[dict]:
    text = weekly(cli, "--format", "jsonl", *args).stdout
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_is_one_object_per_listed_item_with_its_week_and_rep(cli, book):
    lines = jsonl(cli)
    whole = as_json(cli)
    expected = [{"week": WEEK, "rep": r["rep"], **i} for r in whole["reps"] for i in r["items"]]
    assert lines == expected and len(lines) == sum(r["count"] for r in whole["reps"])
    assert not any("version" in line or "items" in line for line in lines)  # no envelope
    assert {line["rep"] for line in lines} == {"ola", "kari"}
    assert TRICKY in {line["name"] for line in lines}


def test_jsonl_for_one_rep_and_one_file_per_rep(cli, book, tmp_path: Path):
    assert [line for line in jsonl(cli) if line["rep"] == "ola"] == jsonl(cli, "--rep", "ola")
    out = tmp_path / "lists"
    res = weekly(cli, "-f", "jsonl", "--out-dir", str(out))
    assert sorted(p.name for p in out.iterdir()) == [f"kari-{WEEK}.jsonl", f"ola-{WEEK}.jsonl"]
    text = (out / f"ola-{WEEK}.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines == jsonl(cli, "--rep", "ola")
    assert f"ola-{WEEK}.jsonl ({len(lines)} items)" in res.stdout


def test_the_same_command_twice_gives_identical_output(cli, book):
    for fmt in ("json", "jsonl", "csv", "ics", "markdown", "table"):
        assert weekly(cli, "-f", fmt).stdout == weekly(cli, "-f", fmt).stdout


def test_table_shows_headers_rows_and_escapes_markup(cli, book):
    out = weekly(cli).stdout
    assert "ola (Ola Nordmann) — week 2026-W48 (Mon 23 Nov – Sun 29 Nov 2026)" in out
    assert "capacity" in out and "used" in out
    assert "[bold]Ærø Ålesund 🚀[/bold]" in out  # shown, not interpreted
    assert "overdue" in out and "On-site visit" in out and "Tactics" in out
    assert "Unassigned: 3 account(s)" in out
    assert "idle (Nothing To Do)" in out and "Nothing due this week." in out
    wide = weekly(cli, "--wide").stdout
    assert "On-site visit (human)" in wide and "[bold]Ærø Ålesund 🚀[/bold]" in wide
    assert "Unassigned: 3 account(s)" in wide


def test_overdue_rows_are_red_in_a_colour_terminal(cli, book, monkeypatch):
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = weekly(cli, "--rep", "ola").stdout
    assert "\x1b[31m" in out
    monkeypatch.delenv("FORCE_COLOR")
    assert "\x1b[" not in weekly(cli, "--rep", "ola").stdout


def test_csv_is_the_plan_export_and_formula_safe(cli, book):
    rows = list(csv.DictReader(io.StringIO(weekly(cli, "-f", "csv").stdout)))
    assert rows and {r["rep"] for r in rows} == {"ola", "kari"}
    assert rows[0]["week"] == WEEK
    names = {r["account"]: r["name"] for r in rows}
    assert names["BOLT"] == TRICKY
    assert names["'=CMD"].startswith("'=HYPERLINK")


def test_markdown_escapes_pipes_and_keeps_text(cli, book):
    out = weekly(cli, "-f", "markdown").stdout
    assert "## ola (Ola Nordmann) — week 2026-W48" in out
    assert "Ærø Ålesund 🚀" in out and "\\| piped" in out


def test_ics_parses_back_with_one_todo_per_item(cli, book):
    from icalendar import Calendar

    data = as_json(cli, "--rep", "ola")
    items = data["reps"][0]["items"]
    cal = Calendar.from_ical(weekly(cli, "--rep", "ola", "-f", "ics").stdout)
    todos = [c for c in cal.walk() if c.name == "VTODO"]
    assert len(todos) == len(items)
    uids = [str(t["uid"]) for t in todos]
    assert len(set(uids)) == len(uids)
    first = todos[0]
    assert str(first["summary"]).startswith(items[0]["label"])
    assert items[0]["tactic"] in str(first["description"])
    assert int(first["priority"]) == (1 if items[0]["status"] == "overdue" else 5)
    assert first["due"].dt == date.fromisoformat(items[0]["day"])
    assert any("Ærø Ålesund 🚀" in str(t["summary"]) for t in todos)


def test_ics_events_for_calendars_that_ignore_tasks(cli, book):
    from icalendar import Calendar

    cal = Calendar.from_ical(weekly(cli, "-f", "ics", "--ics-kind", "event").stdout)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert events and all(not isinstance(e["dtstart"].dt, datetime) for e in events)
    weekly(cli, "-f", "ics", "--ics-kind", "meeting", code=2)


# --------------------------------------------------------------------------- --out-dir


def test_out_dir_writes_one_file_per_rep_and_skips_empty_ones(cli, book, tmp_path: Path):
    out = tmp_path / "lists"
    res = weekly(cli, "-f", "json", "--out-dir", str(out))
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"kari-{WEEK}.json", f"ola-{WEEK}.json"]
    assert "wrote" in res.stdout and "skipped 1 rep(s) with nothing due: idle" in res.stdout
    ola = json.loads((out / f"ola-{WEEK}.json").read_text(encoding="utf-8"))
    assert [r["rep"] for r in ola["reps"]] == ["ola"]
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no temp files left


def test_include_empty_writes_every_rep_in_every_format(cli, book, tmp_path: Path):
    formats = (("table", "txt"), ("csv", "csv"), ("markdown", "md"), ("ics", "ics"))
    for fmt, ext in (*formats, ("json", "json"), ("jsonl", "jsonl")):
        out = tmp_path / fmt
        weekly(cli, "-f", fmt, "--out-dir", str(out), "--include-empty")
        subscriptions = [f"{h}.ics" for h in ("idle", "kari", "ola")] if fmt == "ics" else []
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [f"{h}-{WEEK}.{ext}" for h in ("idle", "kari", "ola")] + subscriptions
        )
    text = (tmp_path / "table" / f"ola-{WEEK}.txt").read_text(encoding="utf-8")
    assert "[bold]Ærø Ålesund 🚀[/bold]" in text and "\x1b[" not in text


# --------------------------------------------------------------------------- errors


def test_unknown_rep_is_not_found(cli, book):
    res = weekly(cli, "--rep", "nobody", code=5)
    assert "--rep: no rep with handle 'nobody'" in res.stderr
    data = json.loads(weekly(cli, "--rep", "nobody", "-f", "json", code=5).stdout)
    assert data["error"]["kind"] == "not_found"


def test_inactive_rep_gets_a_message(cli, book):
    res = weekly(cli, "--rep", "gone", code=7)
    assert "inactive" in res.stderr


def test_bad_week_is_a_usage_error(cli, book, snapshot_db):
    before = snapshot_db()
    for bad in ("2026-48", "2026-W54", "next week"):
        res = cli("weekly", "--week", bad, code=2)
        assert "--week" in res.stderr
    assert snapshot_db() == before


def test_rep_option_limits_the_list_and_matches_case(cli, book):
    data = as_json(cli, "--rep", "OLA")
    assert [r["rep"] for r in data["reps"]] == ["ola"]
    assert {i["account"] for i in data["reps"][0]["items"]} <= {"ACME", "BOLT"}
    assert [a["account"] for a in data["unassigned"]["accounts"]] == ["RAW"]


# --------------------------------------------------------------------------- the loop


def test_logging_a_visit_removes_it_and_the_call_it_covers(cli, book):
    def acme():
        data = as_json(cli, "--rep", "ola")
        return {i["activity"]: i for i in data["reps"][0]["items"] if i["account"] == "ACME"}

    before = acme()
    assert "visit" in before and "call" in before["visit"]["covers"]
    cli("log", "ACME", "visit", "--date", "2026-11-24", "--today", "2026-11-24")
    after = acme()
    assert "visit" not in after and "call" not in after
    assert not any("call" in i["covers"] for i in after.values())
    # next week: still not due; the next visit is due one interval (quarterly) later
    from khm.core.due import due_for
    from khm.method import default_method

    m = default_method()
    d = due_for(
        "visit",
        m.cadence_for("expand", "A")["visit"],
        account_key="ACME",
        anchor=date(2026, 1, 5),
        last_by_kind={"visit": date(2026, 11, 24)},
        method=m,
    )
    assert d.due == date(2027, 2, 24)
    feb = json.loads(
        cli("weekly", "--week", "2027-W08", "--today", "2027-02-22", "-f", "json").stdout
    )
    ola = next(r for r in feb["reps"] if r["rep"] == "ola")
    visits = [
        i
        for i in ola["items"] + ola["carried"]
        if (i["account"], i["activity"]) == ("ACME", "visit")
    ]
    assert visits and visits[0]["due"] == "2027-02-24"


def test_july_has_no_human_items_and_the_first_august_week_brings_them(cli, book):
    july = as_json(cli, "--week", "2026-W29")
    for rep in july["reps"]:
        assert all(i["mode"] == "digital" for i in rep["items"])
        assert rep["capacity"] == 0
    ola_july = next(r for r in july["reps"] if r["rep"] == "ola")
    assert ola_july["paused"] > 0
    august = as_json(cli, "--week", "2026-W32")
    ola = next(r for r in august["reps"] if r["rep"] == "ola")
    assert any(i["mode"] == "human" for i in ola["items"])


def test_holiday_dates_are_cached_in_the_data_dir(cli, book, tmp_path: Path, monkeypatch):
    first = weekly(cli, "-f", "json").stdout
    files = list((tmp_path / "data" / "cache").glob("holidays-*.json"))
    assert len(files) == 1
    cached = json.loads(files[0].read_text(encoding="utf-8"))
    assert "NO-2026" in cached and "2026-12-25" in cached["NO-2026"]

    import khm.core.calendar

    def boom(*a):
        raise AssertionError("the holidays package should not be needed")

    monkeypatch.setattr(khm.core.calendar, "holiday_dates", boom)
    assert weekly(cli, "-f", "json").stdout == first


def test_an_empty_database_gives_valid_empty_output_in_every_format(khm_db, cli):
    data = json.loads(weekly(cli, "-f", "json").stdout)
    assert data["reps"] == [] and data["unassigned"]["count"] == 0
    assert "No active reps" in weekly(cli).stdout
    assert "No active reps" in weekly(cli, "-f", "markdown").stdout
    assert weekly(cli, "-f", "jsonl").stdout == ""
    assert weekly(cli, "-f", "csv").stdout.startswith("week,rep,account")
    from icalendar import Calendar

    assert not Calendar.from_ical(weekly(cli, "-f", "ics").stdout).walk("VTODO")


def test_tag_moves_and_custom_metrics_from_the_store_fire_triggers(cli, store, tmp_path: Path):
    """The tag history and the history of custom numeric fields are read from the
    database (a threshold fires on a crossing of that history, not on a level)."""
    from khm.method import DEFAULT_METHOD_TOML
    from khm.store.models import Account, FieldChange, Rep, TagChange, Touch

    method = tmp_path / "method.toml"
    method.write_text(
        DEFAULT_METHOD_TOML
        + '\n[[triggers]]\nkind = "threshold"\nname = "unhappy"\nmetric = "nps"\nbelow = 7\n'
        'activity = "call"\nreason = "NPS {value:g}: call them"\n',
        encoding="utf-8",
    )
    with store.transaction() as s:
        s.add(Rep(handle="ola", capacity=12))
        s.flush()
        grown = Account(
            key="GROWN",
            name="Grown AS",
            type="expand",
            category="B",
            owner="ola",
            country="NO",
            tagged_at=datetime(2026, 11, 18),
            custom={"nps": 9},
        )
        sad = Account(
            key="SAD",
            name="Sad AS",
            type="keep",
            category="C",
            owner="ola",
            country="NO",
            tagged_at=datetime(2026, 1, 5),
            custom={"nps": 4},
        )
        s.add_all([grown, sad])
        s.flush()
        s.add(
            TagChange(
                account_id=grown.id,
                field="type",
                old="keep",
                new="expand",
                changed_at=datetime(2026, 11, 18, 9, 30),
            )
        )
        s.add(
            TagChange(
                account_id=grown.id,
                field="owner",
                old=None,
                new="ola",
                changed_at=datetime(2026, 11, 18, 9, 31),
            )
        )
        s.add(
            FieldChange(account_id=sad.id, field="nps", old=8, new=4, changed_on=date(2026, 11, 20))
        )
        for acc, day in ((grown, date(2026, 11, 2)), (sad, date(2026, 10, 1))):
            for kind in ("visit", "call", "email", "newsletter", "webinar", "review"):
                s.add(Touch(account_id=acc.id, rep="ola", kind=kind, date=day))
    data = json.loads(
        cli(
            "--method", str(method), "weekly", "--week", WEEK, "--today", MONDAY, "-f", "json"
        ).stdout
    )
    items = {(i["account"], i["activity"]): i for i in data["reps"][0]["items"]}
    meeting = items[("GROWN", "meeting")]
    assert meeting["status"] == "trigger" and meeting["triggers"] == ["became expand"]
    assert meeting["reason"] == "Moved keep → expand: plan an expansion meeting"
    call = items[("SAD", "call")]
    assert call["status"] == "trigger" and call["reason"] == "NPS 4: call them"
    assert ("GROWN", "call") not in items  # nps 9: no threshold trigger
    # the meeting is held: the trigger is quiet
    cli("log", "GROWN", "meeting", "--date", "2026-11-24", "--today", "2026-11-24")
    data = json.loads(
        cli(
            "--method", str(method), "weekly", "--week", WEEK, "--today", MONDAY, "-f", "json"
        ).stdout
    )
    assert ("GROWN", "meeting") not in {
        (i["account"], i["activity"]) for i in data["reps"][0]["items"]
    }


def test_a_past_week_ignores_touches_logged_after_its_sunday(cli, book):
    cli("log", "ACME", "visit", "--date", "2026-11-24", "--today", "2026-11-24")
    data = json.loads(
        cli("weekly", "--week", "2026-W47", "--today", MONDAY, "--rep", "ola", "-f", "json").stdout
    )
    items = {(i["account"], i["activity"]): i for i in data["reps"][0]["items"]}
    assert items[("ACME", "visit")]["last_touch"] == "2026-06-02"
    now = as_json(cli, "--rep", "ola")
    assert ("ACME", "visit") not in {(i["account"], i["activity"]) for i in now["reps"][0]["items"]}


def test_the_table_shows_human_work_before_digital_items(cli):
    """A rep reads what their capacity goes to first; digital items follow in their own table."""
    cli("demo", "--accounts", "120", "--today", "2026-11-23")
    out = cli("weekly", "--rep", "sigga", "--today", "2026-11-23").stdout  # both kinds due
    assert "Human — within capacity" in out and "Digital" in out
    assert out.index("Human — within capacity") < out.index("Digital (")
    human_part = out[out.index("Human — within capacity") : out.index("Digital (")]
    assert "(digital)" not in human_part


# --------------------------------------------------------------------------- background query


def test_the_touch_query_in_a_thread_gives_the_same_plan(cli, store):
    """All reps: the touch query runs in a thread on its own connection (sorted so SQLite
    does the work in one call); the plan equals the one made with a single connection."""
    from khm.method import default_method
    from khm.services.weekly import build_weekly

    cli("demo", "--accounts", "150", "--today", "2026-11-23")
    cli("log", "brackets-ab", "visit", "--date", "2026-11-24", "--today", "2026-11-24")
    method = default_method()
    today = date(2026, 11, 23)
    # this week, a no-human week, and past weeks (touches after Sunday are filtered out)
    for week in (None, "2026-W29", "2026-W32", "2026-W20", "2025-W50"):
        threaded = build_weekly(store, method, today=today, week=week, background=True)
        single = build_weekly(store, method, today=today, week=week, background=False)
        assert threaded == single
        # this week has work (the other weeks are edges: July, before the history)
        assert sum(len(r.items) for r in single.reps) > 0 or week is not None


def test_an_error_in_the_background_query_reaches_the_caller(book, monkeypatch):
    from khm.method import default_method
    from khm.services.weekly import build_weekly
    from khm.store import planning

    def broken(*args, **kwargs):
        raise RuntimeError("touch query failed")

    monkeypatch.setattr(planning, "last_touches_by_id", broken)
    with pytest.raises(RuntimeError, match="touch query failed"):
        build_weekly(book, default_method(), today=date(2026, 11, 23), background=True)
