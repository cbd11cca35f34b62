"""The README's "A week with khm" runs as written, against the files in examples/."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_week_commands() -> list[list[str]]:
    """The command lines of the fenced block under "## A week with khm" (comments dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A week with khm", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README: no ```bash block under 'A week with khm'"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line]


def test_the_readme_week_runs_as_written_against_examples(cli, tmp_path, monkeypatch):
    commands = readme_week_commands()
    assert commands[0] == ["khm", "init"] and len(commands) >= 10
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env: dict[str, str] = {}
    for argv in commands:
        if argv[0] == "export":  # a shell variable for the commands after it
            name, value = argv[1].split("=", 1)
            env[name] = value
            continue
        assert argv[0] == "khm", argv
        for a in argv:
            if a.startswith("examples/"):
                assert (ROOT / a).exists(), f"README names {a}, which is not in examples/"
        r = cli(*argv[1:], env={**os.environ, **env})
        assert "Error" not in r.stderr, (argv, r.stderr)
