"""One reading of every value: ``account add/edit`` and ``import accounts``, ``rep add/edit``
and ``import reps``, ``log --date`` and ``import touches`` accept and refuse the same values,
store the same value, and refuse with the same message (the command names the option, the
import the file, row and field)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khm.errors import ExitCode
from khm.io.parse import CellError, parse_number

#: the commands here need a database (only init, demo and import create one)
pytestmark = pytest.mark.usefixtures("khm_db")

TODAY = "2026-11-23"


def _json(result) -> dict:
    return json.loads(result.stdout)


def _csv(tmp_path: Path, name: str, header: list[str], row: list[str]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerow(row)
    p = tmp_path / name
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def _cli_refusal(result, option: str) -> str:
    """The message after ``Error: OPTION: `` (the option named first)."""
    first = result.stderr.strip().splitlines()[0]
    prefix = f"Error: {option}: "
    assert first.startswith(prefix), result.stderr
    return first[len(prefix) :]


def _import_refusal(result, path: Path, field: str) -> str:
    """The message after ``FILE:2: FIELD: `` in the import's list of bad rows."""
    prefix = f"{path}:2: {field}: "
    lines = [ln.strip() for ln in result.stderr.splitlines() if prefix in ln]
    assert len(lines) == 1, result.stderr
    return lines[0][len(prefix) :]


# (the account field, what the user types, the stored number or the refusal's text)
ACCOUNT_VALUES: list[tuple[str, str, float | str]] = [
    ("revenue", "1234", 1234.0),
    ("revenue", "1 234,50", 1234.5),
    ("revenue", "1\u00a0234,50", 1234.5),
    ("revenue", "kr 12 000", 12000.0),
    ("revenue", "12 000 SEK", 12000.0),
    ("revenue", "€3 400", 3400.0),
    ("revenue", "1.2M", 1_200_000.0),
    ("revenue", "250k", 250_000.0),
    ("revenue", "12 450 000,00", 12_450_000.0),
    ("revenue", "1.234.567,89", 1_234_567.89),
    ("revenue", "1,234,567.89", 1_234_567.89),
    ("revenue", "1_234_567", 1_234_567.0),
    ("revenue", "0,75", 0.75),
    ("revenue", "1e3", 1000.0),
    ("revenue", "100,-", 100.0),
    ("revenue", "(300)", "'(300)' must not be negative"),
    ("revenue", "-5", "'-5' must not be negative"),
    ("revenue", "abc", "'abc' is not a number"),
    ("revenue", "inf", "'inf' is not a number"),  # "nan" in a file is empty: test_onboard
    ("revenue", "12abc", "'12abc' is not a number"),
    (
        "revenue",
        "1.2.3",
        "'1.2.3' is not a number (',' is the decimal separator here and '.' may only "
        "separate groups of three digits)",
    ),
    (
        "revenue",
        "12,5,6",
        "'12,5,6' is not a number ('.' is the decimal separator here and ',' may only "
        "separate groups of three digits)",
    ),
    ("employees", "1 200", 1200.0),
    ("employees", "-4", "'-4' must not be negative"),
    ("margin", "(300)", -300),
    ("margin", "-5", -5),
    ("margin", "1,5", 1.5),
    ("margin", "-1 234,5", -1234.5),
    ("margin", "1.2M", 1_200_000),
    ("margin", "x", "'x' is not a number"),
]


def _account_args(field: str, text: str) -> list[str]:
    if field == "margin":
        return ["--field", f"margin={text}"]
    return [f"--{field}", text]


def _option(field: str) -> str:
    return "--field margin" if field == "margin" else f"--{field}"


def _import_field(field: str) -> str:
    return "custom.margin" if field == "margin" else field


def _stored(cli, key: str, field: str) -> object:
    acc = _json(cli("account", "show", key, "-f", "json"))["account"]
    return acc["custom"].get("margin") if field == "margin" else acc[field]


