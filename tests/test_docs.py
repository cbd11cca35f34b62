"""The docs say what the commands do: docs/cli.md is generated from --help and must match."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_matches_help():
    from khm.cli.docgen import generate

    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == generate(), "docs/cli.md is stale: run python -m khm.cli.docgen > docs/cli.md"


@pytest.mark.parametrize(
    "doc",
    ["method.md", "import.md", "weekly.md", "reports.md", "cron.md", "benchmarks.md", "cli.md"],
)
def test_docs_exist_and_are_linked_from_the_readme(doc):
    assert (ROOT / "docs" / doc).is_file()
    assert f"docs/{doc}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_quick_start_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```bash\n")[1:]
    commands = [b.split("```", 1)[0].strip() for b in blocks]
    assert commands == ["pip install . && khm demo", 'pip install -e ".[test]" && pytest']


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]"' in ci and "pytest" in ci


def test_method_reference_names_every_top_level_key():
    from khm.method import Method

    text = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    for key in Method.model_fields:
        assert f"`{key}" in text or f"[{key}" in text, f"docs/method.md does not document {key!r}"
