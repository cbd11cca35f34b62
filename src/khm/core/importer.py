"""Import planning: rows of a CSV file + a column mapping + constants + what the database
already holds → validated records to insert or update, and every problem with its row and
field. Pure: no database, no terminal, no clock (the caller passes ``now``).

The three entities and their fields:

* ``accounts`` (upsert by ``key``): key, name, country, product_lines, revenue, employees,
  owner, lifecycle_stage, archived, and ``custom.NAME`` for any other numeric field.
* ``reps`` (upsert by ``handle``): handle, name, email, role, capacity, active.
* ``touches`` (appended, de-duplicated on account, kind, date, rep, note): account, date,
  kind, rep, note, source.

An empty cell never overwrites: it leaves an existing value as it is (and gives the
default on insert). The caller decides what to write: nothing when any row is bad (the
default), or only the good rows (``--skip-bad``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from khm.errors import InputError, UsageError
from khm.io.parse import (
    CellError,
    decide_date_order,
    decide_decimal,
    handle_from,
    is_valid_handle,
    normalise_header,
    parse_bool,
    parse_country,
    parse_date,
    parse_number,
    split_list,
    unquote_formula,
)

ENTITIES: tuple[str, ...] = ("accounts", "reps", "touches")
ROLES: tuple[str, ...] = ("expand", "keep", "any")
CUSTOM_PREFIX = "custom."
MAX_ERRORS_PER_ROW = 10


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
    )
}
REP_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("handle", "text", 64, True, "unique handle (made from the name if missing)"),
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
FIELDS: dict[str, dict[str, FieldSpec]] = {
    "accounts": ACCOUNT_FIELDS,
    "reps": REP_FIELDS,
    "touches": TOUCH_FIELDS,
}
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("key", "name"),
    "reps": ("handle", "name", "email"),
    "touches": (),
}


def field_spec(entity: str, name: str) -> FieldSpec | None:
    specs = FIELDS[entity]
    if name in specs:
        return specs[name]
    if entity == "accounts" and name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return FieldSpec(name, "number", None, False, "a custom numeric field")
    return None


def known_fields_text(entity: str) -> str:
    names = list(FIELDS[entity])
    if entity == "accounts":
        names.append("custom.NAME")
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


def _parse_assignment(text: str, option: str) -> tuple[str, str]:
    if "=" not in text:
        raise UsageError(f"{option} {text!r}: use FIELD=VALUE")
    k, v = text.split("=", 1)
    k = k.strip()
    if not k:
        raise UsageError(f"{option} {text!r}: the field name is empty")
    return k, v


def parse_spec(
    entity: str,
    *,
    maps: Sequence[str] = (),
    sets: Sequence[str] = (),
    key: str | None = None,
    value_maps: Sequence[str] = (),
    scales: Sequence[str] = (),
    date_format: str | None = None,
    decimal: str | None = None,
    source: str = "import",
) -> ImportSpec:
    """Build and check an :class:`ImportSpec` from the raw ``--map``/``--set``/... options."""
    if entity not in ENTITIES:
        raise UsageError(f"unknown import target {entity!r} (use {', '.join(ENTITIES)})")

    def check_field(name: str, option: str) -> str:
        if field_spec(entity, name) is None:
            raise UsageError(
                f"{option}: unknown {entity} field {name!r} (known: {known_fields_text(entity)})"
            )
        return name

    m: dict[str, str] = {}
    for item in maps:
        f, col = _parse_assignment(item, "--map")
        check_field(f, "--map")
        if f in m:
            raise UsageError(f"--map: field {f!r} is mapped twice ({m[f]!r} and {col!r})")
        m[f] = col.strip()
    c: dict[str, str] = {}
    for item in sets:
        f, val = _parse_assignment(item, "--set")
        check_field(f, "--set")
        if f in m:
            raise UsageError(f"--set {f}: the field is also mapped to column {m[f]!r}")
        c[f] = val
    vm: dict[str, dict[str, str]] = {}
    for item in value_maps:
        if ":" not in item.split("=", 1)[0]:
            raise UsageError(f"--value-map {item!r}: use FIELD:VALUE=NEW, e.g. kind:Won=visit")
        f, rest = item.split(":", 1)
        f = f.strip()
        check_field(f, "--value-map")
        frm, to = _parse_assignment(rest, "--value-map")
        vm.setdefault(f, {})[frm.strip().casefold()] = to.strip()
    sc: dict[str, float] = {}
    for item in scales:
        f, val = _parse_assignment(item, "--scale")
        fs = field_spec(entity, check_field(f, "--scale"))
        if fs is None or fs.kind != "number":
            raise UsageError(f"--scale {f}: only numeric fields can be scaled")
        try:
            sc[f] = parse_number(val)
        except CellError:
            raise UsageError(f"--scale {f}: {val!r} is not a number") from None
    if key is not None:
        allowed = KEY_FIELDS[entity]
        if key not in allowed:
            raise UsageError(
                f"--key: {entity} are keyed by {' or '.join(allowed) if allowed else 'nothing'}"
                f", not {key!r}"
            )
    if decimal is not None and decimal not in (".", ","):
        raise UsageError(f"--decimal: {decimal!r} must be '.' or ','")
    return ImportSpec(
        entity=entity,
        maps=m,
        constants=c,
        key=key,
        value_maps=vm,
        scale=sc,
        date_format=date_format,
        decimal=decimal,
        source=source,
    )


@dataclass(frozen=True)
class ColumnMapping:
    fields: dict[str, int]  # field -> column index
    auto: tuple[str, ...]  # fields mapped by header name
    ignored: tuple[str, ...]  # header names mapped to nothing


def resolve_columns(spec: ImportSpec, header: Sequence[str], path: str) -> ColumnMapping:
    """``--map`` columns must exist in the file; other columns map by header name."""
    index = {h.strip().casefold(): i for i, h in enumerate(header) if h.strip()}
    norm = {normalise_header(h): i for i, h in enumerate(header) if h.strip()}
    fields: dict[str, int] = {}
    for f, col in spec.maps.items():
        i = index.get(col.strip().casefold())
        if i is None:
            i = norm.get(normalise_header(col))
        if i is None:
            cols = ", ".join(repr(h) for h in header if h.strip())
            raise InputError(
                f"{path}:1: --map {f}={col}: no column {col!r} in the file (columns: {cols})"
            )
        fields[f] = i
    auto: list[str] = []
    used = set(fields.values())
    for i, h in enumerate(header):
        if i in used or not h.strip():
            continue
        n = normalise_header(h)
        spec_f = field_spec(spec.entity, n)
        target = n if spec_f is not None else None
        if target is None and spec.entity == "accounts" and n.startswith("custom_"):
            target = CUSTOM_PREFIX + n[len("custom_") :]
        if target and target not in fields and target not in spec.constants:
            fields[target] = i
            auto.append(target)
            used.add(i)
    ignored = tuple(h for i, h in enumerate(header) if i not in used and h.strip())
    return ColumnMapping(fields=fields, auto=tuple(auto), ignored=ignored)


# --------------------------------------------------------------------------- what exists


@dataclass
class RepIndex:
    """Rep handles, and names → handles, to resolve ``owner`` and ``rep`` cells."""

    handles: set[str] = field(default_factory=set)
    by_name: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, reps: Sequence[tuple[str, str]]) -> RepIndex:
        idx = cls()
        for handle, name in reps:
            idx.add(handle, name)
        return idx

    def add(self, handle: str, name: str) -> None:
        self.handles.add(handle)
        if name:
            lst = self.by_name.setdefault(name.strip().casefold(), [])
            if handle not in lst:
                lst.append(handle)

    def resolve(self, text: str) -> str:
        t = text.strip()
        if t in self.handles:
            return t
        low = t.lower()
        if low in self.handles:
            return low
        named = self.by_name.get(t.casefold(), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise CellError(f"rep name {t!r} is ambiguous (handles: {', '.join(named)})")
        h = handle_from(t)
        if h in self.handles:
            return h
        raise CellError(f"unknown rep {t!r} (no rep with that handle or name; import reps first)")


@dataclass
class AccountIndex:
    """Account keys → ids (and exact names → ids) to resolve ``account`` cells of touches."""

    by_key: dict[str, int] = field(default_factory=dict)
    by_key_fold: dict[str, list[int]] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    key_of: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, accounts: Sequence[tuple[int, str, str]]) -> AccountIndex:
        idx = cls()
        for aid, key, name in accounts:
            idx.by_key[key] = aid
            idx.key_of[aid] = key
            idx.by_key_fold.setdefault(key.casefold(), []).append(aid)
            if name:
                idx.by_name.setdefault(name.strip().casefold(), []).append(aid)
        return idx

    def resolve(self, text: str) -> int:
        t = text.strip()
        if t in self.by_key:
            return self.by_key[t]
        for table in (self.by_key_fold, self.by_name):
            ids = table.get(t.casefold(), [])
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                keys = ", ".join(sorted(self.key_of[i] for i in ids))
                raise CellError(f"account {t!r} is ambiguous (keys: {keys}); use the key")
        raise CellError(f"unknown account {t!r} (no account with that key or name)")


@dataclass(frozen=True)
class Existing:
    """One row already in the database: its id and the importable values."""

    id: int
    values: Mapping[str, Any]


@dataclass
class ImportContext:
    """What the database holds, as plain data."""

    existing: dict[str, Existing] = field(default_factory=dict)  # key/handle -> row
    reps: RepIndex = field(default_factory=RepIndex)
    accounts: AccountIndex = field(default_factory=AccountIndex)
    kinds: tuple[str, ...] = ()
    touch_signatures: set[tuple[int, str, date, str | None, str | None]] = field(
        default_factory=set
    )
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
    #: Insert columns that hold the same value in every insert (defaults, ``--set``
    #: values, timestamps): a bulk writer may send them once instead of per row.
    insert_constants: frozenset[str] = frozenset()

    @property
    def inserted(self) -> int:
        return len(self.inserts)

    @property
    def updated(self) -> int:
        return len(self.updates)

    @property
    def bad(self) -> int:
        return len(self.bad_rows)


# --------------------------------------------------------------------------- converters

Converter = Callable[[str], Any]


def _text(max_len: int | None) -> Converter:
    def conv(raw: str) -> str:
        v = unquote_formula(raw.strip())
        if max_len is not None and len(v) > max_len:
            raise CellError(f"too long ({len(v)} characters, at most {max_len})")
        return v

    return conv


def _email(raw: str) -> str:
    v = raw.strip()
    local, at, domain = v.partition("@")
    if not at or not local or "." not in domain or " " in v:
        raise CellError(f"{v!r} is not an e-mail address")
    if len(v) > 320:
        raise CellError("too long for an e-mail address")
    return v


def _role(raw: str) -> str:
    v = raw.strip().lower()
    if v not in ROLES:
        raise CellError(f"role {raw.strip()!r} is not one of {', '.join(ROLES)}")
    return v


def _kind(kinds: tuple[str, ...]) -> Converter:
    known = set(kinds)

    def conv(raw: str) -> str:
        v = raw.strip().lower()
        if v not in known:
            raise CellError(
                f"unknown activity kind {raw.strip()!r} (the method's kinds: "
                f"{', '.join(kinds)}; map values with --value-map kind:{raw.strip()}=KIND)"
            )
        return v

    return conv


def _number(decimal: str, scale: float | None, nonneg: bool) -> Converter:
    plain = decimal == "."

    def conv(raw: str) -> float:
        v: float | None = None
        if plain and "_" not in raw:
            try:  # the usual "1234.5": no parser needed
                v = float(raw)
            except ValueError:
                v = None
        if v is None or v - v != 0:  # not plain, or NaN / infinity: the parser decides
            v = parse_number(raw, decimal)
        if nonneg and v < 0:
            raise CellError(f"{raw.strip()!r} is negative")
        return v * scale if scale is not None else v

    return conv


def _column_values(rows: Sequence[tuple[int, list[str]]], idx: int) -> Iterator[str]:
    """The non-empty cells of one column, lazily (a decision may need only a sample)."""
    return (r[idx] for _, r in rows if idx < len(r) and r[idx].strip())


def _converter(
    spec: FieldSpec,
    req: ImportSpec,
    ctx: ImportContext,
    column: Iterable[str],
    decimal_hint: str,
) -> Converter:
    k = spec.kind
    if k == "text":
        return _text(spec.max_len)
    if k == "number":
        dec = req.decimal or decide_decimal(column, decimal_hint)
        nonneg = spec.name in ("employees", "capacity")
        return _number(dec, req.scale.get(spec.name), nonneg)
    if k == "bool":
        return parse_bool
    if k == "list":
        return split_list
    if k == "country":
        return parse_country
    if k == "date":
        order = None if req.date_format else decide_date_order(column)
        fmt = req.date_format

        def conv_date(raw: str) -> date:
            return parse_date(raw.strip(), order, fmt)

        return conv_date
    if k == "email":
        return _email
    if k == "role":
        return _role
    if k == "rep":
        return ctx.reps.resolve
    if k == "account":
        return ctx.accounts.resolve
    if k == "kind":
        return _kind(ctx.kinds)
    raise AssertionError(f"unknown field kind {k}")  # pragma: no cover


# --------------------------------------------------------------------------- planning


_ACCOUNT_DEFAULTS: dict[str, Any] = {
    "name": "",
    "country": None,
    "product_lines": [],
    "revenue": None,
    "employees": None,
    "custom": {},
    "owner": None,
    "lifecycle_stage": None,
    "archived": False,
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


def plan_import(
    req: ImportSpec,
    header: Sequence[str],
    rows: Sequence[tuple[int, list[str]]],
    ctx: ImportContext,
    *,
    path: str,
    now: datetime,
    decimal_hint: str = ".",
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Validate every row and decide, per row, insert / update / unchanged / bad."""
    mapping = resolve_columns(req, header, path)
    entity = req.entity
    specs = {f: field_spec(entity, f) for f in [*mapping.fields, *req.constants]}
    _check_required(req, mapping, path)
    width = len(header)

    # Constants: parsed once; a bad constant is a command-line error.
    const_values: dict[str, Any] = {}
    const_warnings: list[RowIssue] = []
    convs: list[tuple[str, int, Converter, dict[str, str] | None]] = []
    text_fields: list[tuple[str, int, int]] = []  # plain text: inlined in the row loop
    for f, idx in mapping.fields.items():
        fs = specs[f]
        assert fs is not None
        vmap = dict(req.value_maps.get(f, {})) or None
        column: Iterable[str] = ()
        if fs.kind in ("number", "date"):  # decided per column from its values
            column = _column_values(rows, idx)
            if vmap:
                column = (vmap.get(v.strip().casefold(), v) for v in column)
        if fs.kind == "text" and vmap is None:
            text_fields.append((f, idx, fs.max_len or 0))
            continue
        convs.append((f, idx, _converter(fs, req, ctx, column, decimal_hint), vmap))
    for f, raw in req.constants.items():
        fs = specs[f]
        assert fs is not None
        raw2 = req.value_maps.get(f, {}).get(raw.strip().casefold(), raw)
        if not raw2.strip():
            const_values[f] = None
            continue
        try:
            value = _converter(fs, req, ctx, [raw2], decimal_hint)(raw2)
        except CellError as exc:
            raise UsageError(f"--set {f}={raw}: {exc}") from None
        if type(value) is tuple:  # country: (code, warning)
            value, warning = value
            if warning:
                const_warnings.append(RowIssue(0, f, f"--set {f}={raw}: {warning}"))
        const_values[f] = value

    plan = ImportPlan(entity=entity, rows=len(rows), warnings=const_warnings)
    plan.insert_constants = _insert_constants(entity, set(mapping.fields))
    seen_keys: dict[Any, int] = {}
    warned: set[tuple[str, str]] = set()
    custom_fields = tuple(f for f in specs if f.startswith(CUSTOM_PREFIX))
    finish: Callable[..., None]
    base: dict[str, Any] | None = None
    if entity == "accounts":
        base = {**_ACCOUNT_DEFAULTS, **_ACCOUNT_INSERT_FIXED, "created_at": now, "updated_at": now}
        finish = _account_row
    elif entity == "reps":
        finish = _rep_row
    else:
        finish = _touch_row
    step = max(1, len(rows) // 200)
    has_tuple = any(specs[f] is not None and specs[f].kind == "country" for f, *_ in convs)  # type: ignore[union-attr]
    const_clean = {k: v for k, v in const_values.items() if v is not None}
    for n, (line, rec) in enumerate(rows, start=1):
        if progress is not None and n % step == 0:
            progress(step)
        if len(rec) != width:
            extra = rec[width:]
            if len(rec) < width or any(c.strip() for c in extra):
                problem = (
                    f"has {len(rec)} cells but the header has {width} columns "
                    "(an unquoted separator in a value?)"
                )
                _bad(plan, line, [RowIssue(line, "(row)", problem)])
                continue
        errors: list[RowIssue] | None = None
        values: dict[str, Any] = const_clean.copy()
        for f, idx, max_len in text_fields:
            t = rec[idx].strip()
            if t:
                if t[0] == "'":
                    t = unquote_formula(t)
                if max_len and len(t) > max_len:
                    if errors is None:
                        errors = []
                    errors.append(
                        RowIssue(line, f, f"too long ({len(t)} characters, at most {max_len})")
                    )
                values[f] = t
        for f, idx, conv, vmap in convs:
            raw = rec[idx]
            if vmap:
                raw = vmap.get(raw.strip().casefold(), raw)
            if not raw or raw.isspace():
                continue
            try:
                v = conv(raw)
            except CellError as exc:
                if errors is None:
                    errors = []
                errors.append(RowIssue(line, f, str(exc)))
                continue
            if has_tuple and type(v) is tuple:  # country: (code, warning)
                v, warning = v
                if warning and (f, warning) not in warned:
                    warned.add((f, warning))
                    plan.warnings.append(RowIssue(line, f, warning))
            values[f] = v
        if errors:
            _bad(plan, line, errors)
            continue
        # positional: a plain call per row (a partial with keywords costs a dict per row)
        finish(plan, req, ctx, values, line, seen_keys, now, custom_fields, base)
    return plan


_TOUCH_SOURCES = {
    "account_id": "account",
    "rep": "rep",
    "kind": "kind",
    "date": "date",
    "note": "note",
    "source": "source",
}


def _insert_constants(entity: str, mapped: set[str]) -> frozenset[str]:
    """The insert columns no file column feeds: every insert gets the same value there."""
    if entity == "accounts":
        cols = {*_ACCOUNT_DEFAULTS, *_ACCOUNT_INSERT_FIXED, "created_at", "updated_at"}
        varying = {"key", "name"} | {f for f in mapped if not f.startswith(CUSTOM_PREFIX)}
        if any(f.startswith(CUSTOM_PREFIX) for f in mapped):
            varying.add("custom")
        return frozenset(cols - varying)
    if entity == "reps":
        cols = {*_REP_DEFAULTS, "capacity", "created_at", "updated_at"}
        return frozenset(cols - mapped - {"handle", "name"})
    return frozenset({"created_at"} | {c for c, f in _TOUCH_SOURCES.items() if f not in mapped})


def _bad(plan: ImportPlan, line: int, errors: list[RowIssue]) -> None:
    plan.bad_rows.append(line)
    plan.errors.extend(errors[:MAX_ERRORS_PER_ROW])


def _check_required(req: ImportSpec, mapping: ColumnMapping, path: str) -> None:
    have = set(mapping.fields) | set(req.constants)
    entity = req.entity
    if entity == "accounts":
        src = req.key or "key"
        if src not in have:
            hint = " or use --key name" if src == "key" and "name" in have else ""
            raise InputError(
                f"{path}:1: no column for the account {src}: map one with --map {src}=COLUMN{hint}"
            )
    elif entity == "reps":
        src = req.key or "handle"
        if src not in have and not (src == "handle" and ("name" in have or "email" in have)):
            raise InputError(
                f"{path}:1: no column for the rep {src}: map one with --map {src}=COLUMN "
                "(a handle is made from the name when only a name is given)"
            )
    else:
        for f in ("account", "date", "kind"):
            if f not in have:
                hint = " or --set kind=KIND" if f == "kind" else ""
                raise InputError(
                    f"{path}:1: no column for the touch {f}: map one with --map {f}=COLUMN{hint}"
                )


def _dup(
    plan: ImportPlan, seen: dict[Any, int], key: Any, line: int, field_name: str, label: str
) -> bool:
    first = seen.get(key)
    if first is not None:
        _bad(plan, line, [RowIssue(line, field_name, f"{label} repeats row {first}")])
        return True
    seen[key] = line
    return False


def _account_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    seen: dict[Any, int],
    now: datetime,
    custom_fields: tuple[str, ...] = (),
    base: Mapping[str, Any] | None = None,
) -> None:
    src = req.key or "key"
    key = values.get(src)
    if not key:
        _bad(plan, line, [RowIssue(line, src, "missing (the account key is required)")])
        return
    if len(key) > 200:
        _bad(plan, line, [RowIssue(line, src, "too long for a key (at most 200 characters)")])
        return
    folded = key.casefold()
    if folded in seen:
        _dup(plan, seen, folded, line, src, f"key {key!r}")
        return
    seen[folded] = line
    values.pop("key", None)
    custom: dict[str, Any] = {}
    if custom_fields:
        for f in custom_fields:
            if f in values:
                custom[f[len(CUSTOM_PREFIX) :]] = values.pop(f)
    old = ctx.existing.get(key) if ctx.existing else None
    if old is None:
        if base is None:
            base = {**_ACCOUNT_DEFAULTS, **_ACCOUNT_INSERT_FIXED}
            base = {**base, "created_at": now, "updated_at": now}
        # values hold importable fields only, never the fixed ones (type, tags, times)
        row = {**base, **values}
        if not row["name"]:
            row["name"] = key
        row["key"] = key
        row["custom"] = custom
        plan.inserts.append(row)
        return
    changes: dict[str, Any] = {}
    for f, v in values.items():
        if old.values.get(f) != v:
            changes[f] = v
    if custom:
        merged = dict(old.values.get("custom") or {})
        merged.update(custom)
        if merged != (old.values.get("custom") or {}):
            changes["custom"] = merged
    if changes:
        changes["updated_at"] = now
        plan.updates.append((old.id, changes))
    else:
        plan.unchanged += 1


