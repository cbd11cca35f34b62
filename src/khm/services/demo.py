"""``khm demo``: build the demo team in a database and run the method on it.

generate (:mod:`khm.demo`) → load (:mod:`khm.store.loading`) → tag → assign (owners for
the accounts without one or of the wrong role; no rebalance, so the rep who is behind
stays behind and ``khm capacity`` shows it) → one rep's weekly list, each step the
service the command of that name calls; then the timestamps the run wrote are pinned so
the same seed and day give the same listings.
Returns a :class:`khm.demo.DemoRun` for :mod:`khm.render.demo`.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from khm.core.constants import CATEGORIES
from khm.demo import DemoData, DemoRepCount, DemoRun, DemoTagMove
from khm.errors import ConflictError
from khm.store.tables import TABLES

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store

MAX_ACCOUNTS = 200_000
#: who the demo's own rule run and assignment are recorded as
DEMO_WHO = "demo"

#: khm's own tables (every table of the models) and Alembic's
_KHM_TABLES = frozenset({t.name for t in TABLES} | {"alembic_version"})


def build_demo(
    url: str,
    method: Method,
    *,
    today: date,
    seed: int,
    accounts: int,
    rep: str,
    replace: bool = False,
    force: bool = False,
) -> DemoRun:
    """Build the demo in the database at ``url`` and run the method on it.

    A database that holds khm data is only replaced with ``replace``; khm's tables only go
    beside another application's with ``force``: otherwise a :class:`ConflictError`, and
    nothing is written.
    """
    from khm.demo import generate
    from khm.services.assign import assign_accounts
    from khm.services.tag import tag_accounts
    from khm.services.weekly import build_weekly
    from khm.store.db import open_store
    from khm.store.loading import bulk_load, row_counts

    started = time.perf_counter()
    foreign = _foreign_tables(url)
    if foreign and not force:
        raise ConflictError(
            f"{location(url)}: not a khm database (it has the tables {', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}); use --db to build the demo elsewhere, "
            "or --force to add khm's tables beside them"
        )
    store = open_store(url, adopt=force)
    try:
        counts = row_counts(store)
        if any(counts.values()) and not replace:
            raise ConflictError(
                f"{location(url)}: the database already holds data "
                f"({counts['account']} accounts, {counts['rep']} reps, {counts['touch']} touches); "
                "use --force to replace it, or --db to build the demo elsewhere"
            )
        data = generate(seed=seed, today=today, accounts=accounts, method=method)
        loaded = bulk_load(
            store,
            reps=data.rep_rows(),
            accounts=data.account_rows(),
            touches=data.touch_rows(),
            tag_changes=data.tag_change_rows(),
            nps=data.nps_rows(),
            stage_changes=data.stage_change_rows(method.lifecycle),
            replace=replace,
        )
        tagged = tag_accounts(store, method, today=today, dry_run=False, who=DEMO_WHO)
        assigned = assign_accounts(
            store, method, today=today, rebalance=False, dry_run=False, who=DEMO_WHO
        )
        weekly = build_weekly(store, method, today=today, rep=rep)
        _pin_timestamps(store, data, today)
        team, matrix = _read_back(store)
    finally:
        store.dispose()
    return DemoRun(
        location=location(url),
        seed=data.seed,
        today=data.today,
        seconds=time.perf_counter() - started,
        reps=loaded.reps,
        accounts=loaded.accounts,
        archived=sum(1 for a in data.accounts if a.archived),
        touches=loaded.touches,
        first_touch=min((t.date for t in data.touches), default=None),
        last_touch=max((t.date for t in data.touches), default=None),
        team=team,
        matrix=matrix,
        tag_changes=len(tagged.changes),
        manual_kept=len(tagged.manual_kept),
        tag_moves=[
            DemoTagMove(c.name or c.account, c.field, c.old, c.new, c.rule)
            for c in tagged.changes
            if c.old is not None
        ],
        owner_moves=len(assigned.moves),
        balanced=assigned.balanced,
        weekly=weekly,
        rep=rep,
        example_key=_example_key(data),
    )


def location(url: str) -> str:
    """The database for a message: its file path, or its URL without a password."""
    from khm.store.db import display_url, sqlite_path

    path = sqlite_path(url)
    return str(path) if path is not None else display_url(url)


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


def _pin_timestamps(store: Store, data: DemoData, today: date) -> None:
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
    tag_t = TagChange.__table__  # type: ignore[attr-defined]
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
        conn.execute(update(tag_t).where(tag_t.c.who == DEMO_WHO).values(changed_at=stamp))


def _read_back(store: Store) -> tuple[list[DemoRepCount], dict[str, dict[str, int]]]:
    """From the database: each rep with its active accounts (and the unowned ones), and
    the active accounts per type × category."""
    from sqlalchemy import func, select

    from khm.store.models import Account, Rep

    acc = Account.__table__.c  # type: ignore[attr-defined]
    rep = Rep.__table__.c  # type: ignore[attr-defined]
    active = acc.archived.is_(False)
    with store.engine.connect() as conn:
        cells = conn.execute(
            select(acc.type, acc.category, func.count())
            .where(active)
            .group_by(acc.type, acc.category)
        ).all()
        owners = conn.execute(
            select(acc.owner, func.count()).where(active).group_by(acc.owner)
        ).all()
        reps = conn.execute(
            select(rep.handle, rep.name, rep.role, rep.capacity).order_by(rep.handle)
        ).all()
    by_owner: dict[str | None, int] = {o: n for o, n in owners}
    team = [DemoRepCount(h, n, r, c, by_owner.get(h, 0)) for h, n, r, c in reps]
    if by_owner.get(None):
        team.append(DemoRepCount(None, "", "", None, by_owner[None]))
    matrix: dict[str, dict[str, int]] = {}
    for t, cat, n in cells:
        row = matrix.setdefault(t or "(untagged)", dict.fromkeys(("A", "B", "C", "D", "-"), 0))
        row[cat if cat in CATEGORIES else "-"] += n
    return team, matrix


def _example_key(data: DemoData) -> str:
    """An account to try commands on: the one whose name is rich markup, when it is there."""
    keys = [a.key for a in data.accounts if not a.archived]
    return "brackets-ab" if "brackets-ab" in keys else (keys[0] if keys else "ACME")
