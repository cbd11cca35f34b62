"""Accounts, reps and touches: validate input, write in one transaction, return typed records.

The CLI modules (``khm.cli.accounts``, ``khm.cli.reps``, ``khm.cli.touches``) are thin
adapters over the functions here. Every bad value raises a :class:`khm.errors.KhmError`
naming the option or field *before* anything is written, and every write happens inside
one ``store.transaction()``, so a failure leaves the database as it was.

Values are read by :mod:`khm.io.parse`, the functions the import calls too, so a value is
accepted or refused the same way everywhere; the helpers here only add the option's name
to the message (``--revenue: 'abc' is not a number``; the import says ``FILE:ROW: revenue:
'abc' is not a number``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from khm.core.constants import CATEGORIES, TYPES
from khm.core.records import (
    AccountDetail,
    AccountRecord,
    DealRecord,
    DueLine,
    LoggedTouch,
    RepDetail,
    RepRecord,
    TagChangeRecord,
    TouchRecord,
)
from khm.errors import ConflictError, NotFoundError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from khm.method import Method
    from khm.store.db import Store
    from khm.store.models import Account, Rep

from khm.core.importer import TEXT_MAX
from khm.io.parse import EMAIL_MAX, PRODUCT_LINE_MAX

ACCOUNT_SORTS: tuple[str, ...] = ("key", "name", "revenue", "category")
RECENT_TOUCHES = 10

KEY_MAX = 200
NAME_MAX = 400
REP_NAME_MAX = 200
STAGE_MAX = 64
WHO_MAX = 200
FIELD_NAME_MAX = 64

#: Account attributes that are not custom fields (``--field revenue=...`` is refused).
BUILTIN_FIELDS = frozenset(
    {
        "id",
        "key",
        "name",
        "country",
        "product_lines",
        "product_line",
        "revenue",
        "employees",
        "custom",
        "owner",
        "type",
        "category",
        "type_manual",
        "category_manual",
        "manual_reason",
        "tagged_at",
        "lifecycle_stage",
        "stage",
        "archived",
        "created_at",
        "updated_at",
        "customer_since",
    }
)
#: Built-in fields ``--clear-field`` may empty (the name users type → the attribute).
CLEARABLE_BUILTINS = {
    "country": "country",
    "revenue": "revenue",
    "employees": "employees",
    "stage": "lifecycle_stage",
    "lifecycle_stage": "lifecycle_stage",
    "product_lines": "product_lines",
    "product-lines": "product_lines",
    "product_line": "product_lines",
    "product-line": "product_lines",
    "customer_since": "customer_since",
    "customer-since": "customer_since",
}

_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# --------------------------------------------------------------------------- validators

_T = TypeVar("_T")


def _read(what: str, parse: Callable[..., _T], *args: Any) -> _T:
    """``parse(*args)`` from :mod:`khm.io.parse`; its refusal named by the option."""
    from khm.io.parse import CellError

    try:
        return parse(*args)
    except CellError as exc:
        raise UsageError(f"{what}: {exc}") from None


def clean_text(value: str | None, what: str, *, max_len: int, required: bool = False) -> str | None:
    """Strip surrounding blanks; refuse control characters and over-long text.

    Returns ``None`` for an empty value unless ``required`` (then it is an error)."""
    if value is None:
        if required:
            raise UsageError(f"{what}: a value is required")
        return None
    v = value.strip()
    if not v:
        if required:
            raise UsageError(f"{what}: must not be empty")
        return None
    from khm.io.parse import check_text

    _read(what, functools.partial(check_text, one_line=True), v)
    if len(v) > max_len:
        raise UsageError(f"{what}: too long ({len(v)} characters, at most {max_len})")
    return v


def clean_note(value: str | None, what: str = "--note") -> str | None:
    """A free note: newlines and tabs allowed, other control characters (NUL, ESC, a lone
    carriage return) not (:func:`khm.io.parse.check_text`)."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    from khm.io.parse import check_text

    return _read(what, check_text, v)


def normalise_country(value: str | None, what: str = "--country") -> str | None:
    """An ISO 3166-1 alpha-2 code from a code (``no``, ``NOR``) or a name (``Norway``,
    ``Sverige``); ``None`` for an empty value; a clean error for anything unknown.

    The same reading as the importer (:func:`khm.io.parse.parse_country`). Where the
    importer would only *guess* with a warning (a misspelling, ``England``), a command
    line asks for the code instead of storing a guess."""
    if value is None or not value.strip():
        return None
    from khm.io.parse import CellError, parse_country

    try:
        code, warning = parse_country(" ".join(value.split()))
    except CellError as exc:
        raise UsageError(f"{what}: {exc}") from None
    if warning:
        raise UsageError(f"{what}: {warning}? Give the code {code} to confirm")
    return code


