"""Accounts, reps and touches: validate input, write in one transaction, return typed records.

The CLI modules (``khm.cli.accounts``, ``khm.cli.reps``, ``khm.cli.touches``) are thin
adapters over the functions here. Every bad value raises a :class:`khm.errors.KhmError`
naming the option or field *before* anything is written, and every write happens inside
one ``store.transaction()``, so a failure leaves the database as it was.

The validators (:func:`normalise_country`, :func:`parse_number`, :func:`normalise_handle`,
...) are public: the importer and other commands can reuse them so that every way into the
store accepts and refuses the same values.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from khm.core.constants import CATEGORIES, ROLES, TYPES
from khm.errors import ConflictError, NotFoundError, UsageError

if TYPE_CHECKING:
    from sqlmodel import Session

    from khm.method import Method
    from khm.store.db import Store
    from khm.store.models import Account, Rep, TagChange, Touch

ACCOUNT_SORTS: tuple[str, ...] = ("key", "name", "revenue", "category")
RECENT_TOUCHES = 10

KEY_MAX = 200
NAME_MAX = 400
REP_NAME_MAX = 200
EMAIL_MAX = 320
HANDLE_MAX = 64
STAGE_MAX = 64
PRODUCT_LINE_MAX = 200
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
}

_HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# --------------------------------------------------------------------------- validators


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
    bad = next((ch for ch in v if unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        raise UsageError(f"{what}: contains a control character ({bad!r}) in {v!r}")
    if len(v) > max_len:
        raise UsageError(f"{what}: {len(v)} characters is too long (at most {max_len})")
    return v


def clean_note(value: str | None, what: str = "--note") -> str | None:
    """A free note: newlines and tabs allowed, other control characters (NUL) not."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    bad = next((ch for ch in v if unicodedata.category(ch) == "Cc" and ch not in "\n\t\r"), None)
    if bad is not None:
        raise UsageError(f"{what}: contains a control character ({bad!r})")
    return v


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


def parse_number(
    value: str | float | int | None, what: str, *, allow_negative: bool = False
) -> float | None:
    """A number from ``1234.5``, ``1 234,5``, ``1_234``, ``1234,5``; ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise UsageError(f"{what}: {value!r} is not a number")
    if isinstance(value, int | float):
        num = float(value)
    else:
        raw = value.strip()
        if not raw:
            return None
        t = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("_", "")
        for sep in (",", "."):
            other = "." if sep == "," else ","
            if (
                t.count(sep) > 1
                and other not in t
                and re.fullmatch(r"[+-]?\d{1,3}(" + re.escape(sep) + r"\d{3})+", t)
            ):
                t = t.replace(sep, "")  # 1.234.567 or 1,234,567: thousands only
        if "," in t and "." in t:
            # the later separator is the decimal one: 1.234,50 or 1,234.50
            if t.rfind(",") > t.rfind("."):
                t = t.replace(".", "").replace(",", ".")
            else:
                t = t.replace(",", "")
        elif t.count(",") == 1:
            head, _, tail = t.partition(",")
            if len(tail) == 3 and head.lstrip("+-").isdigit() and head.lstrip("+-") != "0":
                raise UsageError(
                    f"{what}: {raw!r} is ambiguous (thousands or decimals?); "
                    f"write {head}{tail} or {head}.{tail}"
                )
            t = t.replace(",", ".")
        try:
            num = float(t)
        except ValueError:
            raise UsageError(f"{what}: {raw!r} is not a number") from None
    if math.isnan(num) or math.isinf(num):
        raise UsageError(f"{what}: {value!r} is not a finite number")
    if num < 0 and not allow_negative:
        raise UsageError(f"{what}: {value!r} must not be negative")
    return num


def _stored_number(num: float) -> float | int:
    return int(num) if num.is_integer() and abs(num) < 2**53 else num


def parse_field_assignment(text: str, what: str = "--field") -> tuple[str, float | int]:
    """``NAME=NUMBER`` → (name, number) for a custom numeric field."""
    if "=" not in text:
        raise UsageError(f"{what}: {text!r} is not NAME=NUMBER (e.g. --field open_pipeline=25000)")
    name, _, raw = text.partition("=")
    name = validate_field_name(name.strip(), what)
    num = parse_number(raw, f"{what} {name}", allow_negative=True)
    if num is None:
        raise UsageError(f"{what} {name}: a number is required after '='")
    return name, _stored_number(num)


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
    """A rep handle: lower-case word of a-z, 0-9, '.', '_' and '-' (input is lower-cased)."""
    v = (value or "").strip().lower()
    if not v:
        raise UsageError(f"{what}: must not be empty")
    if len(v) > HANDLE_MAX or not _HANDLE_RE.fullmatch(v):
        raise UsageError(
            f"{what}: {value!r} is not a handle (one lower-case word of a-z, 0-9, '.', '_' "
            f"and '-', starting with a letter or digit, at most {HANDLE_MAX} characters)"
        )
    return v


def validate_role(value: str, what: str = "--role") -> str:
    v = value.strip().lower()
    if v not in ROLES:
        raise UsageError(f"{what}: {value!r} is not one of {', '.join(ROLES)}")
    return v


def validate_email(value: str | None, what: str = "--email") -> str | None:
    v = clean_text(value, what, max_len=EMAIL_MAX)
    if v is None:
        return None
    if not _EMAIL_RE.fullmatch(v):
        raise UsageError(f"{what}: {value!r} is not an e-mail address")
    return v


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
    """Stripped, de-duplicated (first spelling kept), in the order given."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        v = clean_text(raw, what, max_len=PRODUCT_LINE_MAX, required=True)
        assert v is not None
        if v.casefold() not in seen:
            seen.add(v.casefold())
            out.append(v)
    return out


