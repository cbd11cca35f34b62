"""Cell parsers for imported CSV files: numbers, dates, countries, booleans, lists, handles.

Every parser takes the raw text of one cell and returns a Python value, or raises
:class:`CellError` with a short problem description (the importer adds file, row and
field). Decisions that depend on a whole column (is ``,`` the decimal separator? is
``03/04/2026`` day-first?) are taken once per column by :func:`decide_decimal` and
:func:`decide_date_order`, then passed to the per-cell parsers.

Pure functions, no I/O; country lookups are cached because a column repeats few values.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from khm.core.constants import ROLES


class CellError(ValueError):
    """One cell cannot be read; the message says why (without the place)."""


class AmbiguousDateError(CellError):
    """``03/04/2026`` with nothing to say which number is the day."""


# --------------------------------------------------------------------------- numbers

_CURRENCY = r"(?:kr\.?|sek|nok|dkk|isk|eur|euro|usd|gbp|chf|€|\$|£|¥)"
_CURRENCY_START = re.compile(r"^" + _CURRENCY + r"\s*", re.IGNORECASE)
_CURRENCY_END = re.compile(r"\s*" + _CURRENCY + r"$", re.IGNORECASE)
_SUFFIX = re.compile(r"^(.*?\d)\s*(k|tkr|m|mn|mio|mkr|bn|mrd|b)$", re.IGNORECASE)
_MULTIPLIER = {
    "k": 1e3,
    "tkr": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "mkr": 1e6,
    "bn": 1e9,
    "mrd": 1e9,
    "b": 1e9,
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007'_]")
_NUMBER_SHAPE = re.compile(r"^\d[\d.,]*$|^[.,]\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:X\d{3})+$")


def _strip_number_decorations(text: str) -> tuple[str, bool, float]:
    """Currency, sign, ``,-`` endings, multiplier suffix and digit-group spaces removed."""
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    for end in (",-", ":-", ".-"):
        if s.endswith(end):
            s = s[: -len(end)]
    s = _CURRENCY_START.sub("", s)
    s = _CURRENCY_END.sub("", s)
    if s[:1] in ("-", "\u2212"):
        negative, s = not negative, s[1:]
    elif s[:1] == "+":
        s = s[1:]
    s = _CURRENCY_START.sub("", s.strip())
    factor = 1.0
    m = _SUFFIX.match(s)
    if m:
        s, factor = m.group(1), _MULTIPLIER[m.group(2).lower()]
    s = _SPACES.sub("", s)
    return s, negative, factor


def _valid_grouping(int_part: str, sep: str) -> bool:
    if sep not in int_part:
        return int_part.isdigit()
    return bool(_GROUPED.match(int_part.replace(sep, "X")))


#: Cell values that read as empty in every field of an import (compared case-insensitively,
#: after stripping blanks): what CRM and spreadsheet exports write for "no value".
#: ``--null TOKEN`` adds one, ``--no-default-nulls`` starts from none.
DEFAULT_NULLS: frozenset[str] = frozenset(
    t.casefold() for t in ("", "NULL", "null", "N/A", "n/a", "#N/A", "NA", "-", "None", "nan")
)


def null_tokens(extra: Iterable[str] = (), *, defaults: bool = True) -> frozenset[str]:
    """The tokens an import reads as empty: the defaults (unless turned off) and ``extra``."""
    base = DEFAULT_NULLS if defaults else frozenset({""})
    return base | {t.strip().casefold() for t in extra}


_SCIENTIFIC = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)[eE][+-]?\d{1,3}$")


def parse_number(text: str, decimal: str | None = None) -> float:
    """``"1 234,50"``, ``"1.234,50"`` (decimal ``,``), ``"1,234.50"``, ``"kr 12 000"``,
    ``"€1.2M"``, ``"(300)"`` → float; the one reading of a number for every way in.

    ``decimal`` is the decimal separator a file's column showed (:func:`decide_decimal`);
    the other of ``.``/``,`` may only group thousands (groups of three digits). ``None``
    (a value typed on the command line, a ``--set`` or ``--scale``): the value decides by
    itself, and one that cannot (``"1,234"``: thousands or decimals?) is refused."""
    raw = text
    if "_" not in text and (decimal == "." or ("." not in text and "," not in text)):
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    sci = raw.strip()
    if ("e" in sci or "E" in sci) and _SCIENTIFIC.match(sci):
        # 1.39E8 (a spreadsheet's large number), 1,39E8 in a decimal-comma column
        value = float(sci.replace(",", "."))
        if math.isfinite(value):
            return value
    if decimal is None:
        decimal = _decimal_of(raw)
    s, negative, factor = _strip_number_decorations(raw)
    if not s or not _NUMBER_SHAPE.match(s):
        raise CellError(f"{raw.strip()!r} is not a number")
    thousands = "," if decimal == "." else "."
    if s.count(decimal) > 1:
        # "1.234.567" in a decimal-comma column: only thousands separators.
        if thousands in s or not _valid_grouping(s, decimal):
            raise CellError(f"{raw.strip()!r} is not a number")
        int_part, frac = s.replace(decimal, ""), ""
    else:
        int_part, _, frac = s.partition(decimal)
        if thousands in frac:
            raise CellError(
                f"{raw.strip()!r} is not a number ({decimal!r} is the decimal separator here)"
            )
        if int_part and not _valid_grouping(int_part, thousands):
            raise CellError(
                f"{raw.strip()!r} is not a number ({decimal!r} is the decimal separator here "
                f"and {thousands!r} may only separate groups of three digits)"
            )
        int_part = int_part.replace(thousands, "")
    value = float(f"{int_part or '0'}.{frac or '0'}") * factor
    return -value if negative else value


def _decimal_of(text: str) -> str:
    """The decimal separator a lone value shows; ``"1,234"`` (a comma followed by exactly
    three digits, not after ``0``) shows none and is refused as ambiguous. ``"1.234"``
    reads as 1.234: the dot is the decimal point wherever nothing says otherwise."""
    s = _SPACES.sub("", text.strip())
    if s.count(",") == 1 and "." not in s:
        head, _, tail = s.partition(",")
        digits = head.lstrip("+-(−")
        if len(tail) == 3 and tail.isdigit() and digits.isdigit() and digits.lstrip("0"):
            raise CellError(
                f"{text.strip()!r} is ambiguous (thousands or decimals?); "
                f"write {digits}{tail} or {digits}.{tail}"
            )
    return decide_decimal([text], hint=".")


#: Numeric fields that cannot be below zero (a count, a capacity); every other numeric
#: field (revenue, custom fields such as a margin) may be negative.
NON_NEGATIVE = frozenset({"revenue", "employees", "capacity"})


def parse_field_number(name: str, text: str, decimal: str | None = None) -> float:
    """The number of the numeric field ``name``: :func:`parse_number` and the field's rule."""
    value = parse_number(text, decimal)
    if value < 0 and name in NON_NEGATIVE:
        raise CellError(f"{text.strip()!r} must not be negative")
    return value


