"""``khm tag``: apply the method's type and category rules, tag by hand, read the history.

One transaction per call: the rules are checked and every account classified before
anything is written, so a bad method file leaves the database as it was. ``dry_run``
computes everything and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from khm.core.classify import (
    AccountFacts,
    classify,
    share_group_sizes,
    share_merges,
    skipped_rules,
)
from khm.core.constants import CATEGORIES, TYPES
from khm.core.tagresult import FieldChange, HistoryResult, ManualKept, TagResult
from khm.errors import NotFoundError, UsageError
from khm.method import Method

if TYPE_CHECKING:
    from khm.store.db import Store

__all__ = [
    "FieldChange",
    "HistoryResult",
    "ManualKept",
    "TagResult",
    "tag_accounts",
    "tag_history",
    "tag_manual",
]

RULE_RUN_REASON = "rule run"
RESET_REASON = "manual tag reset"
HISTORY_FIELDS = ("type", "category", "owner")


def _stamp(today: date) -> datetime:
    """When a change happened: ``today`` with the current time of day (naive UTC), so
    history periods and triggers relative to ``--today`` see it."""
    from khm.store.tables import utcnow

    now = utcnow()
    return datetime.combine(today, now.time()) if today != now.date() else now


def _tag_run(
    conn: Any,
    method: Method,
    stamp: datetime,
    today: date,
    kind: str,
    who: str,
    accounts: int,
    changes: int,
) -> int:
    """Keep the run (and the method version it ran with, when new): the id its
    ``tag_change`` rows carry (khm.services.history)."""
    from khm.services.history import record_method_in
    from khm.store.history import insert_tag_run

    record_method_in(conn, method)
    return insert_tag_run(
        conn,
        ran_at=stamp,
        as_of=today,
        kind=kind,
        method_hash=method.hash,
        who=who,
        accounts=accounts,
        changes=changes,
    )


class _FactsReader:
    """Rows to :class:`AccountFacts`; JSON texts decoded once per distinct value."""

    def __init__(self) -> None:
        from khm.store.tagging import json_value

        self._json = json_value
        self._lines: dict[Any, tuple[str, ...]] = {}
        self._custom: dict[Any, dict[str, Any]] = {}

    def lines(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, str):
            v = self._json(raw, ())
            return tuple(str(p) for p in v) if isinstance(v, list | tuple) else ()
        hit = self._lines.get(raw)
        if hit is None:
            v = self._json(raw, ())
            hit = tuple(str(p) for p in v) if isinstance(v, list | tuple) else ()
            self._lines[raw] = hit
        return hit

    def custom(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, str):
            v = self._json(raw, {})
            return v if isinstance(v, dict) else {}
        hit = self._custom.get(raw)
        if hit is None:
            v = self._json(raw, {})
            hit = v if isinstance(v, dict) else {}
            if len(self._custom) < 50_000:
                self._custom[raw] = hit
        return hit

    def __call__(self, row: Any) -> AccountFacts:
        return self.read([row])[0]

    def read(self, rows: Sequence[Any]) -> list[AccountFacts]:
        """The facts of each row (the columns of
        :func:`khm.store.tagging.accounts_for_tagging`, in order)."""
        lines_of = self._lines.get
        custom_of = self._custom.get
        out: list[AccountFacts] = []
        add = out.append
        for (
            _,
            key,
            name,
            country,
            lines,
            revenue,
            employees,
            custom,
            stage,
            owner,
            t,
            c,
            tm,
            cm,
            *rest,
        ) in rows:
            pl = lines_of(lines) if lines.__class__ is str else None
            if pl is None:
                pl = self.lines(lines)
            cu = custom_of(custom) if custom.__class__ is str else None
            if cu is None:
                cu = self.custom(custom)
            raw_text = rest[2] if len(rest) > 2 else None  # text fields: read as custom is
            tx = (custom_of(raw_text) if raw_text.__class__ is str else None) if raw_text else {}
            if tx is None:
                tx = self.custom(raw_text)
            add(
                AccountFacts(
                    key,
                    country,
                    pl,
                    revenue,
                    employees,
                    cu,
                    stage,
                    name or "",
                    owner,
                    False,
                    t,
                    c,
                    bool(tm),
                    bool(cm),
                    tx,
                )
            )
        return out


def _counts(pairs: Sequence[tuple[str | None, str | None]]) -> dict[str, dict[str, int]]:
    out = {t: dict.fromkeys(CATEGORIES, 0) for t in TYPES}
    for t, c in pairs:
        if t in out and c in out[t]:
            out[t][c] += 1  # type: ignore[index]
    return out


def tag_accounts(
    store: Store,
    method: Method,
    *,
    today: date,
    dry_run: bool = False,
    who: str = "khm",
    reset_manual: bool = False,
    keys: Sequence[str] | None = None,
) -> TagResult:
    """Apply the rules to every active account. With ``keys`` only those accounts are
    written (the ABC shares are still taken over all active accounts)."""
    return _tag_accounts(
        store,
        method,
        today=today,
        dry_run=dry_run,
        who=who,
        reset_manual=reset_manual,
        keys=keys,
    )


def _tag_accounts(
    store: Store,
    method: Method,
    *,
    today: date,
    dry_run: bool,
    who: str,
    reset_manual: bool,
    keys: Sequence[str] | None,
) -> TagResult:
    from khm.store import tagging
    from khm.store.deals import refresh_derived

    with store.begin() as conn:
        # the deal fields as of today (won_12m moves with the date; new accounts get 0s)
        if not dry_run:
            refresh_derived(conn, today, now=_stamp(today))
        rows = tagging.accounts_for_tagging(conn)
        only: set[str] | None = None
        if keys is not None:
            only = set()
            for k in keys:
                found = tagging.find_account(conn, k)
                if found is None:
                    raise NotFoundError(f"account {k!r} not found")
                if found.archived:
                    raise UsageError(
                        f"account {found.key!r} is archived: rules apply to active accounts"
                    )
                only.add(found.key)
        read = _FactsReader()
        facts = read.read(rows)
        if reset_manual:
            # clear the manual flags (of the chosen accounts only, when keys are given)
            for f in facts:
                if only is None or f.key in only:
                    f.type_manual = f.category_manual = False
        results = classify(facts, method)  # checks the rules first: nothing written yet

        to_db = tagging.datetime_binder(conn)
        stamp = _stamp(today)
        stamp_db = to_db(stamp)
        tagged_db = to_db(datetime.combine(today, time()))
        changes: list[FieldChange] = []
        manual_kept: list[ManualKept] = []
        no_metric: list[tuple[str, str]] = []
        updates: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        manual_fields = manual_reset = changed_accounts = 0
        add_change = changes.append
        add_history = history.append
        add_update = updates.append
        # (type, category) after the run: the rule's values, or the stored ones of the
        # accounts this run leaves alone (``keys``)
        final: list[tuple[str | None, str | None]] = []
        add_final = final.append
        # the common case of a big book is a run over every account with no manual tag:
        # this loop runs 100 000 times, so names are local and the rare cases branch off
        for row, cl in zip(rows, results, strict=True):
            # columns of khm.store.tagging.accounts_for_tagging
            old_type = row[10]
            old_cat = row[11]
            if only is not None and row[1] not in only:
                add_final((old_type, old_cat))
                continue
            new_type = cl.type
            new_cat = cl.category
            add_final((new_type, new_cat))
            type_manual = cl.type_manual
            category_manual = cl.category_manual
            still_manual = type_manual or category_manual
            if cl.no_metric and not category_manual:
                no_metric.append((row[1], row[2] or ""))
            if still_manual:
                for fld, manual, value, decision in (
                    ("type", type_manual, new_type, cl.type_rule),
                    ("category", category_manual, new_cat, cl.category_rule),
                ):
                    if manual:
                        manual_fields += 1
                        if decision.value != value:
                            manual_kept.append(
                                ManualKept(
                                    row[1],
                                    row[2] or "",
                                    fld,
                                    value,
                                    decision.value,
                                    decision.rule,
                                    row[14],
                                )
                            )
            type_changed = new_type != old_type
            cat_changed = new_cat != old_cat
            if type_changed or cat_changed:
                reason = RULE_RUN_REASON
                if reset_manual and (row[12] or row[13]):
                    manual_reset += 1
                    reason = RESET_REASON
                changed_accounts += 1
                tagged = tagged_db
            elif reset_manual and (row[12] or row[13]):
                manual_reset += 1
                reason = RESET_REASON
                tagged = to_db(row[15])
            else:
                continue
            rid = row[0]
            key = row[1]
            name = row[2] or ""
            if type_changed:
                rule = cl.type_rule.rule
                add_change(FieldChange(key, name, "type", old_type, new_type, rule, reason))
                add_history((rid, "type", old_type, new_type, stamp_db, who, reason, rule))
            if cat_changed:
                rule = cl.category_rule.rule
                add_change(FieldChange(key, name, "category", old_cat, new_cat, rule, reason))
                add_history((rid, "category", old_cat, new_cat, stamp_db, who, reason, rule))
            add_update(
                (
                    new_type,
                    new_cat,
                    type_manual,
                    category_manual,
                    row[14] if still_manual else None,
                    tagged,
                    stamp_db,
                    rid,
                )
            )
        if not dry_run:
            run_id = _tag_run(
                conn, method, stamp, today, "rules", who, len(only or rows), len(history)
            )
            tagging.update_tags(conn, updates)
            tagging.insert_tag_changes(conn, history, run_id=run_id)
        result = TagResult(
            changes=changes,
            manual_kept=manual_kept,
            no_metric=no_metric,
            counts=_counts(final),
            accounts=len(rows),
            manual_fields=manual_fields,
            manual_reset=manual_reset,
            dry_run=dry_run,
            metric=method.categories.metric,
            rule=method.categories.rule,
            changed_accounts=changed_accounts,
            today=today,
        )
        result.notes = skipped_rules(method, facts)
        result.summary = summary(result)
        result.summary["notes"] = list(result.notes)
        if method.categories.rule == "share":
            has_metric = [not cl.no_metric for cl in results]
            sizes = share_group_sizes(facts, method.categories, has_metric)
            merges = share_merges(facts, method.categories, has_metric)
            result.summary["groups"] = len(sizes)
            result.summary["single_account_groups"] = sum(
                1 for g, n in sizes.items() if n == 1 and g not in merges
            )
            result.summary["min_group"] = method.categories.min_group
            result.summary["merged_groups"] = merges
            result.summary["group_by"] = list(method.categories.group_by)
        if dry_run:
            conn.rollback()
        return result


def summary(result: TagResult) -> dict[str, Any]:
    by_field = dict(Counter(map(attrgetter("field"), result.changes)))
    return {
        "accounts": result.accounts,
        "changed_accounts": result.changed_accounts,
        "changes": len(result.changes),
        "changes_by_field": by_field,
        "manual_kept": result.manual_fields,
        "manual_differs": len(result.manual_kept),
        "manual_reset": result.manual_reset,
        "no_metric": len(result.no_metric),
        "metric": result.metric,
        "rule": result.rule,
        "dry_run": result.dry_run,
    }


# --------------------------------------------------------------------------- by hand


def _norm_type(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v not in TYPES:
        raise UsageError(f"--type: {value!r} is not a type (use {' or '.join(TYPES)})")
    return v


def _norm_category(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().upper()
    if v not in CATEGORIES:
        raise UsageError(f"--category: {value!r} is not a category (use {', '.join(CATEGORIES)})")
    return v


def tag_manual(
    store: Store,
    method: Method,
    key: str,
    *,
    account_type: str | None = None,
    category: str | None = None,
    reason: str | None,
    today: date,
    who: str = "khm",
    dry_run: bool = False,
) -> TagResult:
    """Tag one account by hand. The tag is kept by later rule runs (unless reset)."""
    from khm.store import tagging

    t = _norm_type(account_type)
    c = _norm_category(category)
    if t is None and c is None:
        raise UsageError("give --type and/or --category to tag an account by hand")
    if reason is None or not reason.strip():
        raise UsageError("--reason: a manual tag needs a reason (it is kept in the history)")
    reason = reason.strip()
    with store.begin() as conn:
        row = tagging.find_account(conn, key)
        if row is None:
            raise NotFoundError(f"account {key!r} not found")
        to_db = tagging.datetime_binder(conn)
        stamp = to_db(_stamp(today))
        changes: list[FieldChange] = []
        history: list[tuple[Any, ...]] = []
        for fld, new, old in (("type", t, row.type), ("category", c, row.category)):
            if new is None or new == old:
                continue
            changes.append(FieldChange(row.key, row.name or "", fld, old, new, "manual", reason))
            history.append((row.id, fld, old, new, stamp, who, reason, "manual"))
        new_type = t if t is not None else row.type
        new_cat = c if c is not None else row.category
        upd = (
            new_type,
            new_cat,
            True if t is not None else bool(row.type_manual),
            True if c is not None else bool(row.category_manual),
            reason,
            to_db(datetime.combine(today, time()) if changes else row.tagged_at),
            stamp,
            row.id,
        )
        if not dry_run:
            run_id = _tag_run(conn, method, _stamp(today), today, "manual", who, 1, len(history))
            tagging.update_tags(conn, [upd])
            tagging.insert_tag_changes(conn, history, run_id=run_id)
        result = TagResult(
            changes=changes,
            manual_kept=[],
            no_metric=[],
            counts=_counts([(new_type, new_cat)]),
            accounts=1,
            manual_fields=(t is not None) + (c is not None),
            manual_reset=0,
            dry_run=dry_run,
            metric=method.categories.metric,
            rule="manual",
            changed_accounts=1 if changes else 0,
            today=today,
        )
        result.summary = summary(result)
        result.summary["manual"] = {
            "account": row.key,
            "type": new_type,
            "category": new_cat,
            "type_manual": bool(upd[2]),
            "category_manual": bool(upd[3]),
            "reason": reason,
        }
        if dry_run:
            conn.rollback()
        return result


# --------------------------------------------------------------------------- history


def tag_history(
    store: Store,
    *,
    today: date,
    period: str | None = None,
    account: str | None = None,
    field: str | None = None,
) -> HistoryResult:
    """Tag changes in a period (default: the last 30 days up to today)."""
    from khm.core.period import parse_period
    from khm.store import tagging

    if period:
        try:
            p = parse_period(period, today)
        except ValueError as exc:
            raise UsageError(f"--period: {exc}") from None
        start, end, label = p.start, p.end, p.label
    else:
        start, end = today - timedelta(days=29), today
        label = f"last 30 days ({start.isoformat()}..{end.isoformat()})"
    fld = None
    if field is not None:
        fld = field.strip().lower()
        if fld not in HISTORY_FIELDS:
            raise UsageError(f"--field: {field!r} is not one of {', '.join(HISTORY_FIELDS)}")
    with store.begin() as conn:
        account_id = None
        if account is not None:
            row = tagging.find_account(conn, account)
            if row is None:
                raise NotFoundError(f"account {account!r} not found")
            account_id = row.id
        rows = tagging.tag_history(
            conn,
            start=datetime.combine(start, time()),
            end=datetime.combine(end + timedelta(days=1), time()),
            account_id=account_id,
            field=fld,
        )
    return HistoryResult(start, end, label, rows)