# --------------------------------------------------------------------------- records


@dataclass(slots=True)  # not frozen: built 100k times per list, frozen init is slow
class AccountRecord:
    id: int
    key: str
    name: str
    country: str | None
    product_lines: list[str]
    revenue: float | None
    employees: float | None
    custom: dict[str, Any]
    owner: str | None
    type: str | None
    category: str | None
    type_manual: bool
    category_manual: bool
    manual_reason: str | None
    tagged_at: datetime | None
    lifecycle_stage: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, a: Any) -> AccountRecord:
        """From an ``Account`` or a row of its columns."""
        assert a.id is not None
        return cls(
            id=a.id,
            key=a.key,
            name=a.name,
            country=a.country,
            product_lines=list(a.product_lines or []),
            revenue=a.revenue,
            employees=a.employees,
            custom=dict(a.custom or {}),
            owner=a.owner,
            type=a.type,
            category=a.category,
            type_manual=bool(a.type_manual),
            category_manual=bool(a.category_manual),
            manual_reason=a.manual_reason,
            tagged_at=a.tagged_at,
            lifecycle_stage=a.lifecycle_stage,
            archived=bool(a.archived),
            created_at=a.created_at,
            updated_at=a.updated_at,
        )

    @property
    def anchor(self) -> date:
        """Where never-touched kinds start their spread first due date."""
        return (self.tagged_at or self.created_at).date()

    def as_dict(self) -> dict[str, Any]:
        """Every field, for JSON."""
        return {
            "key": self.key,
            "name": self.name,
            "country": self.country,
            "product_lines": list(self.product_lines),
            "revenue": self.revenue,
            "employees": self.employees,
            "custom": dict(self.custom),
            "owner": self.owner,
            "type": self.type,
            "category": self.category,
            "type_manual": self.type_manual,
            "category_manual": self.category_manual,
            "manual_reason": self.manual_reason,
            "tagged_at": self.tagged_at,
            "lifecycle_stage": self.lifecycle_stage,
            "archived": self.archived,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def row(self) -> dict[str, Any]:
        """The list columns, for tables and CSV."""
        return {
            "key": self.key,
            "name": self.name,
            "country": self.country,
            "product_lines": list(self.product_lines),
            "revenue": self.revenue,
            "employees": self.employees,
            "type": self.type,
            "category": self.category,
            "owner": self.owner,
            "stage": self.lifecycle_stage,
        }


@dataclass(frozen=True)
class RepRecord:
    id: int
    handle: str
    name: str
    email: str | None
    role: str
    capacity: float
    active: bool
    created_at: datetime
    updated_at: datetime
    accounts: int = 0  # active accounts owned

    @classmethod
    def of(cls, r: Rep, accounts: int = 0) -> RepRecord:
        assert r.id is not None
        return cls(
            id=r.id,
            handle=r.handle,
            name=r.name,
            email=r.email,
            role=r.role,
            capacity=r.capacity,
            active=bool(r.active),
            created_at=r.created_at,
            updated_at=r.updated_at,
            accounts=accounts,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "capacity": self.capacity,
            "active": self.active,
            "accounts": self.accounts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(slots=True)  # not frozen: built 100k times per list, frozen init is slow
class TouchRecord:
    id: int
    account: str  # account key
    account_name: str
    rep: str | None
    kind: str
    date: date
    note: str | None
    source: str
    created_at: datetime

    @classmethod
    def of(cls, t: Touch, account_key: str, account_name: str) -> TouchRecord:
        assert t.id is not None
        return cls(
            id=t.id,
            account=account_key,
            account_name=account_name,
            rep=t.rep,
            kind=t.kind,
            date=t.date,
            note=t.note,
            source=t.source,
            created_at=t.created_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "account": self.account,
            "account_name": self.account_name,
            "kind": self.kind,
            "rep": self.rep,
            "note": self.note,
            "source": self.source,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class TagChangeRecord:
    id: int
    changed_at: datetime
    field: str
    old: str | None
    new: str | None
    who: str
    reason: str | None
    rule: str | None

    @classmethod
    def of(cls, t: TagChange) -> TagChangeRecord:
        assert t.id is not None
        return cls(t.id, t.changed_at, t.field, t.old, t.new, t.who, t.reason, t.rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed_at": self.changed_at,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "who": self.who,
            "reason": self.reason,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class DueLine:
    """One activity kind of an account's cadence, as ``account show`` and ``log`` print it."""

    kind: str
    label: str
    mode: str
    interval: str
    last_touch: date | None
    due: date
    overdue_from: date
    status: str  # ok | due | overdue
    days_late: int  # days past the due date (0 when not due)
    first: bool  # never touched: ``due`` is the spread first date

    @property
    def status_text(self) -> str:
        if self.status == "overdue":
            return f"overdue {self.days_late} day{'s' if self.days_late != 1 else ''}"
        return self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "mode": self.mode,
            "interval": self.interval,
            "last_touch": self.last_touch,
            "next_due": self.due,
            "overdue_from": self.overdue_from,
            "status": self.status,
            "days_late": self.days_late,
            "first": self.first,
        }


@dataclass(frozen=True)
class AccountDetail:
    account: AccountRecord
    owner_name: str | None
    owner_active: bool | None
    tagged: bool
    schedule: list[DueLine]
    touches: list[TouchRecord]
    touch_count: int
    history: list[TagChangeRecord]
    today: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account.as_dict(),
            "owner_name": self.owner_name,
            "tagged": self.tagged,
            "today": self.today,
            "schedule": [d.as_dict() for d in self.schedule],
            "touch_count": self.touch_count,
            "recent_touches": [t.as_dict() for t in self.touches],
            "tag_history": [h.as_dict() for h in self.history],
        }


@dataclass(frozen=True)
class RepDetail:
    rep: RepRecord
    counts: dict[tuple[str | None, str | None], int]
    touches_recent: int
    recent_days: int
    last_touch: date | None
    today: date

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        matrix: dict[str, dict[str, int]] = {}
        for (t, c), n in sorted(self.counts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
            matrix.setdefault(t or "untagged", {})[c or "untagged"] = n
        return {
            "rep": self.rep.as_dict(),
            "accounts_total": self.total,
            "accounts_by_type_category": matrix,
            "touches_recent": self.touches_recent,
            "recent_days": self.recent_days,
            "last_touch": self.last_touch,
            "today": self.today,
        }


@dataclass(frozen=True)
class LoggedTouch:
    touch: TouchRecord
    account: AccountRecord
    next_due: list[DueLine]  # the logged kind and the kinds it covers, that are in the cadence
    in_cadence: bool  # the logged kind is part of the account's cadence
    same_day: tuple[int, ...] = ()  # ids of other touches of this kind, account and date

    def as_dict(self) -> dict[str, Any]:
        return {
            "touch": self.touch.as_dict(),
            "account": {
                "key": self.account.key,
                "name": self.account.name,
                "type": self.account.type,
                "category": self.account.category,
            },
            "in_cadence": self.in_cadence,
            "same_day": list(self.same_day),
            "next_due": [d.as_dict() for d in self.next_due],
        }


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
    if ch.revenue is not None:
        out.values["revenue"] = parse_number(ch.revenue, "--revenue")
    if ch.employees is not None:
        out.values["employees"] = parse_number(ch.employees, "--employees")
    if ch.stage is not None:
        out.values["lifecycle_stage"] = clean_text(ch.stage, "--stage", max_len=STAGE_MAX)
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
) -> tuple[AccountRecord, list[str]]:
    """Change an account; returns the record and what changed (``field: old → new``)."""
    from khm.store.models import utcnow

    if changes.is_empty():
        raise UsageError(
            "nothing to change: give at least one of --name, --country, --product-line, "
            "--revenue, --employees, --field, --clear-field, --owner, --unset-owner, --stage"
        )
    valid = validate_changes(changes, adding=False)
    reason = clean_note(reason, "--reason")
    with store.transaction() as s:
        acc = _account_or_fail(s, key)
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
        return AccountRecord.of(acc), changed


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
) -> list[AccountRecord]:
    from khm.store.queries import AccountFilter
    from khm.store.queries import list_accounts as q_list

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
    )
    with store.transaction() as s:
        if flt.owner is not None:
            _rep_or_fail(s, flt.owner, "--rep")
        return [AccountRecord.of(a) for a in q_list(s, flt)]


