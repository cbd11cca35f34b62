"""Import planning, the reading half: the rows of a CSV file + a column mapping + constants
→ one dict of values per row (numbers, dates, countries, reps and accounts resolved), and
every cell that cannot be read, with its row and field. :mod:`khm.core.importer` then
decides insert / update / unchanged; :mod:`khm.services.importing` runs both.

Every value is read by :mod:`khm.io.parse`, the same functions ``account add/edit``,
``rep add/edit`` and ``log`` call: a value is accepted or refused the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from khm.core.deals import StageWords
from khm.core.importer import (
    CUSTOM_PREFIX,
    ENTITIES,
    KEY_FIELDS,
    KEY_MAX,
    TEXT_PREFIX,
    FieldSpec,
    ImportPlan,
    ImportSpec,
    Row,
    RowIssue,
    add_bad,
    field_spec,
    known_fields_text,
)
from khm.errors import InputError, UsageError
from khm.io.parse import NON_NEGATIVE as _NON_NEGATIVE
from khm.io.parse import (
    AmbiguousDateError,
    CellError,
    check_text,
    decide_date_order,
    decide_decimal,
    handle_from,
    is_valid_handle,
    normalise_header,
    null_tokens,
    parse_bool,
    parse_country,
    parse_date,
    parse_email,
    parse_handle,
    parse_number,
    parse_role,
    split_list,
    stored_number,
    unquote_formula,
)

_TEXT_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


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
    nulls: Sequence[str] = (),
    default_nulls: bool = True,
    strict_countries: bool = False,
    latest: date | None = None,
    won: Sequence[str] = (),
    lost: Sequence[str] = (),
) -> ImportSpec:
    """Build and check an :class:`ImportSpec` from the raw ``--map``/``--set``/... options."""
    if entity not in ENTITIES:
        raise UsageError(f"unknown import target {entity!r} (use {', '.join(ENTITIES)})")

    def check_field(name: str, option: str) -> str:
        if name.startswith(TEXT_PREFIX):  # text.Sector and text.sector: the same field
            name = TEXT_PREFIX + name[len(TEXT_PREFIX) :].strip().lower()
            if entity == "accounts" and not _TEXT_NAME.match(name[len(TEXT_PREFIX) :]):
                raise UsageError(
                    f"{option}: {name!r}: a text field's name is a word of a-z, 0-9 and _ "
                    "(e.g. text.sector)"
                )
        if field_spec(entity, name) is None:
            raise UsageError(
                f"{option}: unknown {entity} field {name!r} (known: {known_fields_text(entity)})"
            )
        return name

    m: dict[str, str] = {}
    for item in maps:
        f, col = _parse_assignment(item, "--map")
        f = check_field(f, "--map")
        if f in m:
            raise UsageError(f"--map: field {f!r} is mapped twice ({m[f]!r} and {col!r})")
        m[f] = col.strip()
    c: dict[str, str] = {}
    for item in sets:
        f, val = _parse_assignment(item, "--set")
        f = check_field(f, "--set")
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
            sc[f] = parse_number(val.strip())
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
    for token in nulls:
        if not token.strip():
            raise UsageError("--null: the token is empty (empty cells are always empty)")
    if (won or lost) and entity != "deals":
        raise UsageError("--won / --lost: only for deals")
    try:
        words = StageWords.with_extra(won, lost)
    except ValueError as exc:
        raise UsageError(f"--won / --lost: {exc}") from None
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
        nulls=null_tokens(nulls, defaults=default_nulls),
        strict_countries=strict_countries,
        latest=latest,
        stage_words=words,
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
        if target is None and spec.entity == "accounts" and n[:5] in ("text.", "text_"):
            name = n[5:]  # khm's own export: text.sector
            target = TEXT_PREFIX + name if _TEXT_NAME.match(name) else None
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


@dataclass
class Lookups:
    """What the cells of a file are resolved against: reps, accounts, activity kinds."""

    reps: RepIndex = field(default_factory=RepIndex)
    accounts: AccountIndex = field(default_factory=AccountIndex)
    kinds: tuple[str, ...] = ()


# --------------------------------------------------------------------------- converters

Converter = Callable[[str], Any]


def _text(max_len: int | None) -> Converter:
    def conv(raw: str) -> str:
        v = unquote_formula(check_text(raw.strip()))  # --set, --value-map: the file's rule
        if max_len is not None and len(v) > max_len:
            raise CellError(too_long(len(v), max_len))
        return v

    return conv


def too_long(n: int, max_len: int) -> str:
    return f"too long ({n} characters, at most {max_len})"


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


def _number(name: str, decimal: str, scale: float | None) -> Converter:
    """:func:`khm.io.parse.parse_field_number` with the column's decimal separator, and
    ``float`` first for the usual ``1234.5`` (the same value, without the parser)."""
    plain = decimal == "."
    nonneg = name in _NON_NEGATIVE
    custom = name.startswith(CUSTOM_PREFIX)

    def conv(raw: str) -> float | int:
        v: float | None = None
        if plain and "_" not in raw:
            try:
                v = float(raw)
            except ValueError:
                v = None
        if v is None or v - v != 0:  # not plain, or NaN / infinity: the parser decides
            v = parse_number(raw, decimal)
        if nonneg and v < 0:
            raise CellError(f"{raw.strip()!r} must not be negative")
        if scale is not None:
            v *= scale
        return stored_number(v) if custom else v

    return conv


def _date(
    order: str | None, fmt: str | None, latest: date | None = None, entity: str = "touches"
) -> Converter:
    hint = (
        "touches record what happened: --allow-future imports booked meetings"
        if entity == "touches"
        else "an answer cannot come from the future"
    )

    def conv(raw: str) -> date:
        try:
            day = parse_date(raw.strip(), order, fmt)
        except AmbiguousDateError as exc:
            raise CellError(
                f"{exc}, or give --date-format %d/%m/%Y or %m/%d/%Y (no value in the column tells)"
            ) from None
        if latest is not None and day > latest:
            raise CellError(
                f"{day.isoformat()} is in the future (today is {latest.isoformat()}); {hint}"
            )
        return day

    return conv


def _score(raw: str) -> int:
    """An NPS answer: a whole number 0-10 (``7``, ``7.0``, `` 10 ``)."""
    from khm.core.nps import check_score

    text = raw.strip()
    try:
        v = float(text.replace(",", "."))
    except ValueError:
        raise CellError(f"{text!r} is not a whole number 0-10") from None
    if not v.is_integer():
        raise CellError(f"{text!r} is not a whole number 0-10")
    try:
        return check_score(int(v))
    except ValueError as exc:
        raise CellError(str(exc)) from None


def _country(strict: bool) -> Converter:
    """:func:`parse_country`; unless ``strict``, a name that does not map is a warning
    and the account is imported without a country: ``(None, warning)``."""
    if strict:
        return parse_country

    def conv(raw: str) -> tuple[str | None, str | None]:
        try:
            return parse_country(raw)
        except CellError as exc:
            return None, f"{exc}; imported without a country (--strict-countries refuses the row)"

    return conv


def _column_values(
    rows: Sequence[tuple[int, list[str]]],
    idx: int,
    nulls: frozenset[str],
    marks: str = "",
) -> Iterator[str]:
    """The non-empty cells of one column, lazily (a decision may need only a sample);
    with ``marks``, only the cells holding one of those characters (a decimal separator:
    the one decision a number column needs). A cell longer than the longest null token
    is never one: most skip the casefold."""
    null_len = max(map(len, nulls), default=0)
    if marks:
        a, b = marks
        cells = [v for _, r in rows if idx < len(r) and (a in (v := r[idx]) or b in v)]
    else:
        cells = [r[idx] for _, r in rows if idx < len(r)]
    for v in cells:
        s = v.strip()
        if s and (len(s) > null_len or s.casefold() not in nulls):
            yield v


def null_leads(nulls: Iterable[str]) -> frozenset[str]:
    """The ASCII characters a cell may begin with and still read as one of the (casefolded)
    null tokens ``nulls``, blank cells included: each token's first letter in either case,
    and ASCII white space. A cell that begins with another ASCII character is no null
    token (an ASCII character casefolds to ASCII, so to a token it begins); one that
    begins with a non-ASCII character is looked up."""
    firsts = {t[0] for t in nulls if t and t[0].isascii()}
    space = {c for c in map(chr, range(128)) if c.isspace()}  # what str.strip() removes
    return frozenset(firsts | {c.upper() for c in firsts} | space)


def _converter(
    spec: FieldSpec,
    req: ImportSpec,
    look: Lookups,
    column: Iterable[str],
    decimal_hint: str,
) -> Converter:
    k = spec.kind
    if k == "text":
        return _text(spec.max_len)
    if k == "number":
        dec = req.decimal or decide_decimal(column, decimal_hint)
        return _number(spec.name, dec, req.scale.get(spec.name))
    if k == "bool":
        return parse_bool
    if k == "list":
        return split_list
    if k == "country":
        return _country(req.strict_countries)
    if k == "date":
        order = None if req.date_format else decide_date_order(column)
        latest = req.latest if spec.name == "date" and req.entity in ("touches", "nps") else None
        return _date(order, req.date_format, latest, req.entity)
    if k == "email":
        return parse_email
    if k == "role":
        return parse_role
    if k == "rep":
        return look.reps.resolve
    if k == "account":
        return look.accounts.resolve
    if k == "kind":
        return _kind(look.kinds)
    if k == "score":
        return _score
    raise AssertionError(f"unknown field kind {k}")  # pragma: no cover


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
    elif entity == "deals":
        for f in ("key", "account", "stage"):
            if f not in have:
                raise InputError(
                    f"{path}:1: no column for the deal {f}: map one with --map {f}=COLUMN"
                )
    elif entity == "nps":
        for f in ("account", "score", "date"):
            if f not in have:
                raise InputError(
                    f"{path}:1: no column for the response {f}: map one with --map {f}=COLUMN"
                )
    else:
        for f in ("account", "date", "kind"):
            if f not in have:
                hint = " or --set kind=KIND" if f == "kind" else ""
                raise InputError(
                    f"{path}:1: no column for the touch {f}: map one with --map {f}=COLUMN{hint}"
                )


# --------------------------------------------------------------------------- reading rows

#: the cells of one column whose reading is kept, by their raw text: a column of
#: repeated values (countries, product lines, owners, dates, kinds) is read once per
#: distinct value; every converter is a pure function of the cell
MEMO_CELLS = 1 << 16
#: kinds whose cells rarely repeat (amounts, e-mail addresses): read every time, the memo
#: would only cost a lookup per cell
_UNIQUE_KINDS = frozenset({"number", "email"})
_MISS = object()  # not in the memo yet
_EMPTY = object()  # a cell read as empty (blank or a null token)


def read_cells(
    plan: ImportPlan,
    req: ImportSpec,
    header: Sequence[str],
    rows: Sequence[tuple[int, list[str]]],
    look: Lookups,
    *,
    path: str,
    decimal_hint: str = ".",
    progress: Callable[[int], None] | None = None,
) -> tuple[ColumnMapping, Iterator[Row]]:
    """The column mapping, and the good rows as values (lazily, in file order). A bad row
    (a cell that cannot be read, a missing key) goes to ``plan`` with every problem; a
    mapping or a ``--set`` value that cannot work raises before any row is read."""
    mapping = resolve_columns(req, header, path)
    entity = req.entity
    specs = {f: field_spec(entity, f) for f in [*mapping.fields, *req.constants]}
    _check_required(req, mapping, path)

    # Constants: parsed once; a bad constant is a command-line error.
    const_values: dict[str, Any] = {}
    convs: list[tuple[str, int, Converter, dict[str, str] | None, dict[str, Any] | None, bool]]
    convs = []
    text_fields: list[tuple[str, int, int]] = []  # plain text: inlined in the row loop
    for f, idx in mapping.fields.items():
        fs = specs[f]
        assert fs is not None
        vmap = dict(req.value_maps.get(f, {})) or None
        column: Iterable[str] = ()
        if fs.kind in ("number", "date"):  # decided per column from its values
            # a number column decides its decimal separator from the cells showing one
            marks = ",." if fs.kind == "number" and vmap is None else ""
            column = _column_values(rows, idx, req.nulls, marks)
            if vmap:
                column = (vmap.get(v.strip().casefold(), v) for v in column)
        if fs.kind == "text" and vmap is None:
            text_fields.append((f, idx, fs.max_len or 0))
            continue
        conv = _converter(fs, req, look, column, decimal_hint)
        memo = None if fs.kind in _UNIQUE_KINDS else {}
        convs.append((f, idx, conv, vmap, memo, fs.kind == "list"))
    for f, raw in req.constants.items():
        fs = specs[f]
        assert fs is not None
        raw2 = req.value_maps.get(f, {}).get(raw.strip().casefold(), raw)
        if raw2.strip().casefold() in req.nulls:
            const_values[f] = None
            continue
        try:
            if fs.kind == "country":  # a command-line value: refused, never a warning
                value = parse_country(raw2)
            else:
                value = _converter(fs, req, look, [raw2], decimal_hint)(raw2)
        except CellError as exc:
            raise UsageError(f"--set {f}={raw}: {exc}") from None
        if type(value) is tuple:  # country: (code, warning)
            value, warning = value
            if warning:
                plan.warnings.append(RowIssue(0, f, f"--set {f}={raw}: {warning}"))
        const_values[f] = value
    const_clean = {k: v for k, v in const_values.items() if v is not None}
    has_tuple = any(specs[f] is not None and specs[f].kind == "country" for f, *_ in convs)  # type: ignore[union-attr]
    custom_fields = tuple(f for f in specs if f.startswith(CUSTOM_PREFIX))
    named_text = tuple(f for f in specs if f.startswith(TEXT_PREFIX))
    finish = {
        "accounts": _account_key,
        "reps": _rep_key,
        "touches": _touch_required,
        "deals": _deal_required,
        "nps": _nps_required,
    }[entity]
    width = len(header)
    nulls = req.nulls
    # the longest null token: a longer cell is never one (most cells skip the casefold)
    null_len = max(map(len, nulls))
    lead = null_leads(nulls)

    def good_rows() -> Iterator[Row]:
        warned: set[tuple[str, str]] = set()
        step = max(1, len(rows) // 200)
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
                    add_bad(plan, line, [RowIssue(line, "(row)", problem)])
                    continue
            errors: list[RowIssue] | None = None
            values: dict[str, Any] = const_clean.copy()
            for f, idx, max_len in text_fields:
                t = rec[idx].strip()
                if t and ((n_t := len(t)) > null_len or t.casefold() not in nulls):
                    if t[0] == "'":
                        t = unquote_formula(t)
                        n_t = len(t)
                    if max_len and n_t > max_len:
                        if errors is None:
                            errors = []
                        errors.append(RowIssue(line, f, too_long(n_t, max_len)))
                    values[f] = t
            for f, idx, conv, vmap, memo, is_list in convs:
                raw = rec[idx]
                if memo is None or (v := memo.get(raw, _MISS)) is _MISS:
                    v = _EMPTY
                    cell = vmap.get(raw.strip().casefold(), raw) if vmap else raw
                    if cell and not (
                        ((c0 := cell[0]) in lead or not c0.isascii())
                        and cell.strip().casefold() in nulls
                    ):
                        try:
                            v = conv(cell)
                        except CellError as exc:
                            if errors is None:
                                errors = []
                            errors.append(RowIssue(line, f, str(exc)))
                            continue
                    if memo is not None and len(memo) < MEMO_CELLS:
                        memo[raw] = v
                if v is _EMPTY:
                    continue
                if has_tuple and type(v) is tuple:  # country: (code or None, warning)
                    v, warning = v
                    if warning and (f, warning) not in warned:
                        warned.add((f, warning))
                        plan.warnings.append(RowIssue(line, f, warning))
                    if v is None:
                        continue
                elif is_list:
                    v = v.copy()  # the memo's list is never a row's own
                values[f] = v
            if errors:
                add_bad(plan, line, errors)
                continue
            if custom_fields:
                custom = {
                    f[len(CUSTOM_PREFIX) :]: values.pop(f) for f in custom_fields if f in values
                }
                if custom:
                    values["custom"] = custom
            if named_text:
                text = {f[len(TEXT_PREFIX) :]: values.pop(f) for f in named_text if f in values}
                if text:
                    values["text"] = text
            src = finish(req, values, line)
            if type(src) is not str:
                add_bad(plan, line, src)
                continue
            yield line, values, src

    return mapping, good_rows()


def _account_key(req: ImportSpec, values: dict[str, Any], line: int) -> str | list[RowIssue]:
    """``values["key"]`` set from the key field; the field's name, or the problem."""
    src = req.key or "key"
    key = values.get(src)
    if not key:
        return [RowIssue(line, src, "missing (the account key is required)")]
    if len(key) > KEY_MAX:
        return [RowIssue(line, src, too_long(len(key), KEY_MAX))]
    values["key"] = key
    return src


