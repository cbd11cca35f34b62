"""JSON is a versioned contract: every command's JSON output, parsed, equals the output
recorded before the JSON writers were replaced (tests/json_contract/golden). Whitespace may
change; keys, values and exit codes may not. A deliberate change of shape re-records the
files (``python tests/json_contract/scenario.py record``), bumps the envelope version when
it breaks scripts, and says so in CHANGELOG.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "json_contract"))
import scenario


def _same_numbers(value: object) -> object:
    """Floats to 9 significant digits: a sum taken in another order (PostgreSQL returns the
    rows of an unordered query in its own order) may differ in the last bit."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _same_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_numbers(v) for v in value]
    return value


def test_every_command_keeps_its_json_shape(cli) -> None:
    got = scenario.run_all(cli)
    names = [name for name, _ in scenario.SCENARIO]
    assert len(names) == len(set(names))
    mismatched = []
    for name in names:
        golden = json.loads((scenario.GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        code, data = got[name]
        if code != golden["exit"] or _same_numbers(data) != _same_numbers(golden["output"]):
            mismatched.append(name)
            print(f"--- {name}: exit {code} (golden {golden['exit']})")
            print(json.dumps(data, ensure_ascii=False, indent=1)[:3000])
    assert not mismatched, f"JSON shape changed for: {', '.join(mismatched)}"


def test_the_scenario_covers_every_golden_file() -> None:
    recorded = {p.stem for p in scenario.GOLDEN.glob("*.json")}
    assert recorded == {name for name, _ in scenario.SCENARIO}