def stored_number(value: float) -> float | int:
    """A whole number as an int (custom fields keep ``25000``, not ``25000.0``)."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def decide_decimal(values: Iterable[str], hint: str = ".") -> str:
    """The decimal separator of a column: the one its values show, else ``hint``.

    A value shows ``,`` as decimal when a comma is its last separator and is not followed
    by exactly three digits (``12,5``), or comes after a dot (``1.234,5``); likewise for
    ``.``. The majority wins; values contradicting it fail to parse (and are reported).
    """
    votes: Counter[str] = Counter()
    seen = 0
    for v in values:
        if "," not in v and "." not in v:
            continue
        seen += 1
        if seen > 5000:  # a large sample decides; the rest are checked when parsed
            break
        s = _SPACES.sub("", v)
        last_comma, last_dot = s.rfind(","), s.rfind(".")
        if last_comma < 0 and last_dot < 0:
            continue
        if last_comma >= 0 and last_dot >= 0:
            votes["," if last_comma > last_dot else "."] += 1
            continue
        sep = "," if last_comma >= 0 else "."
        if s.count(sep) > 1:
            votes["." if sep == "," else ","] += 1  # "1,234,567": sep groups thousands
            continue
        after = s[max(last_comma, last_dot) + 1 :]
        digits = len(after) - len(after.lstrip("0123456789"))
        if digits != 3:
            votes[sep] += 1  # "12,5", "0.75": sep is the decimal separator
    if not votes:
        return hint
    if votes[","] > votes["."]:
        return ","
    if votes["."] > votes[","]:
        return "."
    return hint


# --------------------------------------------------------------------------- booleans

_TRUE = {"true", "t", "yes", "y", "1", "x", "ja", "j", "kyllä", "kylla", "jah", "on", "✓", "active"}
_FALSE = {"false", "f", "no", "n", "0", "nej", "nei", "ei", "off", "inactive", "-"}


def parse_bool(text: str) -> bool:
    v = text.strip().casefold()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise CellError(f"{text.strip()!r} is not yes/no (use true/false, yes/no, 1/0, ja/nej)")


# --------------------------------------------------------------------------- lists

_LIST_SPLIT = re.compile(r"\s*[;|]\s*")
PRODUCT_LINE_MAX = 200


def split_list(text: str) -> list[str]:
    """``"GTX; MG | Cloud"`` → ``["GTX", "MG", "Cloud"]`` (empty parts and repeats, in any
    case, dropped; the first spelling is kept)."""
    return list(_split_list(text))


def parse_product_lines(values: Iterable[str]) -> list[str]:
    """Product lines from one cell or several ``--product-line`` values, each of which may
    itself list several (``"Cloud; Analytics"``): the same list either way."""
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        if not v.strip():
            raise CellError("a product line must not be empty")
        for p in _split_list(v):
            if p.casefold() not in seen:
                seen.add(p.casefold())
                out.append(p)
    return out


@functools.lru_cache(maxsize=4096)
def _split_list(text: str) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for part in _LIST_SPLIT.split(text.strip()):
        p = part.strip()
        if not p or p.casefold() in seen:
            continue
        if len(p) > PRODUCT_LINE_MAX:
            raise CellError(
                f"product line {p[:20]!r}... is too long ({len(p)} characters, "
                f"at most {PRODUCT_LINE_MAX})"
            )
        seen.add(p.casefold())
        out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------- handles

_TRANSLIT = str.maketrans(
    {
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "å": "a",
        "Å": "a",
        "ß": "ss",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
        "ł": "l",
        "Ł": "l",
        "œ": "oe",
        "Œ": "oe",
    }
)
_NON_HANDLE = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """Nordic and other accented letters to plain ASCII (``Sørensen`` → ``Sorensen``)."""
    t = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(ch for ch in t if not unicodedata.combining(ch))


def handle_from(text: str) -> str:
    """A rep handle from a name or an e-mail address: ``"Anna Snelling"`` → ``anna.snelling``,
    ``"Åsa Ørn-Ødegård"`` → ``asa.orn.odegard``, ``"anna@x.se"`` → ``anna``."""
    t = text.strip()
    if "@" in t and " " not in t:
        t = t.split("@", 1)[0]
    h = _NON_HANDLE.sub(".", ascii_fold(t).lower()).strip(".")
    return h[:64].rstrip(".")


HANDLE_MAX = 64
_HANDLE_OK = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def is_valid_handle(text: str) -> bool:
    return bool(_HANDLE_OK.match(text))


def parse_handle(text: str) -> str:
    """A rep handle as given (``HANDLE``, ``--owner``, an import's handle column): one word
    of a-z, 0-9, ``.``, ``_`` and ``-``; upper case is lowered, anything else refused (a
    handle is *made* from a name only when the import has no handle: :func:`handle_from`)."""
    v = text.strip().lower()
    if not v:
        raise CellError("must not be empty")
    if not _HANDLE_OK.match(v):
        raise CellError(
            f"{text.strip()!r} is not a handle (one lower-case word of a-z, 0-9, '.', '_' "
            f"and '-', starting with a letter or digit, at most {HANDLE_MAX} characters)"
        )
    return v


# --------------------------------------------------------------------------- e-mail, role

EMAIL_MAX = 320
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.][^@\s]*")


def parse_email(text: str) -> str:
    """``name@domain.tld``: one ``@``, a dot in the domain, no blanks."""
    v = text.strip()
    if len(v) > EMAIL_MAX:
        raise CellError(
            f"too long for an e-mail address ({len(v)} characters, at most {EMAIL_MAX})"
        )
    if not _EMAIL.fullmatch(v) or ".." in v.partition("@")[2]:
        raise CellError(f"{v!r} is not an e-mail address")
    return v


def parse_role(text: str) -> str:
    v = text.strip().lower()
    if v not in ROLES:
        raise CellError(f"{text.strip()!r} is not one of {', '.join(ROLES)}")
    return v


# --------------------------------------------------------------------------- dates

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_ISO_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{2}|\d{4})(?:\s.*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?:\s.*)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:\s.*)?$")

DMY = "dmy"
MDY = "mdy"


def decide_date_order(values: Iterable[str]) -> str | None:
    """``dmy`` or ``mdy`` for a column of ``01/02/2026``-style dates, from the values that can
    only be read one way (a first number above 12 is a day); ``None`` when nothing tells.
    The majority wins; values contradicting it are reported when parsed."""
    votes: Counter[str] = Counter()
    for v in values:
        m = _NUMERIC.match(v.strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            votes[DMY] += 1
        elif b > 12 >= a:
            votes[MDY] += 1
    if not votes:
        return None
    return DMY if votes[DMY] >= votes[MDY] else MDY


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if len(y) == 2 else n


def _make_date(y: int, m: int, d: int, raw: str) -> date:
    try:
        out = date(y, m, d)
    except ValueError as exc:
        raise CellError(f"{raw!r} is not a date ({exc})") from None
    if not 1900 <= out.year <= 2100:
        raise CellError(f"{raw!r}: year {out.year} is out of range (1900-2100)")
    return out


@functools.lru_cache(maxsize=8192)
def parse_date(text: str, order: str | None = None, fmt: str | None = None) -> date:
    """ISO (``2026-11-23``, also with a time), ``23.11.2026``, ``23/11/2026`` or
    ``11/23/2026`` (``order`` from :func:`decide_date_order`), ``20261123``, and written
    dates (``23 Nov 2026``) through python-dateutil. ``fmt`` (strptime) wins when given."""
    raw = text.strip()
    if fmt:
        try:
            return _make_date(*_ymd(datetime.strptime(raw, fmt)), raw)
        except ValueError:
            raise CellError(f"{raw!r} does not match the date format {fmt!r}") from None
    m = _ISO.match(raw) or _YMD_SLASH.match(raw)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    m = _ISO_COMPACT.match(raw)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    m = _DOTTED.match(raw)
    if m:
        return _make_date(_year(m.group(3)), int(m.group(2)), int(m.group(1)), raw)
    m = _NUMERIC.match(raw)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        if order is None:
            if a > 12 >= b:
                order = DMY
            elif b > 12 >= a:
                order = MDY
            elif a == b:
                return _make_date(y, a, b, raw)
            elif a > 12 and b > 12:
                raise CellError(f"{raw!r} is not a date (neither number is a month)")
            else:
                raise AmbiguousDateError(
                    f"{raw!r} is ambiguous (day/month or month/day?); write YYYY-MM-DD"
                )
        day, month = (a, b) if order == DMY else (b, a)
        if month > 12:
            want = "dd/mm/yyyy" if order == DMY else "mm/dd/yyyy"
            raise CellError(f"{raw!r} is not a date in this column's order ({want})")
        return _make_date(y, month, day, raw)
    if not any(ch.isdigit() for ch in raw):
        raise CellError(f"{raw!r} is not a date")
    from dateutil import parser as dparser

    try:
        parsed = dparser.parse(raw, dayfirst=order != MDY, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        raise CellError(f"{raw!r} is not a date (use YYYY-MM-DD)") from None
    if not re.search(r"\d{4}", raw):
        raise CellError(f"{raw!r} has no four-digit year")
    return _make_date(*_ymd(parsed), raw)


def _ymd(d: datetime) -> tuple[int, int, int]:
    return d.year, d.month, d.day


# --------------------------------------------------------------------------- countries

#: Names CRMs use that ISO 3166 spells otherwise (or not at all), and local names.
COUNTRY_ALIASES: dict[str, str] = {
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "russia": "RU",
    "czech republic": "CZ",
    "czechia": "CZ",
    "iran": "IR",
    "vietnam": "VN",
    "taiwan": "TW",
    "laos": "LA",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "macedonia": "MK",
    "turkey": "TR",
    "ivory coast": "CI",
    "uae": "AE",
    "emirates": "AE",
    "sverige": "SE",
    "norge": "NO",
    "noreg": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "eesti": "EE",
    "ísland": "IS",
    "island": "IS",
    "iceland": "IS",
    "føroyar": "FO",
    "færøerne": "FO",
    "faroe islands": "FO",
    "grønland": "GL",
    "kalaallit nunaat": "GL",
    "latvija": "LV",
    "lietuva": "LT",
    "deutschland": "DE",
    "schweiz": "CH",
    "suisse": "CH",
    "österreich": "AT",
    "polska": "PL",
    "españa": "ES",
    "italia": "IT",
    "nederland": "NL",
    "belgië": "BE",
    "belgique": "BE",
    "schweden": "SE",
    "norwegen": "NO",
    "dänemark": "DK",
    "finnland": "FI",
    "estland": "EE",
    "ruotsi": "SE",
    "norja": "NO",
    "tanska": "DK",
    "viro": "EE",
    # English variants CRMs and generated exports write
    "cape verde": "CV",
    "swaziland": "SZ",
    "libyan arab jamahiriya": "LY",
    "palestinian territory": "PS",
    "palestinian territories": "PS",
    "palestine": "PS",
    "pitcairn islands": "PN",
    "united states virgin islands": "VI",
    "us virgin islands": "VI",
    "u.s. virgin islands": "VI",
    "british virgin islands": "VG",
    "svalbard and jan mayen islands": "SJ",
    "vatican": "VA",
    "vatican city": "VA",
    "east timor": "TL",
    "burma": "MM",
    "brunei": "BN",
    "macau": "MO",
    "dr congo": "CD",
    "drc": "CD",
    "congo kinshasa": "CD",
    "congo brazzaville": "CG",
    "republic of the congo": "CG",
    "cabo verde": "CV",
    "kyrgyz republic": "KG",
    "ksa": "SA",
    "east germany": "DE",
    "west germany": "DE",
    "soviet union": "SU",
    "ussr": "SU",
    "yugoslavia": "YU",
    "czechoslovakia": "CS",
    "byelorussia": "BY",
    "belorussia": "BY",
    "zaire": "CD",
    "rhodesia": "ZW",
    "turkiye": "TR",
    "the gambia": "GM",
    "the bahamas": "BS",
    "micronesia": "FM",
    "saint martin": "MF",
    "sint maarten": "SX",
    # Swedish, Danish, Norwegian and German names
    "tyskland": "DE",
    "frankrike": "FR",
    "frankrig": "FR",
    "frankreich": "FR",
    "storbritannien": "GB",
    "storbritannia": "GB",
    "großbritannien": "GB",
    "grossbritannien": "GB",
    "vereinigtes königreich": "GB",
    "förenade kungariket": "GB",
    "vereinigte staaten": "US",
    "vereinigte staaten von amerika": "US",
    "förenta staterna": "US",
    "nederländerna": "NL",
    "nederlandene": "NL",
    "niederlande": "NL",
    "spanien": "ES",
    "spania": "ES",
    "italien": "IT",
    "österrike": "AT",
    "østrig": "AT",
    "østerrike": "AT",
    "polen": "PL",
    "ryssland": "RU",
    "rusland": "RU",
    "russland": "RU",
    "kina": "CN",
    "indien": "IN",
    "belgien": "BE",
    "tschechien": "CZ",
    "tjeckien": "CZ",
    "tjekkiet": "CZ",
    "tsjekkia": "CZ",
    "ungarn": "HU",
    "ungern": "HU",
    "irland": "IE",
    "grekland": "GR",
    "grækenland": "GR",
    "hellas": "GR",
    "griechenland": "GR",
    "litauen": "LT",
    "lettland": "LV",
    "letland": "LV",
    "grönland": "GL",
    "färöarna": "FO",
    "färöer": "FO",
    "færøyene": "FO",
    "kanada": "CA",
    "mexiko": "MX",
    "brasilien": "BR",
    "sydafrika": "ZA",
    "südafrika": "ZA",
    "sydkorea": "KR",
    "südkorea": "KR",
    "nordkorea": "KP",
    "turkiet": "TR",
    "tyrkiet": "TR",
    "tyrkia": "TR",
    "türkei": "TR",
    "sveits": "CH",
    "luxemburg": "LU",
    "australien": "AU",
    "nya zeeland": "NZ",
    "neuseeland": "NZ",
    "förenade arabemiraten": "AE",
    "saudiarabien": "SA",
    "saudi-arabien": "SA",
    "egypten": "EG",
    "ägypten": "EG",
    "vitryssland": "BY",
    "hviderusland": "BY",
    "hviterussland": "BY",
    "weißrussland": "BY",
    "ukraina": "UA",
    "rumänien": "RO",
    "rumænien": "RO",
    "bulgarien": "BG",
    "kroatien": "HR",
    "serbien": "RS",
    "slowakei": "SK",
    "slovakien": "SK",
    "slovakiet": "SK",
    "slowenien": "SI",
    "slovenien": "SI",
    "zypern": "CY",
    "cypern": "CY",
    "kypros": "CY",
    "japani": "JP",
    "saksa": "DE",
    "ranska": "FR",
    "venäjä": "RU",
    "yhdysvallat": "US",
    "iso-britannia": "GB",
}
_CODE_ALIASES = {"UK": "GB", "EL": "GR"}
#: Aliases that are a guess, however common: mapped with a warning.
_WARN_ALIASES = {"korea", "america", "england", "scotland", "wales", "northern ireland", "island"}
_PARENS = re.compile(r"\s*\([^)]*\)")
_SAINT = re.compile(r"\b(?:st|ste)\b")


def _norm_name(text: str) -> str:
    """Matching form of a country name: case, accents, punctuation, ``&``/``and``,
    ``St.``/``Saint`` and a leading ``the`` alike."""
    t = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", t)).strip()
    t = _SAINT.sub("saint", t)
    return t[4:] if t.startswith("the ") else t


def _name_keys(name: str) -> list[str]:
    """The matching forms of one name: as written, without a parenthesised part
    (``Bouvet Island (Bouvetoya)``), and ``Korea, Republic of`` turned around."""
    out = [_norm_name(name)]
    bare = _PARENS.sub("", name).strip()
    if bare and bare != name:
        out.append(_norm_name(bare))
    for n in (name, bare):
        if ", " in n:
            head, tail = n.split(", ", 1)
            out.append(_norm_name(f"{tail} {head}"))
    return [k for k in out if k]


@functools.lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(alpha-2 → display name, alpha-3 → alpha-2, normalised name → alpha-2).

    Every name pycountry knows: official, common and historic (ISO 3166-3: a former
    country maps to its successor, ``Zaire`` → CD, or keeps its own code when it has
    none, ``Netherlands Antilles`` → AN); the part before a comma (``Micronesia,
    Federated States of``) when no other name shares it; then :data:`COUNTRY_ALIASES`."""
    import pycountry

    names: dict[str, str] = {}
    alpha3: dict[str, str] = {}
    by_name: dict[str, str] = {}
    heads: dict[str, set[str]] = {}

    def index(name: str, code: str) -> None:
        for k in _name_keys(name):
            by_name.setdefault(k, code)
        if ", " in name:
            heads.setdefault(_norm_name(name.split(", ", 1)[0]), set()).add(code)

    for c in pycountry.countries:
        code = str(c.alpha_2)
        names[code] = str(getattr(c, "common_name", None) or c.name)
        alpha3[str(c.alpha_3)] = code
        for attr in ("name", "official_name", "common_name"):
            n = getattr(c, attr, None)
            if n:
                index(str(n), code)
    former: dict[str, str] = {}
    for h in pycountry.historic_countries:
        old, successor = str(h.alpha_2), str(h.alpha_4)[2:]
        if successor == "AA":  # the same code lives on (Byelorussian SSR → BY)
            successor = old
        if successor not in names:
            if old in names:  # the code now means another country (GE: Georgia)
                continue
            successor = old
            label = str(h.name).split(", ", 1)[0]
            former[old] = f"{former[old]} / {label}" if old in former else label
        index(str(h.name), successor)
    for code, label in former.items():
        names.setdefault(code, f"{label} (former)")
    for head, codes in heads.items():
        if len(codes) == 1:
            by_name.setdefault(head, next(iter(codes)))
    for alias, code in COUNTRY_ALIASES.items():
        by_name.setdefault(_norm_name(alias), code)
    return names, alpha3, by_name


def country_name(code: str) -> str:
    return _country_index()[0].get(code, code)


@functools.lru_cache(maxsize=4096)
def parse_country(text: str) -> tuple[str, str | None]:
    """A country name or code → (ISO 3166-1 alpha-2, warning or None).

    Codes (``SE``, ``SWE``, ``uk``), English, official, common and historic names
    (``Cape Verde``, ``Zaire``), local names (``Sverige``, ``Tyskland``) and common CRM
    spellings (``USA``, ``Korea``) map silently, whatever the case, accents and
    punctuation (``Svalbard & Jan Mayen Islands``, ``Bouvet Island (Bouvetoya)``); a close
    misspelling that matches exactly one country (``Philipines``) maps with a warning;
    anything else raises :class:`CellError`.
    """
    raw = text.strip()
    names, alpha3, by_name = _country_index()
    up = raw.upper()
    if len(up) == 2 and up.isalpha():
        code = _CODE_ALIASES.get(up, up)
        if code in names and len(code) == 2 and code in alpha3.values():
            return code, None
        raise CellError(f"{raw!r} is not an ISO 3166 country code")
    if len(up) == 3 and up.isalpha() and up in alpha3:
        return alpha3[up], None
    keys = _name_keys(raw)
    for key in keys:
        if key in by_name:
            code = by_name[key]
            if " ".join(raw.casefold().split()) in _WARN_ALIASES:  # "Ísland" is sure, "Island" not
                return code, f"{raw!r} read as {code} ({names[code]})"
            return code, None
    key = keys[0] if keys else ""
    if len(key) >= 4:
        close = difflib.get_close_matches(key, list(by_name), n=5, cutoff=0.85)
        codes = sorted({by_name[c] for c in close})
        if len(codes) == 1:
            code = codes[0]
            return code, f"{raw!r} read as {code} ({names[code]})"
        if len(codes) > 1:
            options = ", ".join(f"{c} ({names[c]})" for c in codes)
            raise CellError(f"unknown country {raw!r}: could be {options}; use the code")
    raise CellError(f"unknown country {raw!r} (use an ISO code such as SE or a country name)")


# --------------------------------------------------------------------------- text

#: The one text rule for every way text enters (import, add/edit, log, the method file):
#: control characters are refused, except tab, newline and a carriage return that ends a
#: line (CRLF); a lone carriage return (it rewrites a terminal line) is refused too.
#: C0, DEL and C1: what a terminal obeys as commands.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
#: Also tab and newline: for one-line values (a name, a key, a handle).
CONTROL_CHARS_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 9: "TAB", 10: "LF", 13: "CR", 27: "ESC", 127: "DEL"}


