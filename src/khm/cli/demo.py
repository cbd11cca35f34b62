"""``khm demo``: a realistic demo team in its own database, the method run on it, and
what to try next.

load (``khm.demo`` + ``khm.store.loading``) → tag → assign → summary → the main job (one
rep's weekly list) → the commands to try next. The method steps live in one function,
:func:`_run_method`, so the data part stands on its own.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from khm.cli.common import TodayOption, kctx, resolve_today
from khm.errors import ConflictError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from khm.method import Method
    from khm.store.db import Store

MAX_ACCOUNTS = 200_000
DEMO_WHO = "demo"


@dataclass
class MethodRun:
    """What :func:`_run_method` did: the services' results, or why a step was skipped."""

    tagged: Any = None
    assigned: Any = None
    weekly: Any = None
    notes: list[str] = field(default_factory=list)


def _run_method(store: Store, method: Method, today: date, rep: str | None = None) -> MethodRun:
    """Run the method on the fresh demo data: tag, assign (rebalanced), the weekly list.

    Each step is a service of its own; a service that is not installed is skipped with a
    note (the data is still there to try by hand).
    """
    run = MethodRun()
    try:
        from khm.services.tag import tag_accounts
    except ImportError:
        run.notes.append("tagging is not available in this build: skipped 'khm tag'")
    else:
        run.tagged = tag_accounts(store, method, today=today, dry_run=False, who=DEMO_WHO)
    try:
        from khm.services.assign import assign_accounts
    except ImportError:
        run.notes.append("assignment is not available in this build: skipped 'khm assign'")
    else:
        if run.tagged is not None:
            run.assigned = assign_accounts(
                store, method, today=today, rebalance=True, dry_run=False, who=DEMO_WHO
            )
    try:
        from khm.services.weekly import build_weekly
    except ImportError:
        run.notes.append("the weekly planner is not available in this build")
    else:
        if run.tagged is not None:
            run.weekly = build_weekly(store, method, today=today, rep=rep)
    return run


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def _pin_timestamps(store: Store, data: Any, today: date) -> None:
    """Make the demo reproducible: what the method run wrote at the clock's time of day
    (``updated_at`` of accounts and reps, ``changed_at`` of its tag changes) gets one fixed
    stamp on ``today``, so the same --seed and --today give byte-identical listings."""
    from datetime import datetime, time

    from sqlalchemy import bindparam, select, update

    from khm.store.models import Account, Rep, TagChange

    stamp = datetime.combine(today, time(7, 0))
    loaded = {row["key"]: row["updated_at"] for row in data.account_rows()}
    rep_t = Rep.__table__  # type: ignore[attr-defined]
    acc_t = Account.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        changed = [
            {"b_id": i}
            for i, key, at in conn.execute(select(acc_t.c.id, acc_t.c.key, acc_t.c.updated_at))
            if at != loaded.get(key)
        ]
        if changed:
            conn.execute(
                update(acc_t).where(acc_t.c.id == bindparam("b_id")).values(updated_at=stamp),
                changed,
            )
        rep_loaded = {row["handle"]: row["updated_at"] for row in data.rep_rows()}
        reps_changed = [
            {"b_id": i}
            for i, handle, at in conn.execute(
                select(rep_t.c.id, rep_t.c.handle, rep_t.c.updated_at)
            )
            if at != rep_loaded.get(handle)
        ]
        if reps_changed:
            conn.execute(
                update(rep_t).where(rep_t.c.id == bindparam("b_id")).values(updated_at=stamp),
                reps_changed,
            )
        conn.execute(
            update(TagChange.__table__)  # type: ignore[attr-defined]
            .where(TagChange.who == DEMO_WHO)
            .values(changed_at=stamp)
        )


