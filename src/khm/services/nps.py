"""``khm nps ACCOUNT SCORE``: record one NPS response and write the account's ``nps``
field (its latest score) in one transaction. (``khm import nps`` goes through
:mod:`khm.services.importing`; ``khm report nps`` through :mod:`khm.services.report`.)"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from khm.core.nps import FIELD, RecordedResponse, check_score
from khm.errors import ConflictError, NotFoundError, UsageError
from khm.services.records import clean_note, clean_text

if TYPE_CHECKING:
    from khm.store.db import Store

CONTACT_MAX = 200


def parse_score(raw: str, what: str = "SCORE") -> int:
    """A whole number 0-10 (``7``, `` 10 ``); anything else is a UsageError naming it."""
    text = raw.strip()
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{what}: {raw!r} is not a whole number 0-10") from None
    try:
        return check_score(value)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None


def record_response(
    store: Store,
    account_key: str,
    score: str,
    *,
    today: date,
    on: date | None = None,
    contact: str | None = None,
    comment: str | None = None,
) -> RecordedResponse:
    """Check everything, then record the response and refresh the account's ``nps``."""
    from khm.store.models import utcnow
    from khm.store.nps import add_response, refresh_field
    from khm.store.tagging import find_account, json_value

    value = parse_score(score)
    day = on or today
    if day > today:
        raise UsageError(
            f"--date: {day.isoformat()} is in the future (today is {today.isoformat()}); "
            "record answers that were given"
        )
    who = clean_text(contact, "--contact", max_len=CONTACT_MAX)
    text = clean_note(comment, "--comment")
    now = utcnow()
    with store.engine.begin() as conn:
        row = find_account(conn, account_key.strip())
        if row is None:
            raise NotFoundError(f"account {account_key!r} not found (see 'khm account list --all')")
        acc_id = row.id
        if row.archived:
            raise ConflictError(
                f"account {row.key!r} is archived (restore it with 'khm account archive "
                f"{row.key} --undo')"
            )
        rid = add_response(
            conn,
            {
                "account_id": acc_id,
                "score": value,
                "date": day,
                "contact": who,
                "comment": text,
                "source": "manual",
                "created_at": now,
            },
        )
        before = json_value(row.custom, {}).get(FIELD)
        changed = refresh_field(conn, [acc_id], now=now)
        after = changed[0][2] if changed else before
    return RecordedResponse(rid, row.key, row.name, row.owner, value, day, who, text, before, after)
