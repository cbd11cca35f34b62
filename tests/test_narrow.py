"""Output a person reads at 80 columns: optional columns leave a table too wide for the
terminal (and a line names them), help paragraphs reflow to the terminal's width, and a
thousand bad rows with one problem print as one line."""

from __future__ import annotations

import json

import pytest

from khm.cli.helptext import reflow
from khm.render.cells import Column
from khm.render.table import fit_columns

LONG = "Ærø Søfart og Logistikk Aktieselskab Nordvest"


def test_fit_columns_drops_the_highest_optional_first_and_only_while_too_wide():
    rows = [{"a": "x" * 10, "b": "y" * 30, "c": "z" * 30, "d": "w" * 5}]
    cols = [Column("a"), Column("b", optional=1), Column("c", optional=2), Column("d")]
    keep, hidden = fit_columns(rows, cols, 200)
    assert keep == cols and hidden == []
    keep, hidden = fit_columns(rows, cols, 60)
    assert [c.key for c in keep] == ["a", "b", "d"] and hidden == ["c"]
    keep, hidden = fit_columns(rows, cols, 20)  # never drops a column that is not optional
    assert [c.key for c in keep] == ["a", "d"] and hidden == ["c", "b"]


@pytest.mark.parametrize("width", [80, 120])
def test_account_list_fits_the_terminal_and_names_what_it_left_out(cli, khm_db, width):
    cli("rep", "add", "eve", "--name", "Eve Eriksen", "--role", "any")
    for i in range(3):
        cli("account", "add", f"K{i}", "--name", f"{LONG} {i}", "--country", "NO",
            "--revenue", "1234567", "--employees", "12000", "--owner", "eve",
            "--product-line", "Cloud Backup", "--product-line", "Analytics Pro",
            "--product-line", "Managed Services")  # fmt: skip
    out = cli("account", "list", env={"COLUMNS": str(width)}).stdout
    assert max(len(line) for line in out.splitlines()) <= width
    if width == 80:
        assert "product lines" not in out.splitlines()[1]
        assert "not shown at this width: stage, employees, product lines" in " ".join(out.split())
    wide = cli("account", "list", env={"COLUMNS": "250"}).stdout
    assert "product lines" in wide and "not shown" not in wide
    data = json.loads(cli("account", "list", "-f", "json", env={"COLUMNS": "80"}).stdout)
    assert data["items"][0]["product_lines"] == [
        "Cloud Backup",
        "Analytics Pro",
        "Managed Services",
    ]
    csv_head = cli("account", "list", "-f", "csv", env={"COLUMNS": "80"}).stdout.splitlines()[0]
    assert "product_lines" in csv_head and "employees" in csv_head


def test_reflow_joins_prose_and_keeps_examples_and_items():
    text = (
        "First line.\n\nA paragraph wrapped\nin the source at\nninety columns.\n\n"
        "Examples:\n  khm tag\n  khm assign --dry-run\n\n- one item\n  continued\n- two\n\n"
        "\bkept\nas is"
    )
    assert reflow(text) == (
        "First line.\n\nA paragraph wrapped in the source at ninety columns.\n\n"
        "Examples:\n  khm tag\n  khm assign --dry-run\n\n- one item\n  continued\n- two\n\n"
        "\bkept\nas is"
    )


def test_help_reads_at_80_columns_without_ragged_source_breaks(cli):
    out = cli("assign", "--help", env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    # the docstring breaks after "role" in the source; the help joins the sentence
    assert "role any takes both" in " ".join(out.split())
    assert "\n role any\n" not in out
    assert "  khm assign --rebalance" in out  # examples keep their lines


def test_many_problems_are_grouped_by_kind_with_their_count_and_first_rows():
    from khm.render.problems import problem_lines

    same = [f"a.csv:{n}: account: missing (required)" for n in range(2, 1502)]
    other = [f"a.csv:{n}: date: missing (required)" for n in range(1600, 1650)]
    odd = ["a.csv:9: revenue: 'lots' is not a number"]
    lines = problem_lines(same + other + odd)
    assert lines == [
        "a.csv: account: missing (required) — 1500 rows (2, 3, 4, 5, 6, 7, 8, 9, ...)",
        "a.csv: date: missing (required) — 50 rows (1600, 1601, 1602, 1603, 1604, 1605, "
        "1606, 1607, ...)",
        "a.csv:9: revenue: 'lots' is not a number",
    ]
    assert problem_lines(odd * 3) == odd * 3  # a few: each as it is
    distinct = [f"a.csv:{n}: revenue: 'x{n}' is not a number" for n in range(30)]
    lines = problem_lines(distinct)
    assert lines[:20] == distinct[:20] and lines[20] == "... and 10 more"


def test_import_with_a_thousand_rows_missing_the_same_field_prints_one_line(
    cli, khm_db, tmp_path, snapshot_db
):
    f = tmp_path / "a.csv"
    text = "key,revenue\n" + "".join(f",{i}\n" for i in range(1000)) + "OK,5\n"
    f.write_text(text, encoding="utf-8")
    before = snapshot_db()
    r = cli("import", "accounts", str(f), code=3)
    assert snapshot_db() == before
    assert f"{f}: key: missing (the account key is required) — 1000 rows (2, 3, 4" in r.stderr
    assert len(r.stderr.splitlines()) <= 3
    data = json.loads(cli("import", "accounts", str(f), "-f", "json", code=3).stdout)
    assert len(data["error"]["details"]) == 1000  # scripts still get every row
    r = cli("import", "accounts", str(f), "--skip-bad")
    assert "1000 bad rows skipped" in r.stderr and "— 1000 rows" in r.stderr