@pytest.mark.parametrize(("field", "text", "expected"), ACCOUNT_VALUES)
def test_account_add_edit_and_import_read_a_number_alike(
    cli, tmp_path, snapshot_db, field, text, expected
):
    cli("account", "add", "OLD", *_account_args(field, "7"))
    f = _csv(tmp_path, "a.csv", ["key", _import_field(field)], ["NEW_I", text])
    if isinstance(expected, str):
        before = snapshot_db()
        add = cli("account", "add", "NEW_A", *_account_args(field, text), code=ExitCode.USAGE)
        edit = cli("account", "edit", "OLD", *_account_args(field, text), code=ExitCode.USAGE)
        imp = cli("import", "accounts", str(f), code=ExitCode.BAD_INPUT)
        assert snapshot_db() == before
        opt = _option(field)
        assert _cli_refusal(add, opt) == expected
        assert _cli_refusal(edit, opt) == expected
        assert _import_refusal(imp, f, _import_field(field)) == expected
        return
    cli("account", "add", "NEW_A", *_account_args(field, text))
    cli("account", "edit", "OLD", *_account_args(field, text))
    cli("import", "accounts", str(f))
    got = [_stored(cli, k, field) for k in ("NEW_A", "OLD", "NEW_I")]
    assert got == [pytest.approx(expected)] * 3
    assert len({type(v) for v in got}) == 1, got  # 25000 stays 25000, not 25000.0


def test_an_empty_number_is_no_value_on_add_and_import_and_refused_on_edit(cli, tmp_path):
    """``--revenue ""`` on add and an empty cell both give no revenue; on edit an empty
    value is refused (``--clear-field revenue`` empties it), as ``rep edit --capacity ""``."""
    cli("account", "add", "NEW_A", "--revenue", "")
    cli("import", "accounts", str(_csv(tmp_path, "a.csv", ["key", "revenue"], ["NEW_I", ""])))
    assert _stored(cli, "NEW_A", "revenue") is None
    assert _stored(cli, "NEW_I", "revenue") is None
    r = cli("account", "edit", "NEW_A", "--revenue", " ", code=ExitCode.USAGE)
    assert "--clear-field revenue" in r.stderr


def test_a_lone_comma_before_three_digits_is_ambiguous_on_the_command_line(cli, tmp_path):
    """The one value a file reads by its context: in a column, the other values (or the
    file's separator) say what ``1,234`` is; typed alone it could be 1234 or 1.234."""
    r = cli("account", "add", "A", "--revenue", "1,234", code=ExitCode.USAGE)
    assert (
        _cli_refusal(r, "--revenue")
        == "'1,234' is ambiguous (thousands or decimals?); write 1234 or 1.234"
    )
    comma = _csv(tmp_path, "c.csv", ["key", "revenue"], ["C", "1,234"])
    cli("import", "accounts", str(comma))
    assert _stored(cli, "C", "revenue") == 1234.0
    semi = tmp_path / "s.csv"
    semi.write_text("key;revenue\nS;1,234\n", encoding="utf-8")
    cli("import", "accounts", str(semi))
    assert _stored(cli, "S", "revenue") == pytest.approx(1.234)


@pytest.mark.parametrize(
    ("option", "texts", "expected"),
    [
        ("--product-line", ["Cloud; Analytics"], ["Cloud", "Analytics"]),
        ("--product-line", ["Cloud", "cloud", "Support | GTX"], ["Cloud", "Support", "GTX"]),
        ("--country", ["Sverige"], "SE"),
        ("--country", ["nor"], "NO"),
    ],
)
def test_account_lists_and_countries_read_alike(cli, tmp_path, option, texts, expected):
    args = [a for t in texts for a in (option, t)]
    cli("account", "add", "A", *args)
    field = "product_lines" if option == "--product-line" else "country"
    f = _csv(tmp_path, "a.csv", ["key", field], ["B", "; ".join(texts)])
    cli("import", "accounts", str(f))
    got = [_json(cli("account", "show", k, "-f", "json"))["account"][field] for k in "AB"]
    assert got == [expected, expected]