def parse_number(value: str | None, what: str, field: str = "") -> float | None:
    """The number ``field`` (``revenue``, ``capacity``, a custom field) typed for option
    ``what``, read by :func:`khm.io.parse.parse_field_number`; ``None`` when empty."""
    if value is None or not value.strip():
        return None
    from khm.io.parse import parse_field_number

    return _read(what, parse_field_number, field or what.lstrip("-"), value.strip())


def parse_field_assignment(text: str, what: str = "--field") -> tuple[str, float | int]:
    """``NAME=NUMBER`` → (name, number) for a custom numeric field."""
    if "=" not in text:
        raise UsageError(f"{what}: {text!r} is not NAME=NUMBER (e.g. --field open_pipeline=25000)")
    name, _, raw = text.partition("=")
    name = validate_field_name(name.strip(), what)
    num = parse_number(raw, f"{what} {name}", "custom." + name)
    if num is None:
        raise UsageError(f"{what} {name}: a number is required after '='")
    from khm.io.parse import stored_number

    return name, stored_number(num)


def validate_field_name(name: str, what: str = "--field") -> str:
    if not name or not _FIELD_RE.fullmatch(name) or len(name) > FIELD_NAME_MAX:
        raise UsageError(
            f"{what}: {name!r} is not a field name (letters, digits and _, not starting "
            f"with a digit, at most {FIELD_NAME_MAX} characters)"
        )
    if name.lower() in BUILTIN_FIELDS:
        raise UsageError(
            f"{what}: {name!r} is a built-in account field; use its own option "
            f"(e.g. --{name.replace('_', '-')})"
        )
    return name


def normalise_handle(value: str | None, what: str = "handle") -> str:
    """A rep handle, read by :func:`khm.io.parse.parse_handle` (upper case is lowered)."""
    from khm.io.parse import parse_handle

    return _read(what, parse_handle, value or "")


def validate_role(value: str, what: str = "--role") -> str:
    from khm.io.parse import parse_role

    return _read(what, parse_role, value)


def validate_email(value: str | None, what: str = "--email") -> str | None:
    """An e-mail address (:func:`khm.io.parse.parse_email`); ``None`` when empty."""
    v = clean_text(value, what, max_len=EMAIL_MAX + 1)
    if v is None:
        return None
    from khm.io.parse import parse_email

    return _read(what, parse_email, v)


def validate_type_filter(value: str | None, what: str = "--type") -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("none", "untagged"):
        return "none"
    if v not in TYPES:
        raise UsageError(f"{what}: {value!r} is not one of {', '.join(TYPES)}, none")
    return v


def validate_category_filter(value: str | None, what: str = "--category") -> str | None:
    if value is None:
        return None
    v = value.strip()
    if v.lower() in ("none", "untagged"):
        return "none"
    if v.upper() not in CATEGORIES:
        raise UsageError(f"{what}: {value!r} is not one of {', '.join(CATEGORIES)}, none")
    return v.upper()


def clean_product_lines(values: Iterable[str], what: str = "--product-line") -> list[str]:
    """Product lines as the import reads them (:func:`khm.io.parse.parse_product_lines`):
    each value may list several (``"Cloud; Analytics"``), repeats in any case dropped."""
    from khm.io.parse import parse_product_lines

    texts = [clean_text(v, what, max_len=10_000) or "" for v in values]
    return _read(what, parse_product_lines, texts)


# --------------------------------------------------------------------------- inputs


@dataclass
class AccountChanges:
    """What ``account add`` / ``account edit`` asked for, as raw command-line text.

    ``None`` means "not given". Everything is validated by :func:`validate_changes`.
    """

    name: str | None = None
    country: str | None = None
    product_lines: Sequence[str] | None = None
    revenue: str | None = None
    employees: str | None = None
    fields: Sequence[str] = ()
    clear_fields: Sequence[str] = ()
    owner: str | None = None
    unset_owner: bool = False
    stage: str | None = None
    customer_since: str | None = None

    def is_empty(self) -> bool:
        return (
            self.name is None
            and self.country is None
            and self.product_lines is None
            and self.revenue is None
            and self.employees is None
            and not self.fields
            and not self.clear_fields
            and self.owner is None
            and not self.unset_owner
            and self.stage is None
            and self.customer_since is None
        )


