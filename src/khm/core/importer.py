"""Import planning, the upsert half: rows already read into values (by the reading half,
``cells`` in the io package) + what the database holds → records to insert or update, and every
duplicate or missing key with its row and field. Pure: no database, no files, no parsing,
no clock (the caller passes ``now``).

The three entities and their fields:

* ``accounts`` (upsert by ``key``): key, name, country, product_lines, revenue, employees,
  owner, lifecycle_stage, archived, customer_since, ``custom.NAME`` for any other numeric
  field and ``text.NAME`` for any other text field (sector, region).
* ``reps`` (upsert by ``handle``): handle, name, email, role, capacity, active.
* ``touches`` (appended, de-duplicated on account, kind, date, rep, note): account, date,
  kind, rep, note, source.
* ``deals`` (upsert by ``key``): key, account, stage, value, product, owner, created,
  closed; the status (open, won, lost) follows from the stage (:mod:`khm.core.deals`).
* ``nps`` (appended, de-duplicated on account, date, score, contact, comment): account,
  score (0-10), date, contact, comment, source (:mod:`khm.core.nps`).

An empty cell never overwrites: it leaves an existing value as it is (and gives the
default on insert). The caller decides what to write: nothing when any row is bad (the
default), or only the good rows (``--skip-bad``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from khm.core.deals import StageWords, deal_status

ENTITIES: tuple[str, ...] = ("accounts", "reps", "touches", "deals", "nps")
CUSTOM_PREFIX = "custom."
TEXT_PREFIX = "text."
#: at most this many characters in one text field (``text.sector``)
TEXT_MAX = 1000
MAX_ERRORS_PER_ROW = 10
KEY_MAX = 200


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | number | bool | date | country | list | role | email | rep | account | kind
    max_len: int | None = None
    required: bool = False
    help: str = ""


ACCOUNT_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("key", "text", 200, True, "unique account key (the upsert key)"),
        FieldSpec("name", "text", 400, False, "company name (defaults to the key)"),
        FieldSpec("country", "country", None, False, "ISO code or country name"),
        FieldSpec("product_lines", "list", None, False, "several separated by ; or |"),
        FieldSpec("revenue", "number"),
        FieldSpec("employees", "number"),
        FieldSpec("owner", "rep", None, False, "rep handle or rep name"),
        FieldSpec("lifecycle_stage", "text", 64),
        FieldSpec("archived", "bool"),
        FieldSpec("customer_since", "date", None, False, "when it became a customer"),
    )
}
REP_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("handle", "text", None, True, "unique handle (made from the name if missing)"),
        FieldSpec("name", "text", 200),
        FieldSpec("email", "email", 320),
        FieldSpec("role", "role", None, False, "expand, keep or any"),
        FieldSpec("capacity", "number", None, False, "weekly human capacity, effort units"),
        FieldSpec("active", "bool"),
    )
}
TOUCH_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("account", "account", None, True, "account key (or its exact name)"),
        FieldSpec("date", "date", None, True),
        FieldSpec("kind", "kind", None, True, "an activity kind of the method"),
        FieldSpec("rep", "rep", None, False, "rep handle or rep name"),
        FieldSpec("note", "text"),
        FieldSpec("source", "text", 200, False, "defaults to import:FILE"),
    )
}
DEAL_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("key", "text", 200, True, "unique deal key (the upsert key)"),
        FieldSpec("account", "account", None, True, "account key (or its exact name)"),
        FieldSpec("stage", "text", 64, True, "won / lost words close the deal; others: open"),
        FieldSpec("value", "number"),
        FieldSpec("product", "text", 200),
        FieldSpec("owner", "rep", None, False, "rep handle or rep name"),
        FieldSpec("created", "date"),
        FieldSpec("closed", "date"),
    )
}
NPS_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("account", "account", None, True, "account key (or its exact name)"),
        FieldSpec("score", "score", None, True, "the answer, a whole number 0-10"),
        FieldSpec("date", "date", None, True, "when it was answered (not in the future)"),
        FieldSpec("contact", "text", 200, False, "who answered"),
        FieldSpec("comment", "text"),
        FieldSpec("source", "text", 200, False, "defaults to import:FILE"),
    )
}
FIELDS: dict[str, dict[str, FieldSpec]] = {
    "accounts": ACCOUNT_FIELDS,
    "reps": REP_FIELDS,
    "touches": TOUCH_FIELDS,
    "deals": DEAL_FIELDS,
    "nps": NPS_FIELDS,
}
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("key", "name"),
    "reps": ("handle", "name", "email"),
    "touches": (),
    "deals": (),
    "nps": (),
}


def field_spec(entity: str, name: str) -> FieldSpec | None:
    specs = FIELDS[entity]
    if name in specs:
        return specs[name]
    if entity == "accounts" and name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return FieldSpec(name, "number", None, False, "a custom numeric field")
    if entity == "accounts" and name.startswith(TEXT_PREFIX) and len(name) > len(TEXT_PREFIX):
        return FieldSpec(name, "text", TEXT_MAX, False, "a text field (sector, region)")
    return None


def known_fields_text(entity: str) -> str:
    names = list(FIELDS[entity])
    if entity == "accounts":
        names += ["custom.NAME", "text.NAME"]
    return ", ".join(names)


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class ImportSpec:
    """What the user asked for on the command line."""

    entity: str
    maps: Mapping[str, str] = field(default_factory=dict)  # field -> column header
    constants: Mapping[str, str] = field(default_factory=dict)  # field -> raw value
    key: str | None = None
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    scale: Mapping[str, float] = field(default_factory=dict)
    date_format: str | None = None
    decimal: str | None = None  # column decimal separator; None: per column
    source: str = "import"
    #: cell values read as empty (casefolded); the reading half fills the default set
    nulls: frozenset[str] = frozenset({""})
    #: an unknown country refuses the row (default: a warning, imported without a country)
    strict_countries: bool = False
    #: touches: the last day a touch may be dated (None: no limit, ``--allow-future``)
    latest: date | None = None
    stage_words: StageWords = field(default_factory=StageWords)  # deals: won / lost words


@dataclass(frozen=True)
class Existing:
    """One row already in the database: its id and the importable values."""

    id: int
    values: Mapping[str, Any]


@dataclass
class ImportContext:
    """What the database holds that the upsert needs, as plain data."""

    existing: dict[str, Existing] = field(default_factory=dict)  # key/handle -> row
    default_capacity: float = 10.0


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class RowIssue:
    row: int  # line number in the file (header = 1); 0 for the command line
    field: str
    problem: str

    def format(self, path: str) -> str:
        where = f"{path}:{self.row}" if self.row else f"{path}"
        return f"{where}: {self.field}: {self.problem}"


@dataclass
class ImportPlan:
    entity: str
    rows: int = 0
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    bad_rows: list[int] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    #: The insert columns every insert has the same value in (the defaults of columns
    #: the file does not feed, timestamps), set by :func:`plan_rows`: a bulk writer
    #: sends them once. An accounts insert row leaves them out; other rows may hold them.
    insert_shared: dict[str, Any] = field(default_factory=dict)

    @property
    def inserted(self) -> int:
        return len(self.inserts)

    @property
    def updated(self) -> int:
        return len(self.updates)

    @property
    def bad(self) -> int:
        return len(self.bad_rows)


# --------------------------------------------------------------------------- planning

#: One row read into values: (line in the file, field -> value, the field that gave the
#: key: ``key``/``name`` for accounts, ``handle``/``name``/``email`` for reps, "" for touches).
Row = tuple[int, dict[str, Any], str]

_ACCOUNT_DEFAULTS: dict[str, Any] = {
    "name": "",
    "country": None,
    "product_lines": [],
    "revenue": None,
    "employees": None,
    "custom": {},
    "text": {},
    "owner": None,
    "lifecycle_stage": None,
    "archived": False,
    "customer_since": None,
}
_ACCOUNT_INSERT_FIXED: dict[str, Any] = {
    "type": None,
    "category": None,
    "type_manual": False,
    "category_manual": False,
    "manual_reason": None,
    "tagged_at": None,
}
_REP_DEFAULTS: dict[str, Any] = {
    "name": "",
    "email": None,
    "role": "any",
    "active": True,
}


def plan_rows(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    rows: Iterable[Row],
    *,
    now: datetime,
    fields: Iterable[str] = (),
) -> ImportPlan:
    """Decide, per row, insert / update / unchanged (or bad: a key repeated in the file).
    ``fields``: the fields the file's columns feed (the rest are defaults, shared by
    every insert: ``plan.insert_shared``)."""
    entity = req.entity
    fed = {*fields, *req.constants}
    shared_names = insert_constants(entity, fed)
    seen_keys: dict[Any, Any] = {}
    finish: Callable[..., None]
    base: dict[str, Any] | None = None
    if entity == "accounts":
        every = {**_ACCOUNT_DEFAULTS, **_ACCOUNT_INSERT_FIXED, "created_at": now, "updated_at": now}
        plan.insert_shared = {c: v for c, v in every.items() if c in shared_names}
        # an insert row: the defaults of the columns the file feeds, then the row's values
        base = {c: v for c, v in every.items() if c not in shared_names}
        finish = _account_row
    elif entity == "reps":
        finish = _rep_row
    elif entity == "deals":
        finish = _deal_row
    elif entity == "nps":
        finish = _nps_row
    else:
        finish = _touch_row
    for line, values, src in rows:
        # positional: a plain call per row (a partial with keywords costs a dict per row)
        finish(plan, req, ctx, values, line, src, seen_keys, now, base)
    if entity != "accounts" and plan.inserts:
        first = plan.inserts[0]
        plan.insert_shared = {c: first[c] for c in shared_names if c in first}
    return plan


_TOUCH_SOURCES = {
    "account_id": "account",
    "rep": "rep",
    "kind": "kind",
    "date": "date",
    "note": "note",
    "source": "source",
}


def insert_constants(entity: str, mapped: Iterable[str]) -> frozenset[str]:
    """The insert columns no file column feeds: every insert gets the same value there."""
    mapped = set(mapped)
    if entity == "accounts":
        cols = {*_ACCOUNT_DEFAULTS, *_ACCOUNT_INSERT_FIXED, "created_at", "updated_at"}
        prefixed = (CUSTOM_PREFIX, TEXT_PREFIX)
        varying = {"key", "name"} | {f for f in mapped if not f.startswith(prefixed)}
        if any(f.startswith(CUSTOM_PREFIX) for f in mapped):
            varying.add("custom")
        if any(f.startswith(TEXT_PREFIX) for f in mapped):
            varying.add("text")
        return frozenset(cols - varying)
    if entity == "reps":
        cols = {*_REP_DEFAULTS, "capacity", "created_at", "updated_at"}
        return frozenset(cols - mapped - {"handle", "name"})
    if entity == "deals":
        cols = {*_DEAL_DEFAULTS, "source", "created_at", "updated_at"}
        return frozenset(cols - mapped)
    if entity == "nps":
        cols = {"contact", "comment", "source", "created_at"}
        return frozenset(cols - mapped)
    return frozenset({"created_at"} | {c for c, f in _TOUCH_SOURCES.items() if f not in mapped})


def add_bad(plan: ImportPlan, line: int, errors: list[RowIssue]) -> None:
    """Record a bad row (at most :data:`MAX_ERRORS_PER_ROW` of its problems)."""
    plan.bad_rows.append(line)
    plan.errors.extend(errors[:MAX_ERRORS_PER_ROW])


def _dup(
    plan: ImportPlan, seen: dict[Any, int], key: Any, line: int, field_name: str, label: str
) -> bool:
    first = seen.get(key)
    if first is not None:
        add_bad(plan, line, [RowIssue(line, field_name, f"{label} repeats row {first}")])
        return True
    seen[key] = line
    return False


def _account_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    src: str,
    seen: dict[Any, Any],  # folded key -> (line, key, values or row, custom, text, inserted)
    now: datetime,
    base: Mapping[str, Any] | None,
) -> None:
    key = values.pop("key")
    folded = key.casefold()
    custom: dict[str, Any] | None = values.pop("custom", None)
    text: dict[str, str] | None = values.pop("text", None)
    first = seen.get(folded)
    if first is not None:
        # the same row again (an export's repeated line) is read once; a key repeated
        # with other values is a bad row naming the row it repeats
        line0, *kept, inserted = first
        if inserted:  # the first became an insert row: compare this one as one
            assert base is not None
            values = _insert_row(dict(values), key, custom, text, base)
        if kept == [key, values, custom, text]:
            plan.unchanged += 1
            problem = f"key {key!r} repeats row {line0} with the same values: read once"
            plan.warnings.append(RowIssue(line, src, problem))
        else:
            add_bad(plan, line, [RowIssue(line, src, f"key {key!r} repeats row {line0}")])
        return
    old = ctx.existing.get(key) if ctx.existing else None
    if old is None:
        assert base is not None
        row = _insert_row(values, key, custom, text, base)
        seen[folded] = (line, key, row, custom, text, True)
        plan.inserts.append(row)
        return
    seen[folded] = (line, key, values, custom, text, False)
    changes: dict[str, Any] = {}
    for f, v in values.items():
        if old.values.get(f) != v:
            changes[f] = v
    if custom:
        merged = dict(old.values.get("custom") or {})
        merged.update(custom)
        if merged != (old.values.get("custom") or {}):
            changes["custom"] = merged
    if text:
        merged_text = dict(old.values.get("text") or {})
        merged_text.update(text)
        if merged_text != (old.values.get("text") or {}):
            changes["text"] = merged_text
    _update(plan, old.id, changes, now)


def _insert_row(
    values: dict[str, Any],
    key: str,
    custom: dict[str, Any] | None,
    text: dict[str, str] | None,
    base: Mapping[str, Any],
) -> dict[str, Any]:
    """A new account's insert row, made of its ``values`` (changed in place: a row of a
    large file allocates no second dict) and, for a cell left empty, the column's default
    from ``base``. The values hold importable fields only, never the fixed ones (type,
    tags, times)."""
    row = values
    row["key"] = key
    if "custom" in base:
        row["custom"] = custom or {}
    if "text" in base:
        row["text"] = text or {}
    if len(row) <= len(base):  # base + key: every column; fewer: a cell was empty
        for c, v in base.items():
            if c not in row:
                row[c] = v
    if not row["name"]:
        row["name"] = key
    return row


def _rep_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    src: str,
    seen: dict[Any, int],
    now: datetime,
    base: Mapping[str, Any] | None,
) -> None:
    handle = values.pop("handle")
    if _dup(plan, seen, handle, line, src, f"handle {handle!r}"):
        return
    old = ctx.existing.get(handle)
    if old is None:
        row = dict(_REP_DEFAULTS)
        row["capacity"] = ctx.default_capacity
        row.update({k: v for k, v in values.items() if v is not None})
        if not row["name"]:
            row["name"] = values.get(src) if src != "handle" else handle
        row.update(handle=handle, created_at=now, updated_at=now)
        plan.inserts.append(row)
        return
    changes = {f: v for f, v in values.items() if v is not None and old.values.get(f) != v}
    _update(plan, old.id, changes, now)


def _update(plan: ImportPlan, row_id: int, changes: dict[str, Any], now: datetime) -> None:
    """An existing row: its changed fields are an update (stamped ``now``), else the row
    is unchanged."""
    if changes:
        changes["updated_at"] = now
        plan.updates.append((row_id, changes))
    else:
        plan.unchanged += 1


def _touch_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    src: str,
    seen: dict[Any, int],
    now: datetime,
    base: Mapping[str, Any] | None,
) -> None:
    row = {
        "account_id": values["account"],
        "rep": values.get("rep"),
        "kind": values["kind"],
        "date": values["date"],
        "note": values.get("note") or None,
        "source": values.get("source") or req.source,
        "created_at": now,
    }
    sig = touch_signature(row)
    if sig in seen:
        plan.unchanged += 1
        return
    seen[sig] = line
    plan.inserts.append(row)


_DEAL_DEFAULTS: dict[str, Any] = {
    "value": None,
    "product": None,
    "owner": None,
    "created": None,
    "closed": None,
}


def _deal_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    src: str,
    seen: dict[Any, int],
    now: datetime,
    base: Mapping[str, Any] | None,
) -> None:
    key = values.pop("key")
    if _dup(plan, seen, key, line, "key", f"deal key {key!r}"):
        return
    values["account_id"] = values.pop("account")
    if "stage" in values:
        values["status"] = deal_status(values["stage"], req.stage_words)
    old = ctx.existing.get(key)
    if old is None:
        row = {**_DEAL_DEFAULTS, **values}
        row.update(key=key, source=req.source, created_at=now, updated_at=now)
        plan.inserts.append(row)
        return
    changes = {f: v for f, v in values.items() if v is not None and old.values.get(f) != v}
    _update(plan, old.id, changes, now)


def _nps_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    src: str,
    seen: dict[Any, int],
    now: datetime,
    base: Mapping[str, Any] | None,
) -> None:
    row = {
        "account_id": values["account"],
        "score": values["score"],
        "date": values["date"],
        "contact": values.get("contact") or None,
        "comment": values.get("comment") or None,
        "source": values.get("source") or req.source,
        "created_at": now,
    }
    sig = nps_signature(row)
    if sig in seen:
        plan.unchanged += 1
        return
    seen[sig] = line
    plan.inserts.append(row)


NpsSignature = tuple[int, date, int, str | None, str | None]


def nps_signature(row: Mapping[str, Any]) -> NpsSignature:
    """What makes two responses the same one: account, date, score, contact, comment."""
    return (row["account_id"], row["date"], row["score"], row["contact"], row["comment"])


def date_range(plan: ImportPlan) -> tuple[date, date] | None:
    """First and last date of the rows (touches, NPS answers) a plan would insert, to load
    only the existing rows that could be the same."""
    if not plan.inserts:
        return None
    dates = [t["date"] for t in plan.inserts]
    return min(dates), max(dates)


TouchSignature = tuple[int, str, date, str | None, str | None]


def touch_signature(row: Mapping[str, Any]) -> TouchSignature:
    """What makes two touches the same one: account, kind, date, rep and note."""
    return (row["account_id"], row["kind"], row["date"], row["rep"], row["note"])


def drop_existing(
    plan: ImportPlan, existing: set[Any], signature: Callable[[Mapping[str, Any]], Any]
) -> None:
    """Remove from ``plan.inserts`` the rows already in the database (the same
    ``signature``: :func:`touch_signature`, :func:`nps_signature`); they count as
    unchanged, so importing the same export twice adds nothing."""
    if not existing:
        return
    keep = []
    for r in plan.inserts:
        if signature(r) in existing:
            plan.unchanged += 1
        else:
            keep.append(r)
    plan.inserts = keep
