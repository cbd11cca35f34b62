"""Cell parsers and CSV sniffing (khm.io): numbers, dates, countries, booleans, handles,
encodings and separators."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khm.errors import InputError
from khm.io.csvsniff import read_csv, sniff_delimiter
from khm.io.parse import (
    DMY,
    MDY,
    CellError,
    decide_date_order,
    decide_decimal,
    handle_from,
    is_valid_handle,
    normalise_header,
    parse_bool,
    parse_country,
    parse_date,
    parse_number,
    split_list,
    unquote_formula,
)

# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1234", ".", 1234.0),
        ("1234.5", ".", 1234.5),
        ("1,234.50", ".", 1234.5),
        ("1 234,50", ",", 1234.5),
        ("1.234,50", ",", 1234.5),
        ("1\u00a0234\u00a0567,25", ",", 1234567.25),
        ("1\u202f234", ".", 1234.0),
        ("12,5", ",", 12.5),
        ("1.234.567", ",", 1234567.0),
        ("1,234,567", ".", 1234567.0),
        ("kr 12 000", ".", 12000.0),
        ("12 000 kr", ",", 12000.0),
        ("12 000 SEK", ",", 12000.0),
        ("€1.2M", ".", 1_200_000.0),
        ("1,2 MSEK".replace("MSEK", "mn"), ",", 1_200_000.0),
        ("$3,400", ".", 3400.0),
        ("3 400 €", ",", 3400.0),
        ("250k", ".", 250_000.0),
        ("1.1bn", ".", 1_100_000_000.0),
        ("(300)", ".", -300.0),
        ("-5", ".", -5.0),
        ("\u22125", ".", -5.0),
        ("100,-", ",", 100.0),
        ("0.75", ".", 0.75),
        (",5", ",", 0.5),
        ("1_000", ".", 1000.0),  # digit groups as in Python, like the command line
    ],
)
def test_numbers_in_every_locale_style_parse(text: str, decimal: str, expected: float) -> None:
    assert parse_number(text, decimal) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("abc", "."),
        ("nan", "."),
        ("inf", "."),
        ("12,5", "."),  # a decimal comma in a decimal-point column
        ("1.2.3", "."),
        ("1,23,4", ","),
        ("1 2x", "."),
        ("", "."),
        ("--5", "."),
    ],
)
def test_non_numbers_are_refused_with_the_value(text: str, decimal: str) -> None:
    with pytest.raises(CellError) as exc:
        parse_number(text, decimal)
    assert repr(text.strip())[1:-1] in str(exc.value) or not text.strip()


def test_decimal_separator_is_decided_per_column() -> None:
    assert decide_decimal(["1 234,50", "12", "99,9"]) == ","
    assert decide_decimal(["1,234.50", "12", "0.5"]) == "."
    assert decide_decimal(["1,234", "2,000"], hint=",") == ","  # nothing tells: the hint
    assert decide_decimal(["1,234", "2,000"], hint=".") == "."
    assert decide_decimal(["1.234.567"]) == ","  # repeated dots group thousands
    assert decide_decimal(["1,234,567"]) == "."
    assert decide_decimal([]) == "."


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_a_number_written_the_nordic_way_reads_back(value) -> None:  # type: ignore[no-untyped-def]
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", "\u00a0")
    text = f"{sign}{groups},{frac}"
    assert parse_number(text, ",") == pytest.approx(float(value))
    assert parse_number(f"{sign}{int(whole):,}.{frac}", ".") == pytest.approx(float(value))


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-11-23", None, date(2026, 11, 23)),
        ("2026-11-23 14:05:00", None, date(2026, 11, 23)),
        ("2026-11-23T14:05:00Z", None, date(2026, 11, 23)),
        ("2026/11/23", None, date(2026, 11, 23)),
        ("20261123", None, date(2026, 11, 23)),
        ("23.11.2026", None, date(2026, 11, 23)),
        ("3.4.2026", None, date(2026, 4, 3)),
        ("23/11/2026", None, date(2026, 11, 23)),
        ("11/23/2026", None, date(2026, 11, 23)),
        ("03/04/2026", DMY, date(2026, 4, 3)),
        ("03/04/2026", MDY, date(2026, 3, 4)),
        ("05/05/2026", None, date(2026, 5, 5)),
        ("23 Nov 2026", None, date(2026, 11, 23)),
        ("Nov 23, 2026", None, date(2026, 11, 23)),
    ],
)
def test_dates_in_common_export_styles_parse(text: str, order: str | None, expected: date) -> None:
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "order", "words"),
    [
        ("03/04/2026", None, "ambiguous"),
        ("31.02.2026", None, "not a date"),
        ("soon", None, "not a date"),
        ("1850-01-01", None, "out of range"),
        ("13/25/2026", DMY, "not a date"),
        ("23/11/2026", MDY, "mm/dd/yyyy"),
        ("Nov 23", None, "year"),
    ],
)
def test_bad_dates_say_why(text: str, order: str | None, words: str) -> None:
    with pytest.raises(CellError, match=words):
        parse_date(text, order)


def test_date_format_option_wins() -> None:
    assert parse_date("03/04/2026", None, "%m/%d/%Y") == date(2026, 3, 4)
    with pytest.raises(CellError, match="format"):
        parse_date("2026-03-04", None, "%m/%d/%Y")


def test_date_order_is_decided_per_column() -> None:
    assert decide_date_order(["01/02/2026", "25/02/2026"]) == DMY
    assert decide_date_order(["01/02/2026", "02/25/2026"]) == MDY
    assert decide_date_order(["01/02/2026", "2026-01-01"]) is None


# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SE", "SE"),
        ("se", "SE"),
        ("SWE", "SE"),
        ("Sweden", "SE"),
        ("Sverige", "SE"),
        ("Norge", "NO"),
        ("Danmark", "DK"),
        ("Suomi", "FI"),
        ("Eesti", "EE"),
        ("Ísland", "IS"),
        ("United States", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Germany", "DE"),
        ("  kenya ", "KE"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
    ],
)
def test_country_names_and_codes_map_to_iso(text: str, code: str) -> None:
    assert parse_country(text) == (code, None)


def test_a_close_misspelling_maps_with_a_warning() -> None:
    code, warning = parse_country("Philipines")
    assert code == "PH"
    assert warning and "Philipines" in warning and "PH" in warning
    code, warning = parse_country("Korea")
    assert code == "KR" and warning


@pytest.mark.parametrize("text", ["Xyzland", "QQ", "Atlantis", "12"])
def test_unknown_countries_are_errors_naming_the_value(text: str) -> None:
    with pytest.raises(CellError, match=text):
        parse_country(text)


# --------------------------------------------------------------------------- small parsers


@pytest.mark.parametrize("text", ["yes", "TRUE", "1", "ja", "Y", "x", "kyllä"])
def test_true_words(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "False", "0", "nej", "nei", "ei", "N"])
def test_false_words(text: str) -> None:
    assert parse_bool(text) is False


def test_bool_rejects_other_words() -> None:
    with pytest.raises(CellError, match="maybe"):
        parse_bool("maybe")


def test_product_lines_split_on_semicolon_and_pipe() -> None:
    assert split_list("GTX; MG | Cloud") == ["GTX", "MG", "Cloud"]
    assert split_list("GTX;;GTX|") == ["GTX"]
    assert split_list("Cloud, Analytics") == ["Cloud, Analytics"]


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Anna Snelling", "anna.snelling"),
        ("Åsa Ørn-Ødegård", "asa.orn.odegard"),
        ("Mads Ærøe", "mads.aeroe"),
        ("Jüri Õunapuu", "juri.ounapuu"),
        ("anna@example.se", "anna"),
        ("  O'Brien,  Pat ", "o.brien.pat"),
    ],
)
def test_handles_are_made_from_names(name: str, handle: str) -> None:
    assert handle_from(name) == handle


@given(st.text(max_size=80))
def test_a_made_handle_is_valid_or_empty(name: str) -> None:
    h = handle_from(name)
    assert h == "" or is_valid_handle(h)


def test_headers_match_case_and_separator_insensitively() -> None:
    assert normalise_header(" Lifecycle Stage ") == "lifecycle_stage"
    assert normalise_header("product-lines") == "product_lines"


def test_formula_apostrophe_is_undone() -> None:
    assert unquote_formula("'=SUM(A1)") == "=SUM(A1)"
    assert unquote_formula("'+46 Telecom") == "+46 Telecom"
    assert unquote_formula("'quoted'") == "'quoted'"


# --------------------------------------------------------------------------- sniffing


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_utf8_bom_semicolon_file_is_sniffed(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "\ufeffkey;name\r\nA;Ærø\r\n".encode())
    f = read_csv(p)
    assert (f.encoding, f.delimiter, f.header) == ("utf-8-sig", ";", ["key", "name"])
    assert f.rows == [(2, ["A", "Ærø"])]


def test_latin1_file_is_read_as_cp1252(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "key,name\nA,Åsa Öberg\n".encode("latin-1"))
    f = read_csv(p)
    assert f.encoding == "cp1252"
    assert f.rows[0][1] == ["A", "Åsa Öberg"]


def test_utf16_excel_unicode_text_is_read(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "key\tname\nA\tÆbler\n".encode("utf-16"))
    f = read_csv(p)
    assert (f.encoding, f.delimiter) == ("utf-16", "\t")
    assert f.rows[0][1] == ["A", "Æbler"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators_are_detected(tmp_path: Path, sep: str) -> None:
    text = sep.join(["key", "name", "revenue"]) + "\n"
    text += sep.join(["A", "Alpha", "1,5" if sep != "," else "1.5"]) + "\n"
    text += sep.join(["B", "Beta", "2"]) + "\n"
    p = _write(tmp_path / "a.csv", text.encode())
    assert read_csv(p).delimiter == sep


def test_semicolon_file_with_decimal_commas_is_not_taken_for_commas() -> None:
    text = "key;revenue;employees\nA;1 234,50;12\nB;99,9;3\nC;12,25;4\n"
    assert sniff_delimiter(text) == ";"


def test_quoted_fields_keep_separators_and_newlines_and_rows_keep_line_numbers(
    tmp_path: Path,
) -> None:
    p = _write(
        tmp_path / "a.csv",
        b'key,note\nA,"line one\nline two, with comma"\n\nB,"say ""hi"""\n',
    )
    f = read_csv(p)
    assert f.rows == [(2, ["A", "line one\nline two, with comma"]), (5, ["B", 'say "hi"'])]