@dataclass
class _Valid:
    values: dict[str, Any] = field(default_factory=dict)  # attribute → new value
    custom_set: dict[str, float | int] = field(default_factory=dict)
    custom_clear: list[str] = field(default_factory=list)
    owner_given: bool = False
    owner: str | None = None


def validate_changes(ch: AccountChanges, *, adding: bool) -> _Valid:
    """Check every value (no database needed) and return what to write."""
    out = _Valid()
    if ch.owner is not None and ch.unset_owner:
        raise UsageError("--owner and --unset-owner: give one or the other")
    if ch.name is not None:
        out.values["name"] = clean_text(ch.name, "--name", max_len=NAME_MAX, required=True)
    if ch.country is not None:
        out.values["country"] = normalise_country(ch.country)
    if ch.product_lines is not None:
        out.values["product_lines"] = clean_product_lines(ch.product_lines)
    for attr, raw in (("revenue", ch.revenue), ("employees", ch.employees)):
        if raw is None:
            continue
        if not adding and not raw.strip():
            raise UsageError(
                f"--{attr}: a number is required (to empty it, use --clear-field {attr})"
            )
        out.values[attr] = parse_number(raw, f"--{attr}", attr)
    if ch.stage is not None:
        out.values["lifecycle_stage"] = clean_text(ch.stage, "--stage", max_len=STAGE_MAX)
    if ch.customer_since is not None:
        from khm.io.parse import parse_date

        if not ch.customer_since.strip():
            raise UsageError(
                "--customer-since: a date is required (to empty it, use --clear-field "
                "customer-since)"
            )
        out.values["customer_since"] = _read("--customer-since", parse_date, ch.customer_since)
    for text in ch.fields:
        name, num = parse_field_assignment(text)
        if name in out.custom_set:
            raise UsageError(f"--field {name}: given twice")
        out.custom_set[name] = num
    for raw in ch.clear_fields:
        name = raw.strip()
        if name.lower() in CLEARABLE_BUILTINS:
            attr = CLEARABLE_BUILTINS[name.lower()]
            if attr in out.values:
                raise UsageError(f"--clear-field {name}: also given a new value")
            out.values[attr] = [] if attr == "product_lines" else None
            continue
        if not _FIELD_RE.fullmatch(name):
            raise UsageError(f"--clear-field: {raw!r} is not a field name")
        if name in out.custom_set:
            raise UsageError(f"--clear-field {name}: also set with --field")
        out.custom_clear.append(name)
    if ch.owner is not None:
        out.owner_given = True
        out.owner = normalise_handle(ch.owner, "--owner")
    elif ch.unset_owner:
        out.owner_given = True
        out.owner = None
    return out


# --------------------------------------------------------------------------- accounts


def _account_or_fail(session: Session, key: str) -> Account:
    from khm.store.queries import get_account

    acc = get_account(session, key.strip())
    if acc is None:
        raise NotFoundError(f"account {key!r} not found (see 'khm account list --all')")
    return acc


def _rep_or_fail(session: Session, handle: str, what: str) -> Rep:
    from khm.store.queries import get_rep

    rep = get_rep(session, handle)
    if rep is None:
        raise NotFoundError(f"{what}: rep {handle!r} not found (see 'khm rep list --all')")
    return rep


def _active_rep_or_fail(session: Session, handle: str, what: str) -> Rep:
    from khm.store.queries import get_rep

    rep = get_rep(session, handle)
    if rep is None:
        raise NotFoundError(f"{what}: rep {handle!r} not found (add it with 'khm rep add')")
    if not rep.active:
        raise ConflictError(
            f"{what}: rep {handle!r} is inactive (reactivate with 'khm rep edit {handle} --active')"
        )
    return rep


def _owner_change(
    session: Session,
    acc: Account,
    new_owner: str | None,
    *,
    who: str,
    reason: str | None,
    now: datetime,
) -> None:
    from khm.store.models import TagChange

    assert acc.id is not None
    session.add(
        TagChange(
            account_id=acc.id,
            field="owner",
            old=acc.owner,
            new=new_owner,
            changed_at=now,
            who=(who or "khm")[:WHO_MAX],
            reason=reason,
            rule="manual",
        )
    )
    acc.owner = new_owner