def _rep_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    seen: dict[Any, int],
    now: datetime,
    custom_fields: tuple[str, ...] = (),
    base: Mapping[str, Any] | None = None,
) -> None:
    src = req.key or "handle"
    raw_handle: str | None = values.get(src)
    if src == "handle" and not raw_handle:
        src = "name" if values.get("name") else "email"
        raw_handle = values.get(src)
        if raw_handle and "handle" in req.maps:
            _bad(plan, line, [RowIssue(line, "handle", "missing (the rep handle is required)")])
            return
    if not raw_handle:
        _bad(plan, line, [RowIssue(line, src, "missing (needed to make the rep handle)")])
        return
    handle = (
        raw_handle if src == "handle" and is_valid_handle(raw_handle) else handle_from(raw_handle)
    )
    if not is_valid_handle(handle):
        _bad(
            plan,
            line,
            [
                RowIssue(
                    line, src, f"cannot make a handle from {raw_handle!r} (use a-z, 0-9, . _ -)"
                )
            ],
        )
        return
    if _dup(plan, seen, handle, line, src, f"handle {handle!r}"):
        return
    values.pop("handle", None)
    old = ctx.existing.get(handle)
    if old is None:
        row = dict(_REP_DEFAULTS)
        row["capacity"] = ctx.default_capacity
        row.update({k: v for k, v in values.items() if v is not None})
        if not row["name"]:
            row["name"] = raw_handle if src != "handle" else handle
        row.update(handle=handle, created_at=now, updated_at=now)
        plan.inserts.append(row)
        ctx.reps.add(handle, row["name"])
        return
    changes = {f: v for f, v in values.items() if v is not None and old.values.get(f) != v}
    if changes:
        changes["updated_at"] = now
        plan.updates.append((old.id, changes))
    else:
        plan.unchanged += 1


