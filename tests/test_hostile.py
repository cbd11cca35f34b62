"""Hostile text through every way in and every way out (issue 12: items 1, 3, 9, 10).

In: one text rule (:func:`khm.io.parse.check_text`) for the import (the whole file),
add/edit, log and the method file. Out: text another client stored past it never writes a
control character (terminal, Markdown, CSV, iCalendar, HTML), and Markdown escapes user
text so that no HTML or link survives a CommonMark renderer.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PG_URL

WEEK = "2026-W48"
MONDAY = "2026-11-23"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # \r too: CRLF is not ours to write
CONTROL_C0 = re.compile(r"[\x00-\x08\x0b-\x1f]")
#: names that would run script or link somewhere if Markdown passed them through
INJECT = (
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<script>alert(2)</script>",
    "<a href='javascript:alert(3)'>click</a>",
    "![i](javascript:alert(4))",
    "`code` *bold* _em_ ~~gone~~ &amp; a|b \\ end",
)
#: names that must still read right
FRIENDLY = ("Ærø Ålesund 🚀", "[brackets] AB", "Bolt (Sweden) AB")
#: control characters another client may have stored (PostgreSQL text cannot hold NUL)
ESCAPES = ("Red\x1b[31mAlert\x1b]0;pwned\x07", "Bell\x07Bell", "Del\x7fC1\x9b2J")
if not PG_URL:
    ESCAPES += ("Nul\x00Byte",)


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(p)


def seed(store, names) -> None:
    """Two reps, an account per name (all long overdue), owned by ola."""
    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola Nordmann", capacity=40))
        s.add(Rep(handle="kari", name="Kari Sørensen", capacity=40))
        s.flush()
        for i, name in enumerate(names):
            acc = Account(
                key=f"K{i}",
                name=name,
                type="expand",
                category="A",
                owner="ola",
                country="NO",
                lifecycle_stage="customer",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            for kind in ("visit", "call", "email"):
                s.add(Touch(account_id=acc.id, rep="ola", kind=kind, date=date(2026, 6, 2)))


def sql(store, statement: str, **params) -> None:
    from sqlalchemy import text

    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


# --------------------------------------------------------------------------- the way in


def test_a_control_character_past_64_kib_is_refused_by_row_and_column(
    cli, tmp_path, snapshot_db
) -> None:
    rows = "".join(f"A{i},Account number {i}\n" for i in range(5000))  # ~110 KB
    f = write(tmp_path, "big.csv", f"key,name\n{rows}LATE,Evil\x1b]0;title\x07\n")
    r = cli("import", "accounts", f, code=3)
    assert f"{f}:5002: control character U+001B (ESC) in column 'name'" in r.stderr
    assert "cannot tell the text encoding" not in r.stderr
    assert snapshot_db()["account"] == []


_PIECES = ["a", "å", "€", "\xa0", "\t", "\n", "\r", "\r\n", "\x1b", "\x00", "\x7f", "\x85"]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from([*_PIECES, "\x9b", "\u2028"]), max_size=12).map("".join),
        st.text(max_size=20),
    )
)
def test_the_byte_check_never_clears_a_text_the_control_rule_refuses(text_: str) -> None:
    """read_csv skips the text regex when the UTF-8 bytes show no control character: the
    bytes may say "look" more often than the rule refuses, never less."""
    from khm.io.parse import find_control, utf8_may_hold_control

    if find_control(text_) >= 0:
        assert utf8_may_hold_control(text_.encode("utf-8"))


def test_a_nul_byte_is_reported_by_row_not_by_byte_offset(cli, tmp_path, snapshot_db) -> None:
    f = write(tmp_path, "nul.csv", b"key,name\nA1,Alfa\nA2,Be\x00ta\n")
    r = cli("import", "accounts", f, code=3)
    assert f"{f}:3: control character U+0000 (NUL) in column 'name'" in r.stderr
    assert "offset" not in r.stderr


def test_every_control_cell_is_listed_and_a_single_one_refuses_the_file(cli, tmp_path) -> None:
    f = write(tmp_path, "c.csv", "key,name,notes\nA1,Al\x07fa,x\nA2,Beta,y\x1bz\n")
    r = cli("import", "accounts", f, code=3)
    assert f"{f}:2: control character U+0007 (BEL) in column 'name' (and 1 more cell)" in r.stderr
    assert f"{f}:3: control character U+001B (ESC) in column 'notes'" in r.stderr


def test_tab_newline_and_crlf_line_ends_are_text(cli, tmp_path) -> None:
    f = write(tmp_path, "ok.csv", 'key,name\r\nA1,"Alfa\r\nAB"\r\nA2,Be\tta\r\n')
    cli("import", "accounts", f)
    lone = write(tmp_path, "cr.csv", 'key,name\nA3,"Over\rwrite"\n')
    r = cli("import", "accounts", lone, code=3)
    assert f"{lone}:2: control character U+000D (CR) in column 'name'" in r.stderr


def test_an_old_mac_file_with_cr_line_ends_still_imports(cli, tmp_path) -> None:
    f = write(tmp_path, "mac.csv", "key,name\rA1,Alfa\rA2,Beta\r")
    assert "2 rows" in cli("import", "accounts", f).stdout


def test_set_and_value_map_follow_the_same_rule(cli, tmp_path) -> None:
    f = write(tmp_path, "a.csv", "key,name\nA1,Alfa\n")
    r = cli("import", "accounts", f, "--set", "lifecycle_stage=x\x1by", code=2)
    assert "control character U+001B (ESC)" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("account", "add", "K1", "--name", "Evil\x1b[2J"),
        ("account", "add", "K\x07", "--name", "Bell"),
        ("rep", "add", "zed", "--name", "Zed\x1b]0;x\x07"),
    ],
)
def test_add_refuses_control_characters(cli, khm_db, args) -> None:
    r = cli(*args, code=2)
    assert "control character U+" in r.stderr


def test_edit_and_log_refuse_control_characters(cli, khm_db, tmp_path) -> None:
    cli("rep", "add", "ola", "--name", "Ola")
    cli("account", "add", "K1", "--name", "Good", "--owner", "ola")
    r = cli("account", "edit", "K1", "--name", "Bad\x9b31m", code=2)
    assert "--name: control character U+009B" in r.stderr
    r = cli("rep", "edit", "ola", "--name", "O\x7fla", code=2)
    assert "--name: control character U+007F (DEL)" in r.stderr
    r = cli("log", "K1", "call", "--note", "line one\nline two\x1b[8m hidden", code=2)
    assert "--note: control character U+001B (ESC)" in r.stderr
    r = cli("log", "K1", "call", "--note", "good\rbad", code=2)
    assert "U+000D (CR)" in r.stderr
    cli("log", "K1", "call", "--note", "line one\n\tline two")  # tab and newline are text


def test_the_method_file_follows_the_rule_and_names_the_key(cli, tmp_path) -> None:
    from khm.method import DEFAULT_METHOD_TOML

    text = DEFAULT_METHOD_TOML.replace(
        'name = "Default method"', 'name = "Default\\u001b[31m method"', 1
    )
    assert text != DEFAULT_METHOD_TOML
    p = tmp_path / "method.toml"
    p.write_text(text, encoding="utf-8")
    r = cli("--method", str(p), "method", "check", code=4)
    assert f"{p}: name: control character U+001B (ESC)" in r.stderr


def test_categories_metric_errors_name_the_method_file(cli, tmp_path) -> None:
    from khm.method import DEFAULT_METHOD_TOML

    p = tmp_path / "method.toml"
    p.write_text(DEFAULT_METHOD_TOML.replace('metric = "revenue"', 'metric = "revnue"', 1))
    cli("import", "accounts", write(tmp_path, "a.csv", "key,name,revenue\nA1,Alfa,10\n"))
    r = cli("--method", str(p), "tag", code=4)
    assert f"{p}: categories.metric: no account has a field 'revnue'" in r.stderr


# --------------------------------------------------------------------------- encodings


def test_a_file_mixing_utf8_and_latin1_names_the_line(cli, tmp_path) -> None:
    data = "key,name\nA1,Caf€ AB\n".encode() + "A2,Kåre Ørn\n".encode("latin-1")
    f = write(tmp_path, "mixed.csv", data)
    r = cli("import", "accounts", f, code=3)
    assert f"{f}:3: not valid UTF-8" in r.stderr and "--encoding" in r.stderr
    # read one way on purpose: the user decided
    cli("import", "accounts", f, "--encoding", "cp1252")
    r = cli("import", "accounts", f, "--encoding", "utf-8", code=3)
    assert f"{f}:3: not valid utf-8" in r.stderr


def test_a_latin1_file_is_still_read_as_cp1252(cli, tmp_path) -> None:
    f = write(tmp_path, "l1.csv", "key,name\nA1,Kåre Ørn\nA2,€ Euro AB\n".encode("cp1252"))
    assert "cp1252" in cli("import", "accounts", f).stdout
    assert "Kåre Ørn" in cli("account", "list", "-f", "csv").stdout


# --------------------------------------------------------------------------- the way out

TEXT_FORMATS = ("table", "markdown", "csv", "ics", "html", "json", "jsonl")


def _all_outputs(cli, tmp_path: Path) -> dict[str, str]:
    """Every view of the seeded book, as text."""
    out: dict[str, str] = {}
    for fmt in TEXT_FORMATS:
        out[f"weekly {fmt}"] = cli("weekly", "--week", WEEK, "--today", MONDAY, "-f", fmt).stdout
    out["weekly wide"] = cli("weekly", "--week", WEEK, "--today", MONDAY, "--wide").stdout
    out["weekly account"] = cli(
        "weekly", "--week", WEEK, "--today", MONDAY, "--account", "K0"
    ).stdout
    d = tmp_path / "out"
    for fmt in ("markdown", "html", "ics", "csv"):
        cli("weekly", "--week", WEEK, "--today", MONDAY, "-f", fmt, "--out-dir", str(d))
    for p in sorted(d.iterdir()):
        out[f"out-dir {p.name}"] = p.read_text(encoding="utf-8")
    for kind in ("neglected", "movement", "coverage"):
        out[f"report {kind} csv"] = cli(
            "report", kind, "--period", "2026-06", "--today", MONDAY, "-f", "csv"
        ).stdout
    for fmt in ("table", "markdown", "html", "json"):
        out[f"report {fmt}"] = cli(
            "report", "all", "--period", "2026-06", "--today", MONDAY, "-f", fmt
        ).stdout
    report_file = tmp_path / "report.txt"
    cli("report", "all", "--period", "2026-06", "--today", MONDAY, "--output", str(report_file))
    out["report --output"] = report_file.read_text(encoding="utf-8")
    for fmt in ("table", "csv"):
        out[f"account list {fmt}"] = cli("account", "list", "-f", fmt).stdout
        out[f"touch list {fmt}"] = cli("touch", "list", "-f", fmt).stdout
    out["account show"] = cli("account", "show", "K0", "--today", MONDAY).stdout
    out["rep show"] = cli("rep", "show", "ola", "--today", MONDAY).stdout
    return out


def test_text_stored_by_another_client_never_writes_a_control_character(
    cli, store, tmp_path
) -> None:
    seed(store, [f"Plain {i}" for i in range(len(ESCAPES))])
    for i, name in enumerate(ESCAPES):  # past the input rule, as another client could
        sql(
            store,
            "UPDATE account SET name = :n, lifecycle_stage = :n WHERE key = :k",
            n=name,
            k=f"K{i}",
        )
    sql(store, "UPDATE rep SET name = :n WHERE handle = 'ola'", n="Ola\x1b[5mBlink\x07")
    sql(store, "UPDATE touch SET note = :n", n="note\x1b]0;title\x07\r\nnext line")
    outputs = _all_outputs(cli, tmp_path)
    assert len(outputs) > 20
    for what, text in outputs.items():
        if "json" in what:  # data, not a view: the exact value, C0 escaped as JSON says
            assert CONTROL_C0.search(text) is None, what
            continue
        if what.endswith(".ics") or what == "weekly ics":
            text = text.replace("\r\n", "\n")  # RFC 5545 line ends: the format's own
        bad = CONTROL.search(text)
        assert bad is None, (what, repr(text[max(0, bad.start() - 40) : bad.end() + 40]))
    # the text is still there, with the controls shown as U+FFFD
    assert "Red\ufffd[31mAlert" in outputs["weekly csv"]
    assert "Red\ufffd[31mAlert" in outputs["account list table"]


def _md_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return (
        MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").render(markdown)
    )


def _tags(html: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


SAFE_TAGS = {
    "h1",
    "h2",
    "h3",
    "p",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "strong",
    "em",
    "hr",
    "br",
    "code",
}


def test_markdown_passes_no_html_and_no_link_from_user_text(cli, store, tmp_path) -> None:
    seed(store, [*INJECT, *FRIENDLY])
    sql(
        store,
        "UPDATE rep SET name = :n WHERE handle = 'ola'",
        n="<b onclick=x>Ola</b> [o](javascript:1)",
    )
    sql(store, "UPDATE touch SET note = :n", n="<iframe src=//evil>\n[l](javascript:2)")
    d = tmp_path / "md"
    cli("weekly", "--week", WEEK, "--today", MONDAY, "-f", "markdown", "--out-dir", str(d))
    texts = {p.name: p.read_text(encoding="utf-8") for p in d.iterdir()}
    texts["weekly"] = cli("weekly", "--week", WEEK, "--today", MONDAY, "-f", "markdown").stdout
    texts["report"] = cli(
        "report", "all", "--period", "2026-06", "--today", MONDAY, "-f", "markdown"
    ).stdout
    for what, md in texts.items():
        html = _md_html(md)
        assert _tags(html) <= SAFE_TAGS, (what, _tags(html) - SAFE_TAGS)
        attrs = re.findall(r"<[a-zA-Z][^<>]*>", html)  # the real tags, with their attributes
        assert not [t for t in attrs if re.search(r"\s(href|src|on\w+)\s*=", t, re.I)], what
    html = _md_html(texts["weekly"])
    for name in (*FRIENDLY, "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))"):
        assert _html_text(name) in html, name  # reads as written


def _html_text(s: str) -> str:
    import html

    return html.escape(s, quote=False)


# --------------------------------------------------------------------------- smaller items


def test_log_refuses_a_date_before_1900(cli, khm_db) -> None:
    cli("account", "add", "K1", "--name", "Alfa")
    r = cli("log", "K1", "call", "--date", "1800-01-01", code=2)
    assert "--date" in r.stderr and "1900" in r.stderr


def test_fail_under_is_a_percentage(cli) -> None:
    r = cli("report", "coverage", "--fail-under", "150", code=2)
    assert "--fail-under" in r.stderr
    cli("report", "coverage", "--fail-under", "-1", code=2)


def test_touch_delete_without_yes_on_a_closed_stdin_is_a_usage_error(cli, store) -> None:
    seed(store, ["Alfa"])
    r = cli("touch", "delete", "1", input="", code=2)
    assert "pass --yes" in r.stderr and "Aborted" not in r.stderr


def test_a_huge_header_prints_a_bounded_list_of_ignored_columns(cli, tmp_path) -> None:
    n = 100_000
    header = "key,name," + ",".join(f"c{i}" for i in range(n))
    f = write(tmp_path, "wide.csv", f"{header}\nA1,Alfa{',' * n}\n")
    r = cli("import", "accounts", f)
    line = next(x for x in r.stdout.splitlines() if "ignored columns" in x)
    assert line.endswith(f"... and {n - 20} more") and len(line) < 400


def test_a_very_long_name_and_handle_from_another_client_do_not_crash_outputs(
    cli, store, tmp_path
) -> None:
    seed(store, ["L" * 400])  # the longest name PostgreSQL stores (varchar 400)
    sql(
        store, "UPDATE rep SET name = :n WHERE handle = 'kari'", n="K" * 200
    )  # rep names: varchar 200
    outputs = _all_outputs(cli, tmp_path)
    assert any("L" * 100 in t for t in outputs.values())