def add_account(
    store: Store,
    key: str,
    changes: AccountChanges,
    *,
    who: str = "khm",
    reason: str | None = None,
) -> AccountRecord:
    """Create an account. A duplicate key is a :class:`ConflictError`."""
    from sqlalchemy.exc import IntegrityError

    from khm.store.models import Account, utcnow
    from khm.store.queries import account_key_exists

    k = clean_text(key, "KEY", max_len=KEY_MAX, required=True)
    assert k is not None
    if changes.unset_owner:
        raise UsageError("--unset-owner: only for 'account edit'")
    if changes.clear_fields:
        raise UsageError("--clear-field: only for 'account edit'")
    valid = validate_changes(changes, adding=True)
    reason = clean_note(reason, "--reason")
    try:
        with store.transaction() as s:
            if account_key_exists(s, k):
                raise ConflictError(
                    f"account {k!r} already exists (change it with 'khm account edit')"
                )
            if valid.owner is not None:
                _active_rep_or_fail(s, valid.owner, "--owner")
            now = utcnow()
            acc = Account(
                key=k, name=k, custom=dict(valid.custom_set), created_at=now, updated_at=now
            )
            for attr, value in valid.values.items():
                setattr(acc, attr, value)
            s.add(acc)
            s.flush()
            if valid.owner is not None:
                _owner_change(s, acc, valid.owner, who=who, reason=reason, now=now)
            s.flush()
            return AccountRecord.of(acc)
    except IntegrityError:  # a concurrent add of the same key
        raise ConflictError(f"account {k!r} already exists") from None


def edit_account(
    store: Store,
    key: str,
    changes: AccountChanges,
    *,
    who: str = "khm",
    reason: str | None = None,
    today: date | None = None,
) -> tuple[AccountRecord, list[str]]:
    """Change an account; returns the record and what changed (``field: old → new``). A
    numeric field's change goes to its history, dated ``today`` (default: the clock)."""
    from khm.store.models import utcnow

    if changes.is_empty():
        raise UsageError(
            "nothing to change: give at least one of --name, --country, --product-line, "
            "--revenue, --employees, --field, --clear-field, --owner, --unset-owner, --stage, "
            "--customer-since"
        )
    valid = validate_changes(changes, adding=False)
    reason = clean_note(reason, "--reason")
    with store.transaction() as s:
        acc = _account_or_fail(s, key)
        before = {"revenue": acc.revenue, "employees": acc.employees, "custom": acc.custom}
        changed: list[str] = []
        for attr, value in valid.values.items():
            old = getattr(acc, attr)
            if old != value:
                changed.append(f"{attr}: {_show(old)} → {_show(value)}")
                setattr(acc, attr, value)
        custom = dict(acc.custom or {})
        for name in valid.custom_clear:
            if name not in custom:
                known = ", ".join(sorted(custom)) or "none"
                raise NotFoundError(
                    f"--clear-field {name}: the account has no such field (its fields: {known})"
                )
            changed.append(f"{name}: {_show(custom.pop(name))} → -")
        for name, num in valid.custom_set.items():
            if custom.get(name) != num:
                changed.append(f"{name}: {_show(custom.get(name))} → {_show(num)}")
                custom[name] = num
        if custom != (acc.custom or {}):
            acc.custom = custom
        now = utcnow()
        if valid.owner_given and valid.owner != acc.owner:
            if valid.owner is not None:
                _active_rep_or_fail(s, valid.owner, "--owner")
            changed.append(f"owner: {_show(acc.owner)} → {_show(valid.owner)}")
            _owner_change(s, acc, valid.owner, who=who, reason=reason, now=now)
        if changed:
            acc.updated_at = now
        s.add(acc)
        s.flush()
        _record_history(s, acc, before, today or date.today(), who)
        return AccountRecord.of(acc), changed


def _record_history(
    session: Session, acc: Account, before: dict[str, Any], today: date, who: str
) -> None:
    """The account's numeric fields that changed, to their history (khm.store.fieldchanges)."""
    from khm.store import fieldchanges as history

    assert acc.id is not None
    after = {"revenue": acc.revenue, "employees": acc.employees, "custom": acc.custom}
    rows = history.change_rows([(acc.id, after)], {acc.id: before}, on=today, source=f"edit:{who}")
    if rows:
        history.record(session.connection(), rows)