# --------------------------------------------------------------------------- reps

REP_VALUES: list[tuple[str, str, object]] = [
    ("email", "anna@example.se", "anna@example.se"),
    ("email", " anna.s@sub.example.no ", "anna.s@sub.example.no"),
    ("email", "not-an-address", "'not-an-address' is not an e-mail address"),
    ("email", "a@b@c.se", "'a@b@c.se' is not an e-mail address"),
    ("email", "a@b.", "'a@b.' is not an e-mail address"),
    ("email", "a@.se", "'a@.se' is not an e-mail address"),
    ("email", "a@b..se", "'a@b..se' is not an e-mail address"),
    ("email", "a b@c.se", "'a b@c.se' is not an e-mail address"),
    ("capacity", "12", 12.0),
    ("capacity", "7,5", 7.5),
    ("capacity", "2.5", 2.5),
    ("capacity", "-1", "'-1' must not be negative"),
    ("capacity", "many", "'many' is not a number"),
    ("role", "EXPAND", "expand"),
    ("role", " keep ", "keep"),
    ("role", "boss", "'boss' is not one of expand, keep, any"),
]


@pytest.mark.parametrize(("field", "text", "expected"), REP_VALUES)
def test_rep_add_edit_and_import_read_a_value_alike(
    cli, tmp_path, snapshot_db, field, text, expected
):
    cli("rep", "add", "old")
    f = _csv(tmp_path, "r.csv", ["handle", field], ["new.i", text])
    refused = isinstance(expected, str) and " " in expected
    if refused:
        before = snapshot_db()
        add = cli("rep", "add", "new.a", f"--{field}", text, code=ExitCode.USAGE)
        edit = cli("rep", "edit", "old", f"--{field}", text, code=ExitCode.USAGE)
        imp = cli("import", "reps", str(f), code=ExitCode.BAD_INPUT)
        assert snapshot_db() == before
        assert _cli_refusal(add, f"--{field}") == expected
        assert _cli_refusal(edit, f"--{field}") == expected
        assert _import_refusal(imp, f, field) == expected
        return
    cli("rep", "add", "new.a", f"--{field}", text)
    cli("rep", "edit", "old", f"--{field}", text)
    cli("import", "reps", str(f))
    got = [
        _json(cli("rep", "show", h, "-f", "json"))["rep"][field] for h in ("new.a", "old", "new.i")
    ]
    assert got == [expected] * 3


HANDLE_RULE = (
    "is not a handle (one lower-case word of a-z, 0-9, '.', '_' and '-', starting with a "
    "letter or digit, at most 64 characters)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anna", "anna"),
        ("ANNA.B", "anna.b"),
        ("a_2-x", "a_2-x"),
        ("x" * 64, "x" * 64),
        ("Not A Handle", f"'Not A Handle' {HANDLE_RULE}"),
        ("æsa", f"'æsa' {HANDLE_RULE}"),
        (".anna", f"'.anna' {HANDLE_RULE}"),
        ("x" * 65, f"'{'x' * 65}' {HANDLE_RULE}"),
    ],
)
def test_rep_add_and_import_read_a_handle_alike(cli, tmp_path, snapshot_db, text, expected):
    f = _csv(tmp_path, "r.csv", ["handle", "name"], [text, "Someone"])
    if " " in expected:
        cli("db", "upgrade")
        before = snapshot_db()
        add = cli("rep", "add", text, code=ExitCode.USAGE)
        imp = cli("import", "reps", str(f), code=ExitCode.BAD_INPUT)
        assert snapshot_db() == before
        assert _cli_refusal(add, "HANDLE") == expected
        assert _import_refusal(imp, f, "handle") == expected
        return
    cli("import", "reps", str(f))
    reps = _json(cli("rep", "list", "-f", "json"))["items"]
    assert [r["handle"] for r in reps] == [expected]
    cli("rep", "add", text, code=ExitCode.CONFLICT)  # the same handle, read the same way


