"""``khm log --campaign KIND``: log one digital activity for many accounts at once, and
undo it with ``khm touch delete --campaign ID``.

The accounts are chosen by filters that combine: ``--due`` (where the kind is due this
week or earlier, by the weekly planner itself: :func:`khm.services.weekly.build_weekly`),
``--segment TYPE/CAT``, ``--country``, ``--rep``. Everything is checked before anything
is written; the campaign's row and its touches are written in one transaction
(:mod:`khm.store.campaigns`). Returns a typed :class:`CampaignRecord` for
:mod:`khm.render.campaign`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from khm.core.constants import CATEGORIES, TYPES
from khm.core.records import CampaignRecord
from khm.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from khm.method import Method
    from khm.store.db import Store

__all__ = ["CampaignRecord", "Segment", "delete_campaign", "get_campaign", "log_campaign"]


@dataclass(frozen=True)
class Segment:
    """``keep/B``: a type and a category; None (written ``*``) for any."""

    type: str | None
    category: str | None

    def __str__(self) -> str:
        return f"{self.type or '*'}/{self.category or '*'}"


def parse_segment(text: str, what: str = "--segment") -> Segment:
    """``keep/B``, ``expand/*``, ``*/A`` -> a :class:`Segment`; anything else a UsageError."""
    parts = [p.strip() for p in text.split("/")]
    example = (
        f"use TYPE/CATEGORY, e.g. keep/B ({'/'.join(TYPES)}, {'/'.join(CATEGORIES)}, * for any)"
    )
    if len(parts) != 2:
        raise UsageError(f"{what}: {text!r} is not TYPE/CATEGORY: {example}")
    t, c = parts[0].lower(), parts[1].upper()
    if t not in (*TYPES, "*") or c not in (*CATEGORIES, "*"):
        raise UsageError(f"{what}: {text!r} is not TYPE/CATEGORY: {example}")
    return Segment(None if t == "*" else t, None if c == "*" else c)


def campaign_kind(kind: str, method: Method, what: str = "--campaign") -> str:
    """A digital activity kind of the method. Kinds marked ``campaign = true`` are meant
    for this; another digital kind (a team lead's personal e-mail to a segment) is
    accepted too. A human kind is refused: a rep logs a visit per account."""
    from khm.services.records import validate_kind

    k = validate_kind(kind, method, what)
    if method.is_human(k):
        raise UsageError(
            f"{what}: {k!r} is a human activity; log it per account with 'khm log ACCOUNT {k}'"
        )
    return k


def _due_keys(store: Store, method: Method, kind: str, on: date, rep: str | None) -> set[str]:
    """Accounts where ``kind`` is due in the week of ``on`` or earlier: what the weekly
    planner lists (or counts, for a campaign kind) for that week."""
    from khm.services.weekly import build_weekly

    plan = build_weekly(store, method, today=on, rep=rep)
    keys = {
        i.account
        for r in plan.reps
        for items in (r.items, r.campaign_items)
        for i in items
        if i.kind == kind
    }
    if rep is None:  # accounts without an (active) owner get the newsletter too
        keys.update(i.account for u in plan.unassigned for i in u.items if i.kind == kind)
    return keys


def log_campaign(
    store: Store,
    kind: str,
    *,
    method: Method,
    today: date,
    due: bool = False,
    segment: str | None = None,
    country: str | None = None,
    rep: str | None = None,
    on: date | None = None,
    note: str | None = None,
) -> CampaignRecord:
    """Log ``kind`` for every active account the filters select, in one transaction.
    An empty selection writes nothing and returns a record with ``id`` None."""
    from khm.services.records import _check_rep, clean_note, normalise_country, normalise_handle
    from khm.store.campaigns import insert_campaign, select_accounts
    from khm.store.models import utcnow

    k = campaign_kind(kind, method)
    if not due and segment is None:
        raise UsageError("--campaign: say which accounts: --due, --segment TYPE/CAT, or both")
    seg = parse_segment(segment) if segment is not None else None
    cc = normalise_country(country, "--country")
    handle = normalise_handle(rep, "--rep") if rep is not None else None
    day = on or today
    if day > today:
        raise UsageError(
            f"--date: {day.isoformat()} is in the future (today is {today.isoformat()}); "
            "log a campaign when it has been sent"
        )
    text = clean_note(note)
    if handle is not None:
        _check_rep(store, handle, "--rep")
    words = ["--due"] if due else []
    words += [f"--segment {seg}"] if seg else []
    words += [f"--country {cc}"] if cc else []
    words += [f"--rep {handle}"] if handle else []
    selection = " ".join(words)
    keys = _due_keys(store, method, k, day, handle) if due else None
    label = method.activities[k].label or k
    with store.begin() as conn:
        targets = select_accounts(
            conn,
            type_=seg.type if seg else None,
            category=seg.category if seg else None,
            country=cc,
            owner=handle,
            keys=keys,
        )
        if not targets:
            return CampaignRecord(None, k, label, day, 0, selection, text)
        cid = insert_campaign(
            conn, kind=k, on=day, selection=selection, note=text, created=utcnow(), targets=targets
        )
    return CampaignRecord(cid, k, label, day, len(targets), selection, text)


def get_campaign(store: Store, campaign_id: int, method: Method | None = None) -> CampaignRecord:
    """The campaign and how many touches it has now; NotFoundError if there is none."""
    from khm.store.campaigns import get_campaign as q_get

    with store.engine.connect() as conn:
        got = q_get(conn, campaign_id)
    if got is None:
        raise NotFoundError(f"--campaign: campaign {campaign_id} not found")
    return _record(*got, method)


def _record(row: Any, n: int, method: Method | None) -> CampaignRecord:
    act = method.activities.get(row.kind) if method else None
    label = act.label if act and act.label else row.kind
    return CampaignRecord(row.id, row.kind, label, row.date, n, row.selection, row.note)


def delete_campaign(store: Store, campaign_id: int, method: Method | None = None) -> CampaignRecord:
    """Delete the campaign and every touch of it in one transaction."""
    from khm.store.campaigns import delete_campaign as q_delete
    from khm.store.campaigns import get_campaign as q_get

    with store.begin() as conn:
        got = q_get(conn, campaign_id)
        if got is None:
            raise NotFoundError(f"--campaign: campaign {campaign_id} not found")
        n = q_delete(conn, campaign_id)
    return _record(got[0], n, method)