def test_single_column_file_is_fine(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", b"key\nA\nB\n")
    f = read_csv(p)
    assert f.header == ["key"] and len(f.rows) == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"key,name\n", "only a header"),
        (b"key,name\nA,\x00\x01\x02\n", ":2: control character U+0000 (NUL)"),
        (b"PK\x03\x04rest-of-zip", "xlsx"),
        (b"%PDF-1.4", "PDF"),
        (bytes(range(128, 256)) * 4, "encoding"),
        (b'key,name\nA,"unterminated\n', "broken CSV"),
        (b"key,Key\nA,B\n", "appears twice"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(
    tmp_path: Path, data: bytes, words: str
) -> None:
    p = _write(tmp_path / "bad.csv", data)
    with pytest.raises(InputError) as exc:
        read_csv(p)
    assert str(p) in str(exc.value)
    assert words in str(exc.value)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_csv(tmp_path / "nope.csv")


def test_excel_sep_line_names_the_separator(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", b"sep=;\r\nkey;name\r\nA;Alfa, Beta\r\n")
    f = read_csv(p)
    assert (f.delimiter, f.header) == (";", ["key", "name"])
    assert f.rows == [(3, ["A", "Alfa, Beta"])]


def test_old_mac_line_endings_are_read(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", b"key,name\rA,Alfa\rB,Beta\r")
    f = read_csv(p)
    assert [r[1] for r in f.rows] == [["A", "Alfa"], ["B", "Beta"]]


@given(
    st.lists(st.text(min_size=1, max_size=4), max_size=4),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=6),
)
def test_null_leads_never_pass_over_a_null_token(extra, cell) -> None:
    """The import looks a cell up among the null tokens only when its first character is
    one :func:`khm.io.cells.null_leads` names (or not ASCII): that skips no null cell."""
    from khm.io.cells import null_leads
    from khm.io.parse import null_tokens

    for defaults in (True, False):
        nulls = null_tokens([t for t in extra if t.strip()], defaults=defaults)
        for text in (cell, cell.upper(), cell.title(), f" {cell}", cell.casefold()):
            if text.strip().casefold() in nulls:
                assert text[0] in null_leads(nulls) or not text[0].isascii(), (text, nulls)