# --------------------------------------------------------------------------- dates


@pytest.fixture
def acme(cli):
    cli("rep", "add", "anna")
    cli("account", "add", "ACME", "--owner", "anna")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", "2026-11-20"),
        ("2026-11-20T09:30", "2026-11-20"),
        ("20.11.2026", "2026-11-20"),
        ("20. 11. 2026", "2026-11-20"),
        ("20/11/2026", "2026-11-20"),
        ("11/20/2026", "2026-11-20"),
        ("20261120", "2026-11-20"),
        ("20 Nov 2026", "2026-11-20"),
        ("2026/11/20", "2026-11-20"),
        ("03/04/2026", "'03/04/2026' is ambiguous (day/month or month/day?); write YYYY-MM-DD"),
        ("2026-02-30", "'2026-02-30' is not a date (day is out of range for month)"),
        ("31.12.1899", "'31.12.1899': year 1899 is out of range (1900-2100)"),
        ("23/13/2026", "'23/13/2026' is not a date (neither number is a month)"),
        ("soon", "'soon' is not a date"),
    ],
)
def test_log_date_and_import_touches_read_a_date_alike(
    cli, acme, tmp_path, snapshot_db, text, expected
):
    f = _csv(tmp_path, "t.csv", ["account", "date", "kind"], ["ACME", text, "call"])
    if not expected[:4].isdigit():
        before = snapshot_db()
        log = cli("log", "ACME", "call", "--date", text, "--today", TODAY, code=ExitCode.USAGE)
        imp = cli("import", "touches", str(f), code=ExitCode.BAD_INPUT)
        assert snapshot_db() == before
        assert _cli_refusal(log, "--date") == expected
        # the import may add how to tell it (--date-format); the reading is the same
        assert _import_refusal(imp, f, "date").startswith(expected)
        return
    cli("log", "ACME", "call", "--date", text, "--today", TODAY)
    cli("import", "touches", str(f))
    touches = _json(cli("touch", "list", "-f", "json"))["items"]
    assert [(t["date"], t["source"]) for t in touches] == [
        (expected, "import:t.csv"),
        (expected, "manual"),
    ] or [(t["date"], t["source"]) for t in touches] == [
        (expected, "manual"),
        (expected, "import:t.csv"),
    ]


# --------------------------------------------------------------------------- properties


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    st.sampled_from(["nordic", "german", "english", "swiss", "plain"]),
)
def test_a_number_in_any_supported_style_reads_back_as_itself(value, style) -> None:  # type: ignore[no-untyped-def]
    """Typed alone (``decimal=None``: the command line) or in a column of its style."""
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}"
    text, column = {
        "nordic": (f"{sign}{grouped.replace(',', ' ')},{frac}", ","),
        "german": (f"{sign}{grouped.replace(',', '.')},{frac}", ","),
        "english": (f"{sign}{grouped}.{frac}", "."),
        "swiss": (f"{sign}{grouped.replace(',', chr(39))}.{frac}", "."),
        "plain": (f"{sign}{whole}.{frac}", "."),
    }[style]
    assert parse_number(text, column) == pytest.approx(float(value))
    assert parse_number(text) == pytest.approx(float(value))
    assert parse_number(f"({text.lstrip('-')})") == pytest.approx(-abs(float(value)))


@given(st.text(max_size=12))
def test_any_text_is_a_number_or_a_clean_refusal(text) -> None:  # type: ignore[no-untyped-def]
    try:
        value = parse_number(text)
    except CellError as exc:
        assert str(exc)
    else:
        assert value == value and abs(value) != float("inf")