def _touch_row(
    plan: ImportPlan,
    req: ImportSpec,
    ctx: ImportContext,
    values: dict[str, Any],
    line: int,
    seen: dict[Any, int],
    now: datetime,
    custom_fields: tuple[str, ...] = (),
    base: Mapping[str, Any] | None = None,
) -> None:
    missing = [
        RowIssue(line, f, "missing (required)")
        for f in ("account", "date", "kind")
        if values.get(f) is None
    ]
    if missing:
        _bad(plan, line, missing)
        return
    note = values.get("note") or None
    sig = (values["account"], values["kind"], values["date"], values.get("rep"), note)
    if sig in ctx.touch_signatures or sig in seen:
        plan.unchanged += 1
        return
    seen[sig] = line
    plan.inserts.append(
        {
            "account_id": values["account"],
            "rep": values.get("rep"),
            "kind": values["kind"],
            "date": values["date"],
            "note": note,
            "source": values.get("source") or req.source,
            "created_at": now,
        }
    )


def touch_date_range(plan: ImportPlan) -> tuple[date, date] | None:
    """First and last date of the touches a plan would insert (to load only the existing
    touches that could be the same)."""
    if not plan.inserts:
        return None
    dates = [t["date"] for t in plan.inserts]
    return min(dates), max(dates)


def drop_existing_touches(
    plan: ImportPlan, existing: set[tuple[int, str, date, str | None, str | None]]
) -> None:
    """Remove from ``plan.inserts`` the touches already in the database (same account,
    kind, date, rep and note); they count as unchanged."""
    if not existing:
        return
    keep = []
    for t in plan.inserts:
        if (t["account_id"], t["kind"], t["date"], t["rep"], t["note"]) in existing:
            plan.unchanged += 1
        else:
            keep.append(t)
    plan.inserts = keep