def due_lines(
    account: AccountRecord,
    last_by_kind: Mapping[str, date],
    method: Method,
    today: date,
    kinds: Iterable[str] | None = None,
) -> list[DueLine]:
    """The account's cadence (or just ``kinds`` of it) through :func:`khm.core.due.schedule`."""
    from khm.core.due import schedule

    wanted = set(kinds) if kinds is not None else None
    out: list[DueLine] = []
    for d in schedule(
        account_key=account.key,
        account_type=account.type,
        category=account.category,
        anchor=account.anchor,
        last_by_kind=last_by_kind,
        method=method,
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
        schedule = due_lines(rec, last_touch_by_kind(s, acc.id), method, today) if tagged else []
        touches = [
            TouchRecord.of(t, rec.key, rec.name) for t in recent_touches(s, acc.id, RECENT_TOUCHES)
        ]
        history = [TagChangeRecord.of(h) for h in tag_history(s, acc.id)]
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
        )


# --------------------------------------------------------------------------- reps


def add_rep(
    store: Store,
    handle: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str = "any",
    capacity: str | float | None = None,
    default_capacity: float = 10.0,
) -> RepRecord:
    from sqlalchemy.exc import IntegrityError

    from khm.store.models import Rep, utcnow
    from khm.store.queries import get_rep

    h = normalise_handle(handle, "HANDLE")
    nm = clean_text(name, "--name", max_len=REP_NAME_MAX) or ""
    em = validate_email(email)
    rl = validate_role(role)
    cap = parse_number(capacity, "--capacity") if capacity is not None else None
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
    capacity: str | float | None = None,
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
        cap = parse_number(capacity, "--capacity")
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
    store: Store, *, role: str | None = None, include_inactive: bool = False
) -> list[RepRecord]:
    from khm.store.queries import list_reps as q_list

    rl = validate_role(role) if role is not None else None
    with store.transaction() as s:
        return [
            RepRecord.of(r, n) for r, n in q_list(s, role=rl, include_inactive=include_inactive)
        ]