def _show(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def archive_account(store: Store, key: str, *, undo: bool = False) -> tuple[AccountRecord, bool]:
    """Archive (or with ``undo`` restore) an account; returns (record, whether it changed)."""
    from khm.store.models import utcnow

    with store.transaction() as s:
        acc = _account_or_fail(s, key)
        target = not undo
        if bool(acc.archived) == target:
            return AccountRecord.of(acc), False
        acc.archived = target
        acc.updated_at = utcnow()
        s.add(acc)
        s.flush()
        return AccountRecord.of(acc), True


def list_accounts(
    store: Store,
    *,
    type: str | None = None,
    category: str | None = None,
    rep: str | None = None,
    no_owner: bool = False,
    country: str | None = None,
    stage: str | None = None,
    product_line: str | None = None,
    search: str | None = None,
    archived: bool | None = False,
    sort: str = "key",
    limit: int | None = None,
    where: Sequence[str] = (),
) -> Iterator[AccountRecord]:
    """The accounts matching the filters, streamed from the database (bounded memory).

    Every option is checked (and ``rep`` looked up) before this returns, so a bad value is
    a clean error before anything is written."""
    from khm.store.lists import AccountFilter, iter_accounts

    if sort not in ACCOUNT_SORTS:
        raise UsageError(f"--sort: {sort!r} is not one of {', '.join(ACCOUNT_SORTS)}")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit: {limit} must be at least 1")
    if rep is not None and no_owner:
        raise UsageError("--rep and --no-owner: give one or the other")
    flt = AccountFilter(
        type=validate_type_filter(type),
        category=validate_category_filter(category),
        owner=normalise_handle(rep, "--rep") if rep is not None else None,
        no_owner=no_owner,
        country=normalise_country(country) if country is not None else None,
        stage=clean_text(stage, "--stage", max_len=STAGE_MAX),
        product_line=clean_text(product_line, "--product-line", max_len=PRODUCT_LINE_MAX),
        search=(search.strip() or None) if search is not None else None,
        archived=archived,
        sort=sort,
        limit=limit,
        text=text_conditions([w for w in where if not _is_comparison(w)]),
        numeric=numeric_conditions([w for w in where if _is_comparison(w)]),
    )
    if flt.owner is not None:
        _check_rep(store, flt.owner, "--rep")
    return _streamed(store, lambda conn: map(AccountRecord.of, iter_accounts(conn, flt)))


T = TypeVar("T")


def _streamed(store: Store, rows: Callable[[Connection], Iterator[T]]) -> Iterator[T]:
    """``rows(conn)`` read on one connection held open while the caller iterates."""
    with store.engine.connect() as conn:
        yield from rows(conn)


_COMPARISON = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_.]*\s*(==|!=|>=|<=|>|<)")


def _is_comparison(item: str) -> bool:
    """``nps<=6``, ``revenue > 1e6``, ``nps==9``: a numeric condition, not ``FIELD=TEXT``."""
    return _COMPARISON.match(item) is not None


def numeric_conditions(where: Sequence[str]) -> tuple[Any, ...]:
    """``--where nps<=6`` → conditions on a numeric field (revenue, employees, a custom
    field such as ``nps``), read as the method's type rules read them
    (:class:`khm.method.Condition`); an account without the field never matches."""
    from khm.method import Condition

    out = []
    for item in where:
        try:
            cond = Condition.parse(item)
        except ValueError as exc:
            raise UsageError(f"--where: {exc}") from None
        if not isinstance(cond.value, int | float) or isinstance(cond.value, bool):
            raise UsageError(
                f"--where {item!r}: compare a numeric field with a number, e.g. --where nps<=6"
            )
        out.append(cond)
    return tuple(out)


