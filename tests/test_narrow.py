"""Tables and help at 80 columns: optional columns leave a table too wide for the terminal
(and a line names them), help paragraphs reflow to the terminal's width."""

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
