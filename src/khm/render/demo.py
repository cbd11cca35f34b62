"""``khm demo`` in the terminal: what was built, what tag and assign did, the rep's weekly
list, and the commands to try next (each a working command line on the demo's database).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from khm.core.constants import CATEGORIES

if TYPE_CHECKING:
    from rich.console import Console

    from khm.demo import DemoRun

#: how many of the rule run's tag moves are listed
SHOWN_MOVES = 6


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def print_demo(console: Console, run: DemoRun, *, hint_today: date | None) -> None:
    """Everything ``khm demo`` prints; ``hint_today`` puts ``--today`` into the hints (a
    demo built for another day)."""
    print_summary(console, run)
    print_method_run(console, run)
    print_weekly(console, run)
    print_next(console, run, hint_today)


def print_summary(console: Console, run: DemoRun) -> None:
    """Where, what was loaded, the reps and the type × category matrix."""
    from rich.markup import escape

    from khm.render import Column, rich_table

    console.print(
        f"[bold]Demo team built[/bold] in {escape(run.location)} "
        f"(seed {run.seed}, today {run.today.isoformat()}, {run.seconds:.1f} s)"
    )
    span = f" from {run.first_touch} to {run.last_touch}" if run.first_touch else ""
    console.print(
        f"  {_n(run.reps, 'rep')}, {_n(run.accounts, 'account')} ({run.archived} archived), "
        f"{_n(run.touches, 'touch', 'touches')}{span}",
        markup=False,
    )
    team = [
        {
            "handle": "(no owner)" if r.handle is None else r.handle,
            "name": r.name,
            "role": r.role,
            "capacity": r.capacity,
            "accounts": r.accounts,
        }
        for r in run.team
    ]
    columns = [
        Column("handle"),
        Column("name"),
        Column("role"),
        Column("capacity", justify="right"),
        Column("accounts", justify="right"),
    ]
    console.print(rich_table(team, columns, title="Reps"))
    order = {"expand": 0, "keep": 1}
    matrix: list[dict[str, Any]] = [
        {"type": t, **cells, "total": sum(cells.values())}
        for t, cells in sorted(run.matrix.items(), key=lambda kv: (order.get(kv[0], 2), kv[0]))
    ]
    cols = [Column("type")] + [Column(c, justify="right") for c in CATEGORIES]
    if any(r["-"] for r in matrix):
        cols.append(Column("-", "untagged", justify="right"))
    cols.append(Column("total", justify="right"))
    console.print(rich_table(matrix, cols, title="Active accounts by type × category"))


def print_method_run(console: Console, run: DemoRun) -> None:
    """One line each for what tag and assign did, with the first few tag moves."""
    from rich.markup import escape

    # keep → expand first, then other type moves, then category steps; by name
    moved = sorted(run.tag_moves, key=lambda m: (m.field != "type", m.new != "expand", m.name))
    line = f"khm tag: {_n(run.tag_changes, 'change')} since the last rule run"
    if run.manual_kept:
        line += f", {_n(run.manual_kept, 'manual tag')} kept"
    console.print(escape(line))
    for m in moved[:SHOWN_MOVES]:
        console.print(
            f"  {escape(m.name)}: {m.field} {m.old} → {m.new} ({escape(_rule_label(m.rule))})",
            highlight=False,
        )
    if len(moved) > SHOWN_MOVES:
        console.print(f"  ... and {len(moved) - SHOWN_MOVES} more")
    console.print(
        f"khm assign: {_n(run.owner_moves, 'owner')} given (no owner or the wrong role), "
        f"load balanced: {'yes' if run.balanced else 'no'}"
    )
    if not run.balanced:
        console.print("  khm capacity shows who is behind; khm assign --rebalance evens it out")


def print_weekly(console: Console, run: DemoRun) -> None:
    """The main job: the rep's list for the week, as ``khm weekly --rep`` prints it."""
    from rich.markup import escape

    console.print()
    chosen = [r for r in run.weekly.reps if r.handle == run.rep]
    if not chosen:
        console.print(f"No weekly list for {escape(run.rep)} (not an active rep).")
        return
    from khm.render.weekly import render

    render(run.weekly, "table", reps=chosen, file=console.file)


def next_commands(run: DemoRun, hint_today: date | None) -> list[tuple[str, str]]:
    """The commands to try next, with why: (command line, comment)."""
    import shlex

    key = shlex.quote(run.example_key)
    base = f"khm --db {shlex.quote(run.location)}"
    at = f" --today {hint_today.isoformat()}" if hint_today else ""
    on = f" --date {hint_today.isoformat()}" if hint_today else ""
    return [
        (f"{base} weekly --rep {run.rep}{at}", "this rep's Monday list"),
        (f"{base} weekly{at}", "every rep's list"),
        (f"{base} capacity{at}", "can this team keep the method?"),
        (f"{base} report coverage{at}", "did the team keep the method?"),
        (f"{base} report neglected{at}", "the accounts not to lose"),
        (f"{base} report funnel{at}", "the lifecycle: stages, moves, conversion"),
        (f"{base} report nps{at}", "how likely are they to recommend us?"),
        (f"{base} assign --rebalance --dry-run", "who would take over from the rep behind"),
        (f"{base} account list --category A --type expand", "the big opportunities"),
        (f"{base} account show {key}{at}", "one account: tags, touches, next due dates"),
        (f"{base} log {key} visit{on} --note 'Met the CFO'", "log a touch; the list moves"),
    ]


def _rule_label(rule: str) -> str:
    """``rule 'open opportunity': lifecycle_stage in [...]`` as ``rule 'open opportunity'``:
    the condition is in the method file; the label fits a line."""
    head, sep, _ = rule.partition("': ")
    return head + "'" if sep else rule


def print_next(console: Console, run: DemoRun, hint_today: date | None) -> None:
    lines = next_commands(run, hint_today)
    console.print("\nTry next:")
    # the comment on its own line above the command: a command line is long (the demo's
    # database path) and a padded comment after it wrapped to column 0 at 80 columns
    for cmd, why in lines:
        console.print(f"  # {why}", markup=False, highlight=False, style="dim")
        console.print(f"  {cmd}", markup=False, highlight=False, soft_wrap=True)