def text_conditions(where: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``--where sector=Energy`` → ``(("sector", "energy"),)``: a text field and its value,
    compared case-insensitively (``text.sector=...`` names the same field)."""
    out: list[tuple[str, str]] = []
    for item in where:
        name, sep, value = item.partition("=")
        name = name.strip().lower().removeprefix("text.")
        if not sep or not name:
            raise UsageError(f"--where {item!r}: use FIELD=TEXT, e.g. --where sector=Energy")
        text = clean_text(value, f"--where {name}", max_len=TEXT_MAX) or ""
        out.append((name, text.casefold()))
    return tuple(out)


def _check_rep(store: Store, handle: str, what: str) -> None:
    from khm.store.lists import rep_exists

    with store.engine.connect() as conn:
        if not rep_exists(conn, handle):
            raise NotFoundError(f"{what}: rep {handle!r} not found (see 'khm rep list --all')")


def due_lines(
    account: AccountRecord,
    last_by_kind: Mapping[str, date],
    method: Method,
    today: date,
    kinds: Iterable[str] | None = None,
    wait: int | None = None,
) -> list[DueLine]:
    """The account's cadence (or just ``kinds`` of it) through :func:`khm.core.due.schedule`,
    for the cycles the week of ``today`` plans (a skipped one shows its next due date, as
    ``khm weekly`` does; ``wait``: :func:`owner_wait`)."""
    from khm.core.due import schedule
    from khm.core.period import monday_of

    wanted = set(kinds) if kinds is not None else None
    out: list[DueLine] = []
    monday = monday_of(today)
    for d in schedule(
        account_key=account.key,
        account_type=account.type,
        category=account.category,
        anchor=account.anchor,
        last_by_kind=last_by_kind,
        method=method,
        monday=monday,
        wait=wait,
    ):
        if wanted is not None and d.kind not in wanted:
            continue
        if d.is_overdue_on(today):
            status = "overdue"
        elif d.is_due_by(today):
            status = "due"
        else:
            status = "ok"
        act = method.activities.get(d.kind)
        out.append(
            DueLine(
                kind=d.kind,
                label=act.label if act else "",
                mode=act.mode if act else "",
                interval=str(d.interval),
                last_touch=d.last_touch,
                due=d.due,
                overdue_from=d.overdue_from,
                status=status,
                days_late=d.days_late(today),
                first=d.first,
            )
        )
    return out


def owner_wait(s: Session, method: Method, rec: AccountRecord, today: date) -> int | None:
    """The days the account's human work may wait before the week's list skips it when
    its category yields on its owner's list (:func:`khm.core.capacity.rep_yields`, from
    the owner's accounts and capacity, as ``khm weekly`` computes it); None: one interval."""
    if method.capacity.overload != "protect" or not rec.owner or rec.category in (None, "A"):
        return None
    from khm.core.capacity import LoadGroup, rep_yields, yield_wait
    from khm.core.period import monday_of
    from khm.services.holidays import HolidayCache
    from khm.store.queries import get_rep
    from khm.store.tagging import load_groups

    rep = get_rep(s, rec.owner)
    if rep is None or not rep.active:
        return None
    conn = s.connection()
    groups = [
        LoadGroup(g.owner, g.type, g.category, g.country, int(g.n))
        for g in load_groups(conn, owner=rec.owner)
    ]
    holidays = HolidayCache.default()
    yields = rep_yields(
        method,
        groups,
        {rec.owner: float(rep.capacity)},
        year=monday_of(today).year,
        holidays=holidays,
    )
    holidays.save()
    return yield_wait(yields, rec.owner, rec.category)


def show_account(store: Store, key: str, method: Method, today: date) -> AccountDetail:
    from khm.store.queries import (
        count_touches,
        get_rep,
        last_touch_by_kind,
        recent_touches,
        tag_history,
    )

    with store.transaction() as s:
        acc = _account_or_fail(s, key)
        assert acc.id is not None
        rec = AccountRecord.of(acc)
        owner = get_rep(s, acc.owner) if acc.owner else None
        tagged = rec.type is not None and rec.category is not None
        schedule = (
            due_lines(
                rec,
                last_touch_by_kind(s, acc.id),
                method,
                today,
                wait=owner_wait(s, method, rec, today),
            )
            if tagged
            else []
        )
        touches = [
            TouchRecord.of(t, rec.key, rec.name) for t in recent_touches(s, acc.id, RECENT_TOUCHES)
        ]
        history = [TagChangeRecord.of(h) for h in tag_history(s, acc.id)]
        deals = _account_deals(store, acc.id)
        from khm.store.stages import history as stage_history

        stages = stage_history(s.connection(), acc.id)
        return AccountDetail(
            account=rec,
            owner_name=owner.name if owner else None,
            owner_active=bool(owner.active) if owner else None,
            tagged=tagged,
            schedule=schedule,
            touches=touches,
            touch_count=count_touches(s, acc.id),
            history=history,
            today=today,
            deals=deals,
            stages=stages,
        )


def _account_deals(store: Store, account_id: int) -> list[DealRecord]:
    from khm.store.deals import DealFilter, iter_deals

    with store.engine.connect() as conn:
        return [DealRecord.of(d) for d in iter_deals(conn, DealFilter(account_id=account_id))]


# --------------------------------------------------------------------------- reps


def add_rep(
    store: Store,
    handle: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str = "any",
    capacity: str | None = None,
    default_capacity: float = 10.0,
) -> RepRecord:
    from sqlalchemy.exc import IntegrityError

    from khm.store.models import Rep, utcnow
    from khm.store.queries import get_rep

    h = normalise_handle(handle, "HANDLE")
    nm = clean_text(name, "--name", max_len=REP_NAME_MAX) or ""
    em = validate_email(email)
    rl = validate_role(role)
    cap = parse_number(capacity, "--capacity", "capacity") if capacity is not None else None
    if cap is None:
        cap = float(default_capacity)
    try:
        with store.transaction() as s:
            if get_rep(s, h) is not None:
                raise ConflictError(f"rep {h!r} already exists (change it with 'khm rep edit')")
            now = utcnow()
            rep = Rep(
                handle=h, name=nm, email=em, role=rl, capacity=cap, created_at=now, updated_at=now
            )
            s.add(rep)
            s.flush()
            return RepRecord.of(rep)
    except IntegrityError:
        raise ConflictError(f"rep {h!r} already exists") from None


def edit_rep(
    store: Store,
    handle: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    capacity: str | None = None,
    active: bool | None = None,
) -> tuple[RepRecord, list[str], int]:
    """Change a rep; returns (record, changes, active accounts still owned)."""
    from khm.store.models import utcnow
    from khm.store.queries import get_rep, owned_counts

    h = normalise_handle(handle, "HANDLE")
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_text(name, "--name", max_len=REP_NAME_MAX) or ""
    if email is not None:
        values["email"] = validate_email(email)
    if role is not None:
        values["role"] = validate_role(role)
    if capacity is not None:
        cap = parse_number(capacity, "--capacity", "capacity")
        if cap is None:
            raise UsageError("--capacity: a number is required")
        values["capacity"] = cap
    if active is not None:
        values["active"] = active
    if not values:
        raise UsageError(
            "nothing to change: give at least one of --name, --email, --role, --capacity, "
            "--active/--inactive"
        )
    with store.transaction() as s:
        rep = get_rep(s, h)
        if rep is None:
            raise NotFoundError(f"rep {h!r} not found (see 'khm rep list --all')")
        changed = []
        for attr, value in values.items():
            old = getattr(rep, attr)
            if old != value:
                changed.append(f"{attr}: {_show(old)} → {_show(value)}")
                setattr(rep, attr, value)
        if changed:
            rep.updated_at = utcnow()
        s.add(rep)
        s.flush()
        owned = sum(owned_counts(s, h).values())
        return RepRecord.of(rep, owned), changed, owned


def list_reps(
    store: Store,
    *,
    role: str | None = None,
    include_inactive: bool = False,
    today: date | None = None,
) -> Iterator[RepRecord]:
    """Reps by handle with the number of active accounts each owns and their current and
    upcoming absences (not ended before ``today``; default: none read), streamed."""
    from khm.store.absences import absences_between
    from khm.store.lists import iter_reps

    rl = validate_role(role) if role is not None else None

    def rows(conn: Connection) -> Iterator[RepRecord]:
        away = absences_between(conn, today, date.max) if today is not None else {}
        for r in iter_reps(conn, role=rl, include_inactive=include_inactive):
            yield RepRecord.of(r, int(r.accounts), away.get(r.handle, ()))

    return _streamed(store, rows)


def show_rep(store: Store, handle: str, today: date, recent_days: int = 28) -> RepDetail:
    from khm.core.absence import current_and_upcoming
    from khm.store.absences import absences_of
    from khm.store.queries import get_rep, owned_counts, rep_touch_stats

    h = normalise_handle(handle, "HANDLE")
    with store.transaction() as s:
        rep = get_rep(s, h)
        if rep is None:
            raise NotFoundError(f"rep {h!r} not found (see 'khm rep list --all')")
        counts = owned_counts(s, h)
        n, last = rep_touch_stats(s, h, today - timedelta(days=recent_days - 1))
        away = current_and_upcoming(absences_of(s.connection(), h), today)
        return RepDetail(
            rep=RepRecord.of(rep, sum(counts.values()), away),
            counts=counts,
            touches_recent=n,
            recent_days=recent_days,
            last_touch=last,
            today=today,
        )


# --------------------------------------------------------------------------- touches


def validate_kind(kind: str, method: Method, what: str = "KIND") -> str:
    k = kind.strip().lower()
    if k not in method.activities:
        raise UsageError(
            f"{what}: {kind!r} is not an activity kind of the method "
            f"(known: {', '.join(method.activities)})"
        )
    return k


def log_touch(
    store: Store,
    account_key: str,
    kind: str,
    *,
    method: Method,
    today: date,
    on: date | None = None,
    rep: str | None = None,
    note: str | None = None,
    source: str = "manual",
) -> LoggedTouch:
    """Record one touch and return it with the next due dates it moved."""
    from khm.store.models import Touch, utcnow
    from khm.store.queries import get_rep, last_touch_by_kind, same_day_touches

    k = validate_kind(kind, method)
    day = on or today
    if day > today:
        raise UsageError(
            f"--date: {day.isoformat()} is in the future (today is {today.isoformat()}); "
            "log touches when they have happened"
        )
    handle = normalise_handle(rep, "--rep") if rep is not None else None
    text = clean_note(note)
    with store.transaction() as s:
        acc = _account_or_fail(s, account_key)
        assert acc.id is not None
        if acc.archived:
            raise ConflictError(
                f"account {acc.key!r} is archived (restore it with 'khm account archive "
                f"{acc.key} --undo')"
            )
        if handle is None:
            handle = acc.owner
        elif get_rep(s, handle) is None:
            raise NotFoundError(f"--rep: rep {handle!r} not found (add it with 'khm rep add')")
        touch = Touch(
            account_id=acc.id,
            rep=handle,
            kind=k,
            date=day,
            note=text,
            source=source,
            created_at=utcnow(),
        )
        s.add(touch)
        s.flush()
        same_day = same_day_touches(s, acc.id, k, day, exclude=touch.id)
        rec = AccountRecord.of(acc)
        # The logged kind and every kind it covers restart their timer.
        moved = [k, *method.activities[k].covers]
        cadence = method.cadence_for(rec.type, rec.category)
        lines = due_lines(
            rec,
            last_touch_by_kind(s, acc.id),
            method,
            today,
            kinds=moved,
            wait=owner_wait(s, method, rec, today),
        )
        order = {kk: i for i, kk in enumerate(moved)}
        lines.sort(key=lambda d: order[d.kind])
        return LoggedTouch(
            touch=TouchRecord.of(touch, rec.key, rec.name),
            account=rec,
            next_due=lines,
            in_cadence=k in cadence,
            same_day=tuple(same_day),
        )


def list_filters(
    store: Store, rep: str | None, account: str | None
) -> tuple[str | None, int | None]:
    """``--rep`` and ``--account`` of a list (touches, deals) checked: the rep's handle
    and the account's id (None where not given); unknown ones are NotFoundError."""
    from khm.store.lists import find_account_id

    handle = normalise_handle(rep, "--rep") if rep is not None else None
    if handle is not None:
        _check_rep(store, handle, "--rep")
    acc_id = None
    if account is not None:
        with store.engine.connect() as conn:
            acc_id = find_account_id(conn, account.strip())
        if acc_id is None:
            raise NotFoundError(f"account {account!r} not found (see 'khm account list --all')")
    return handle, acc_id


def list_touches(
    store: Store,
    *,
    account: str | None = None,
    rep: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    campaign: int | None = None,
) -> Iterator[TouchRecord]:
    """Touches newest first, streamed; options checked before this returns."""
    from khm.store.lists import TouchFilter, iter_touches

    if since is not None and until is not None and since > until:
        raise UsageError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit: {limit} must be at least 1")
    handle, acc_id = list_filters(store, rep, account)
    if campaign is not None:
        from khm.store.campaigns import get_campaign

        with store.engine.connect() as conn:
            if get_campaign(conn, campaign) is None:
                raise NotFoundError(f"--campaign: campaign {campaign} not found")
    flt = TouchFilter(
        account_id=acc_id,
        rep=handle,
        kind=kind.strip().lower() if kind else None,
        since=since,
        until=until,
        limit=limit,
        campaign_id=campaign,
    )
    return _streamed(
        store,
        lambda conn: (
            TouchRecord.of(t, t.account_key, t.account_name) for t in iter_touches(conn, flt)
        ),
    )


def get_touch(store: Store, touch_id: int) -> TouchRecord:
    from khm.store.models import Account
    from khm.store.queries import get_touch as q_get

    with store.transaction() as s:
        t = q_get(s, touch_id)
        if t is None:
            raise NotFoundError(f"touch {touch_id} not found (see 'khm touch list')")
        acc = s.get(Account, t.account_id)
        return TouchRecord.of(t, acc.key if acc else "?", acc.name if acc else "")


def delete_touch(store: Store, touch_id: int) -> TouchRecord:
    from khm.store.models import Account
    from khm.store.queries import get_touch as q_get

    with store.transaction() as s:
        t = q_get(s, touch_id)
        if t is None:
            raise NotFoundError(f"touch {touch_id} not found (see 'khm touch list')")
        acc = s.get(Account, t.account_id)
        rec = TouchRecord.of(t, acc.key if acc else "?", acc.name if acc else "")
        s.delete(t)
        return rec


__all__ = [
    "AccountChanges",
    "AccountDetail",
    "AccountRecord",
    "DueLine",
    "LoggedTouch",
    "RepDetail",
    "RepRecord",
    "TagChangeRecord",
    "TouchRecord",
    "add_account",
    "add_rep",
    "archive_account",
    "clean_text",
    "delete_touch",
    "due_lines",
    "edit_account",
    "edit_rep",
    "list_accounts",
    "list_reps",
    "list_touches",
    "log_touch",
    "normalise_country",
    "normalise_handle",
    "parse_number",
    "show_account",
    "show_rep",
]
