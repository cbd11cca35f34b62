"""``khm stage ACCOUNT STAGE``: record a lifecycle stage change with its date.

The stage is one of the method's ``[lifecycle] stages`` or a word of its
``[lifecycle.map]`` (any case). The change is dated ``--date`` (default today): never in
the future, and never before the account's latest change (the history is kept in the
order it happened; a change before it would rewrite what the reports already counted).
A stage the account is already in records nothing. The account's ``lifecycle_stage``
text becomes the word given, so type rules on it see the change.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from khm.core.funnel import StageResult
from khm.errors import ConflictError, NotFoundError, UsageError

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store


def allowed_words(method: Method) -> str:
    lc = method.lifecycle
    words = sorted(lc.map or {})
    shown = ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")
    more = f"; or a word of [lifecycle.map]: {shown}" if words else ""
    return f"stages: {', '.join(lc.stages)}{more}"


def record_stage(
    store: Store,
    method: Method,
    key: str,
    stage_text: str,
    *,
    on: date | None,
    today: date,
    note: str | None = None,
) -> StageResult:
    from sqlalchemy import select, update

    from khm.services.records import clean_note, clean_text
    from khm.store import stages, tables
    from khm.store.lists import find_account_id

    text = clean_text(stage_text, "STAGE", max_len=64, required=True)
    assert text is not None
    stage = method.lifecycle.stage_of(text)
    if stage is None:
        raise UsageError(
            f"STAGE: {stage_text!r} is not a stage of the method ({allowed_words(method)})"
        )
    day = on or today
    if day > today:
        raise UsageError(
            f"--date: {day.isoformat()} is in the future (today is {today.isoformat()})"
        )
    note = clean_note(note)
    acc_t: Any = tables.ACCOUNT
    with store.begin() as conn:
        acc_id = find_account_id(conn, key.strip())
        if acc_id is None:
            raise NotFoundError(f"account {key!r} not found (see 'khm account list --all')")
        acc_key, acc_name = conn.execute(
            select(acc_t.c.key, acc_t.c.name).where(acc_t.c.id == acc_id)
        ).one()
        hist = stages.history(conn, acc_id)
        last = hist[-1] if hist else None
        if last is not None and day < last.date:
            raise ConflictError(
                f"{acc_key}: its latest stage change is on {last.date.isoformat()} "
                f"({last.stage}); a change dated {day.isoformat()} would come before it: "
                f"give --date {last.date.isoformat()} or later"
            )
        if last is not None and last.stage == stage:
            return StageResult(acc_key, acc_name or "", stage, text, day, False, last, hist)
        stages.insert_changes(
            conn,
            [
                {
                    "account_id": acc_id,
                    "stage": stage,
                    "date": day,
                    "source": "manual",
                    "text": None if text == stage else text,
                    "note": note,
                }
            ],
        )
        conn.execute(
            update(acc_t)
            .where(acc_t.c.id == acc_id)
            .values(lifecycle_stage=text, updated_at=tables.utcnow())
        )
        return StageResult(
            acc_key, acc_name or "", stage, text, day, True, last, stages.history(conn, acc_id)
        )
