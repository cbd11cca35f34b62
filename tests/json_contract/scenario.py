"""The JSON contract: every command that writes JSON, run on the example CRM export.

``SCENARIO`` is a list of (name, argv): the steps run in order on one fresh database, each
with ``--today`` fixed. ``python tests/json_contract/scenario.py record`` writes each step's
parsed JSON output to ``golden/NAME.json``; ``tests/test_json_contract.py`` runs the same
steps and compares the parsed output with those files (whitespace may change; keys and
values may not). The golden files were recorded on the code before the JSON writers were
replaced (one writer, streamed), and are the shape scripts rely on.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples"
GOLDEN = HERE / "golden"
TODAY = "2026-11-30"

_IMPORT_REPS = [
    "import",
    "reps",
    str(EXAMPLES / "reps.csv"),
    "--map",
    "name=Namn",
    "--map",
    "email=E-post",
    "--map",
    "role=Roll",
    "--map",
    "capacity=Kapacitet",
]
_IMPORT_ACCOUNTS = [
    "import",
    "accounts",
    str(EXAMPLES / "accounts.csv"),
    "--map",
    "key=Kundnr",
    "--map",
    "name=Företag",
    "--map",
    "country=Land",
    "--map",
    "product_lines=Produktlinjer",
    "--map",
    "revenue=Omsättning (SEK)",
    "--map",
    "employees=Anställda",
    "--map",
    "owner=Ansvarig säljare",
    "--map",
    "lifecycle_stage=Fas",
    "--map",
    "custom.nps=NPS",
]
_IMPORT_TOUCHES = [
    "import",
    "touches",
    str(EXAMPLES / "touches.csv"),
    "--map",
    "kind=Activity",
    "--value-map",
    "kind:E-mail=email",
    "--value-map",
    "kind:Roadmap review=review",
]

J = ["-f", "json"]

SCENARIO: list[tuple[str, list[str]]] = [
    ("method_check", ["method", "check", *J]),
    ("import_reps_dry", [*_IMPORT_REPS, "--dry-run", *J]),
    ("import_reps", [*_IMPORT_REPS, *J]),
    ("import_accounts", [*_IMPORT_ACCOUNTS, *J]),
    ("import_touches", [*_IMPORT_TOUCHES, *J]),
    (
        "rep_add",
        [
            "rep",
            "add",
            "nils",
            "--name",
            "Nils Berg",
            "--role",
            "any",
            "--email",
            "nils@example.se",
            "--capacity",
            "8",
            *J,
        ],
    ),
    ("rep_edit", ["rep", "edit", "nils", "--capacity", "9", *J]),
    ("rep_show", ["rep", "show", "asa.lindqvist", *J]),
    ("rep_list", ["rep", "list", *J]),
    (
        "account_add",
        [
            "account",
            "add",
            "K-2001",
            "--name",
            'Ørsted [Test], "Q" 🚀',
            "--country",
            "DK",
            "--revenue",
            "1 234,50",
            *J,
        ],
    ),
    ("account_edit", ["account", "edit", "K-2001", "--revenue", "2500000", *J]),
    ("tag_dry", ["tag", "--dry-run", *J]),
    ("tag", ["tag", *J]),
    (
        "tag_manual",
        ["tag", "K-1002", "--type", "expand", "--category", "A", "--reason", "board decision", *J],
    ),
    ("assign_dry", ["assign", "--dry-run", *J]),
    ("assign", ["assign", *J]),
    ("capacity", ["capacity", *J]),
    ("account_show", ["account", "show", "K-1001", *J]),
    ("account_list", ["account", "list", *J]),
    ("account_list_filtered", ["account", "list", "--type", "expand", *J]),
    ("log", ["log", "K-1001", "call", "--note", "budget approved", *J]),
    ("touch_list", ["touch", "list", *J]),
    ("touch_list_account", ["touch", "list", "--account", "K-1001", *J]),
    ("weekly_all", ["weekly", *J]),
    ("weekly_rep", ["weekly", "--rep", "asa.lindqvist", *J]),
    ("weekly_next", ["weekly", "--week", "2026-W50", *J]),
    ("report_all", ["report", "all", "--period", "2026-Q4", *J]),
    ("report_coverage", ["report", "coverage", "--period", "2026-11", *J]),
    ("report_neglected", ["report", "neglected", *J]),
    ("report_portfolio", ["report", "portfolio", *J]),
    ("report_workload", ["report", "workload", "--period", "2026-11", *J]),
    ("report_movement", ["report", "movement", "--period", "2026-11", *J]),
    ("export_accounts", ["export", "accounts", *J]),
    ("export_reps", ["export", "reps", *J]),
    ("export_touches", ["export", "touches", *J]),
    ("account_archive", ["account", "archive", "K-2001", *J]),
    ("touch_delete", ["touch", "delete", "1", "--yes", *J]),
    ("stage", ["stage", "K-1003", "conversion", "--note", "signed", *J]),
    ("report_funnel", ["report", "funnel", "--period", "2026-11", *J]),
    ("error_not_found", ["account", "show", "NOPE", *J]),
    ("error_usage", ["weekly", "--week", "2026-W99", *J]),
]

# values that depend on the machine or the clock, not on the data
_VOLATILE_KEYS = {
    "path",
    "url",
    "database",
    "generated_at",
    "first_seen_at",
    "hash",  # a method version: the SHA-256 of the method text, which changes with the text  # when khm first ran with a method version: the clock
    "created_at",
    "updated_at",
    "logged_at",
    "changed_at",
}


def _path_pattern() -> re.Pattern[str]:
    """Paths differ per machine: the checkout (wherever CI clones it) and the temp dir."""
    import tempfile

    roots = {str(HERE.parent.parent), tempfile.gettempdir(), "/tmp"}
    roots |= {str(Path(r).resolve()) for r in list(roots)}
    alternatives = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})/[^\s\"']+")


_TMP = _path_pattern()


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("<volatile>" if k in _VOLATILE_KEYS and v is not None else normalise(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return _TMP.sub("<path>", value)
    return value


def parse(stdout: str) -> Any:
    return normalise(json.loads(stdout))


def run_all(cli: Any) -> dict[str, tuple[int, Any]]:
    """Run the scenario through ``cli(*argv, code=None)``; return name -> (exit, parsed)."""
    out: dict[str, tuple[int, Any]] = {}
    for name, argv in SCENARIO:
        res = (
            cli(*argv, "--today", TODAY, code=None) if _takes_today(argv) else cli(*argv, code=None)
        )
        out[name] = (res.exit_code, parse(res.stdout))
    return out


_WITH_TODAY = {
    "log",
    "weekly",
    "report",
    "capacity",
    "assign",
    "tag",
    "account show",
    "rep show",
    "touch list",
    "import accounts",  # dates the stage changes its lifecycle_stage column records
    "stage",
}


def _takes_today(argv: list[str]) -> bool:
    return argv[0] in _WITH_TODAY or " ".join(argv[:2]) in _WITH_TODAY


def record() -> None:  # pragma: no cover - run by hand
    import os
    import tempfile

    from typer.testing import CliRunner

    from khm.cli.main import app

    tmp = tempfile.mkdtemp()
    os.environ.update(
        KHM_DATA_DIR=f"{tmp}/data",
        KHM_CONFIG_DIR=f"{tmp}/config",
        KHM_DATABASE_URL=f"{tmp}/khm.db",
        COLUMNS="250",
        NO_COLOR="1",
    )
    runner = CliRunner()

    def cli(*args: str, code: int | None = 0) -> Any:
        return runner.invoke(app, list(args))

    GOLDEN.mkdir(exist_ok=True)
    for name, (code, data) in run_all(cli).items():
        (GOLDEN / f"{name}.json").write_text(
            json.dumps({"exit": code, "output": data}, ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )
        print(name, code)


if __name__ == "__main__" and sys.argv[1:] == ["record"]:
    record()