def show_rep(store: Store, handle: str, today: date, recent_days: int = 28) -> RepDetail:
    from khm.store.queries import get_rep, owned_counts, rep_touch_stats

    h = normalise_handle(handle, "HANDLE")
    with store.transaction() as s:
        rep = get_rep(s, h)
        if rep is None:
            raise NotFoundError(f"rep {h!r} not found (see 'khm rep list --all')")
        counts = owned_counts(s, h)
        n, last = rep_touch_stats(s, h, today - timedelta(days=recent_days - 1))
        return RepDetail(
            rep=RepRecord.of(rep, sum(counts.values())),
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
        lines = due_lines(rec, last_touch_by_kind(s, acc.id), method, today, kinds=moved)
        order = {kk: i for i, kk in enumerate(moved)}
        lines.sort(key=lambda d: order[d.kind])
        return LoggedTouch(
            touch=TouchRecord.of(touch, rec.key, rec.name),
            account=rec,
            next_due=lines,
            in_cadence=k in cadence,
            same_day=tuple(same_day),
        )


def list_touches(
    store: Store,
    *,
    account: str | None = None,
    rep: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> list[TouchRecord]:
    from khm.store.queries import TouchFilter
    from khm.store.queries import list_touches as q_list

    if since is not None and until is not None and since > until:
        raise UsageError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit: {limit} must be at least 1")
    handle = normalise_handle(rep, "--rep") if rep is not None else None
    with store.transaction() as s:
        if handle is not None:
            _rep_or_fail(s, handle, "--rep")
        acc_id = None
        if account is not None:
            acc = _account_or_fail(s, account)
            acc_id = acc.id
        flt = TouchFilter(
            account_id=acc_id,
            rep=handle,
            kind=kind.strip().lower() if kind else None,
            since=since,
            until=until,
            limit=limit,
        )
        return [TouchRecord.of(t, k, n) for t, k, n in q_list(s, flt)]


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