def control_char_name(ch: str) -> str:
    """``"\x1b"`` → ``"U+001B (ESC)"``."""
    n = ord(ch)
    name = _CONTROL_NAMES.get(n)
    return f"U+{n:04X}" + (f" ({name})" if name else "")


_CONTROL_NOT_CR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def find_control(text: str) -> int:
    """The index of the first character :data:`CONTROL_CHARS` refuses, or -1. (A whole
    file in one call: the CRLF check counts instead of looking behind every line end.)"""
    m = _CONTROL_NOT_CR.search(text)
    first = m.start() if m is not None else -1
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        m = CONTROL_CHARS.search(text)
        assert m is not None
        first = m.start()
    return first


#: Every byte but the C0 controls (tab, newline and carriage return aside) and DEL.
_NOT_C0 = bytes(b for b in range(256) if not ((b < 32 and b not in (9, 10, 13)) or b == 127))
#: A C1 control (U+0080-U+009F) in UTF-8.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def utf8_may_hold_control(data: bytes) -> bool:
    """False when UTF-8 ``data`` decodes to a text :data:`CONTROL_CHARS` finds nothing
    in: C0 and DEL are their own bytes, C1 a ``\\xc2`` pair, and a CR must end a line.
    A file's bytes are cleared faster than its text by the regex (docs/benchmarks.md).
    True says only "look at the text"."""
    if data.translate(None, _NOT_C0):
        return True
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return True  # a carriage return that ends no line
    return b"\xc2" in data and _C1_UTF8.search(data) is not None


def check_text(text: str, *, one_line: bool = False) -> str:
    """``text`` unchanged, or :class:`CellError` ``"control character U+001B (ESC)"`` (the
    caller names the place). ``one_line`` refuses tab and newline as well."""
    if one_line:
        m = CONTROL_CHARS_LINE.search(text)
        i = m.start() if m is not None else -1
    else:
        i = find_control(text)
    if i >= 0:
        raise CellError(f"control character {control_char_name(text[i])}")
    return text


_FORMULA_START = ("=", "+", "-", "@")


def unquote_formula(text: str) -> str:
    """``'=SUM(A1)`` → ``=SUM(A1)``: undo the apostrophe a formula-safe CSV export (ours,
    Excel's) puts before a cell that starts like a formula."""
    if text[:1] == "'" and text[1:2] in _FORMULA_START and len(text) > 1:
        return text[1:]
    return text


# --------------------------------------------------------------------------- headers


def normalise_header(text: str) -> str:
    """Header matching: case-insensitive, spaces, dashes and underscores alike."""
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold()).strip("_")