def _print_run(console: Console, run: MethodRun) -> None:
    """One line each for what tag and assign did."""
    from rich.markup import escape

    tagged = run.tagged
    if tagged is not None:
        changes = list(getattr(tagged, "changes", []) or [])
        # moves first (keep → expand before category steps), first tags of new accounts last
        moved = sorted(
            (c for c in changes if c.old is not None),
            key=lambda c: (c.field != "type", c.new != "expand", c.name or c.account),
        )
        line = f"khm tag: {_n(len(changes), 'tag change')} since the last rule run"
        kept = getattr(tagged, "manual_kept", None)
        if kept:
            line += f", {_n(len(kept), 'manual tag')} kept against the rule"
        console.print(escape(line))
        for c in moved[:6]:
            console.print(
                f"  {escape(c.name or c.account)}: {c.field} {c.old} → {c.new} ({escape(str(c.rule))})",
                highlight=False,
            )
        if len(moved) > 6:
            console.print(f"  ... and {len(moved) - 6} more")
    assigned = run.assigned
    if assigned is not None:
        moves = list(getattr(assigned, "moves", []) or [])
        balanced = getattr(assigned, "balanced", None)
        console.print(
            f"khm assign --rebalance: {_n(len(moves), 'owner move')}"
            + ("" if balanced is None else f", load balanced: {'yes' if balanced else 'no'}")
        )


def _target(ctx: typer.Context, db: str | None) -> str:
    """The demo's database URL: ``khm demo --db``, else the global --db / KHM_DATABASE_URL
    when given, else demo.db in the data dir (never the user's real khm.db)."""
    from khm.store.db import demo_db_path, normalise_url, path_to_url

    raw = db or kctx(ctx).db or os.environ.get("KHM_DATABASE_URL")
    if raw:
        return normalise_url(raw)
    return path_to_url(demo_db_path())


def _target_default() -> str:
    from khm.store.db import demo_db_path, path_to_url

    return path_to_url(demo_db_path())


_KHM_TABLES = frozenset({"rep", "account", "touch", "tag_change", "alembic_version"})