def _rep_key(req: ImportSpec, values: dict[str, Any], line: int) -> str | list[RowIssue]:
    """``values["handle"]``: the handle column read by :func:`parse_handle` (as ``rep add``
    reads it), else made from the name or the e-mail address."""
    src = req.key or "handle"
    raw: str | None = values.get(src)
    if src == "handle" and not raw:
        src = "name" if values.get("name") else "email"
        raw = values.get(src)
        if raw and "handle" in req.maps:
            return [RowIssue(line, "handle", "missing (the rep handle is required)")]
    if not raw:
        return [RowIssue(line, src, "missing (needed to make the rep handle)")]
    if src == "handle":
        try:
            handle = parse_handle(raw)
        except CellError as exc:
            return [RowIssue(line, src, str(exc))]
    else:
        handle = handle_from(raw)
        if not is_valid_handle(handle):
            problem = f"cannot make a handle from {raw!r} (use a-z, 0-9, . _ -)"
            return [RowIssue(line, src, problem)]
    values["handle"] = handle
    return src


def _touch_required(req: ImportSpec, values: dict[str, Any], line: int) -> str | list[RowIssue]:
    missing = [
        RowIssue(line, f, "missing (required)")
        for f in ("account", "date", "kind")
        if values.get(f) is None
    ]
    return missing or ""


def _deal_required(req: ImportSpec, values: dict[str, Any], line: int) -> str | list[RowIssue]:
    missing = [
        RowIssue(line, f, "missing (required)")
        for f in ("key", "account", "stage")
        if not values.get(f)
    ]
    return missing or "key"


def _nps_required(req: ImportSpec, values: dict[str, Any], line: int) -> str | list[RowIssue]:
    missing = [
        RowIssue(line, f, "missing (required)")
        for f in ("account", "score", "date")
        if values.get(f) is None
    ]
    return missing or ""