def _foreign_tables(url: str) -> list[str]:
    """Tables of another application in the target database (nothing for a new file)."""
    from sqlalchemy import create_engine, inspect

    from khm.store.db import sqlite_path

    path = sqlite_path(url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return []
    if path is None and url.startswith("sqlite"):
        return []  # in memory
    try:
        engine = create_engine(url)
    except Exception:
        return []  # open_store reports it
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
    except Exception:
        return []
    finally:
        engine.dispose()
    return sorted(set(names) - _KHM_TABLES)


def _where(url: str) -> str:
    """The database for a message: its file path, or its URL without a password."""
    from khm.store.db import display_url, sqlite_path

    path = sqlite_path(url)
    return str(path) if path is not None else display_url(url)


def _db_arg(url: str) -> str:
    """How to name the database on a command line: the file path, or the URL."""
    import shlex

    from khm.store.db import display_url, sqlite_path

    path = sqlite_path(url)
    return shlex.quote(str(path) if path is not None else display_url(url))


def demo(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same team.")
    ] = 42,
    accounts: Annotated[
        int, typer.Option("--accounts", help="How many accounts to generate.")
    ] = 700,
    today: TodayOption = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Where to build it: a SQLite path or SQLAlchemy URL. Default: the global "
            "--db / KHM_DATABASE_URL when given, else demo.db in the user data dir.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the data of a database that is not empty.")
    ] = False,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep",
            help="Whose weekly list to show at the end (default: the first rep).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build a realistic demo team (5 reps, ~700 Nordic accounts, a year of touches), run the method on it and show a rep's weekly list.

    Deterministic: the same --seed and --today give the same data. The demo gets its own database (demo.db in the data dir, rebuilt on every run) unless --db or KHM_DATABASE_URL names one; a database you name that already holds data is only replaced with --force.
    """
    from khm.demo import DEMO_REPS, generate
    from khm.render import get_console
    from khm.store.db import open_store
    from khm.store.loading import bulk_load, row_counts

    if accounts < 1 or accounts > MAX_ACCOUNTS:
        raise UsageError(f"--accounts: {accounts} is out of range (1..{MAX_ACCOUNTS:,})")
    handles = [h for h, *_ in DEMO_REPS]
    if rep is not None and rep not in handles:
        raise UsageError(f"--rep: {rep!r} is not a demo rep (one of {', '.join(handles)})")
    day = resolve_today(today)
    k = kctx(ctx)
    method = k.method()
    url = _target(ctx, db)
    # The demo's own database (demo.db in the data dir) is rebuilt on every run, so the
    # quick start can be run twice; a database the user named is only replaced with --force.
    own = url == _target_default()
    replace = force or own
    started = time.perf_counter()

    foreign = _foreign_tables(url)
    if foreign and not force:
        raise ConflictError(
            f"{_where(url)}: not a khm database (it has the tables {', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}); use --db to build the demo elsewhere, "
            "or --force to add khm's tables beside them"
        )
    store = open_store(url)
    try:
        counts = row_counts(store)
        if any(counts.values()) and not replace:
            raise ConflictError(
                f"{_where(url)}: the database already holds data "
                f"({counts['account']} accounts, {counts['rep']} reps, {counts['touch']} touches); "
                "use --force to replace it, or --db to build the demo elsewhere"
            )
        data = generate(seed=seed, today=day, accounts=accounts, method=method)
        loaded = bulk_load(
            store,
            reps=data.rep_rows(),
            accounts=data.account_rows(),
            touches=data.touch_rows(),
            tag_changes=data.tag_change_rows(),
            replace=replace,
        )
        run = _run_method(store, method, day, rep=rep or handles[0])
        _pin_timestamps(store, data, day)
        console = get_console()
        _print_summary(console, store, url, data, loaded, time.perf_counter() - started)
        _print_run(console, run)
        for note in run.notes:
            console.print(f"note: {note}", markup=False)
        _print_weekly(console, run.weekly, rep or handles[0])
        explicit = bool(today or os.environ.get("KHM_TODAY"))
        _print_next(
            console,
            url,
            rep or handles[0],
            day if explicit else None,
            example=_example_key(data),
            tagged=run.tagged is not None,
        )
    finally:
        store.dispose()


def _print_summary(
    console: Console, store: Store, url: str, data: Any, loaded: Any, seconds: float
) -> None:
    from rich.markup import escape

    from khm.render import Column, rich_table

    archived = sum(1 for a in data.accounts if a.archived)
    first = min((t.date for t in data.touches), default=None)
    last = max((t.date for t in data.touches), default=None)
    console.print(
        f"[bold]Demo team built[/bold] in {escape(_where(url))} "
        f"(seed {data.seed}, today {data.today.isoformat()}, {seconds:.1f} s)"
    )
    span = f" from {first} to {last}" if first and last else ""
    console.print(
        f"  {_n(loaded.reps, 'rep')}, {_n(loaded.accounts, 'account')} ({archived} archived), "
        f"{_n(loaded.touches, 'touch', 'touches')}{span}",
        markup=False,
    )
    rep_rows, matrix = _matrix(store)
    console.print(
        rich_table(
            rep_rows,
            [
                Column("handle"),
                Column("name"),
                Column("role"),
                Column("capacity", justify="right"),
                Column("accounts", justify="right"),
            ],
            title="Reps",
        )
    )
    cols = [Column("type")] + [Column(c, justify="right") for c in ("A", "B", "C", "D")]
    if any(r["-"] for r in matrix):
        cols.append(Column("-", "untagged", justify="right"))
    cols.append(Column("total", justify="right"))
    console.print(rich_table(matrix, cols, title="Active accounts by type × category"))


def _print_weekly(console: Console, weekly: Any, rep: str) -> None:
    """The main job: this rep's list for the week, as ``khm weekly --rep`` prints it."""
    from rich.markup import escape

    from khm.render.weekly import render

    if weekly is None:
        return
    console.print()
    chosen = [r for r in weekly.reps if r.handle == rep]
    if not chosen:
        console.print(f"No weekly list for {escape(rep)} (not an active rep).")
        return
    render(weekly, "table", reps=chosen, file=console.file)


def _example_key(data: Any) -> str:
    """An account to try commands on: the one whose name is rich markup, when it is there."""
    keys = [a.key for a in data.accounts if not a.archived]
    return "brackets-ab" if "brackets-ab" in keys else (keys[0] if keys else "ACME")


def _print_next(
    console: Console,
    url: str,
    rep: str,
    today: date | None,
    *,
    example: str = "brackets-ab",
    tagged: bool = True,
) -> None:
    """The commands to try next; ``today`` when the demo was built for another day."""
    import shlex

    key = shlex.quote(example)
    base = f"khm --db {_db_arg(url)}"
    at = f" --today {today.isoformat()}" if today else ""
    on = f" --date {today.isoformat()}" if today else ""
    lines = (
        []
        if tagged
        else [
            (f"{base} tag", "tag every account expand/keep and A-D"),
            (f"{base} assign --rebalance", "give every account an owner of the right role"),
        ]
    )
    lines += [
        (f"{base} weekly --rep {rep}{at}", "this rep's Monday list"),
        (f"{base} weekly{at}", "every rep's list"),
        (f"{base} capacity{at}", "can this team keep the method?"),
        (f"{base} report coverage{at}", "did the team keep the method?"),
        (f"{base} report neglected{at}", "the accounts not to lose"),
        (f"{base} account list --category A --type expand", "the big opportunities"),
        (f"{base} account show {key}{at}", "one account: tags, touches, next due dates"),
        (f"{base} log {key} visit{on} --note 'Met the CFO'", "log a touch; the list moves"),
    ]
    console.print("\nTry next:")
    width = max(len(c) for c, _ in lines)
    for cmd, why in lines:
        console.print(f"  {cmd.ljust(width)}  # {why}", markup=False, highlight=False)


def _matrix(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Accounts by type × category, and per rep (owner) the same, read back from the DB."""
    from sqlalchemy import func, select

    from khm.store.models import Account, Rep

    with store.engine.connect() as conn:
        cells = conn.execute(
            select(Account.type, Account.category, func.count())
            .where(Account.archived.is_(False))
            .group_by(Account.type, Account.category)
        ).all()
        owners = conn.execute(
            select(Account.owner, func.count())
            .where(Account.archived.is_(False))
            .group_by(Account.owner)
        ).all()
        reps = conn.execute(
            select(Rep.handle, Rep.name, Rep.role, Rep.capacity).order_by(Rep.handle)
        ).all()
    by_owner = {o: n for o, n in owners}
    rep_rows = [
        {"handle": h, "name": n, "role": r, "capacity": c, "accounts": by_owner.get(h, 0)}
        for h, n, r, c in reps
    ]
    if by_owner.get(None):
        rep_rows.append(
            {
                "handle": "(no owner)",
                "name": "",
                "role": "",
                "capacity": None,
                "accounts": by_owner[None],
            }
        )
    table: dict[str, dict[str, Any]] = {}
    for t, cat, n in cells:
        label = t or "(untagged)"
        row = table.setdefault(label, {"type": label, "A": 0, "B": 0, "C": 0, "D": 0, "-": 0})
        row[cat if cat in ("A", "B", "C", "D") else "-"] += n
    order = {"expand": 0, "keep": 1}
    matrix = sorted(table.values(), key=lambda r: (order.get(r["type"], 2), r["type"]))
    for r in matrix:
        r["total"] = r["A"] + r["B"] + r["C"] + r["D"] + r["-"]
    return rep_rows, matrix


def register(app: typer.Typer) -> None:
    """Adds ``khm demo`` to the root app."""
    app.command("demo")(demo)
