"""Open a CSV file the way another tool (a CRM, Excel) wrote it.

Decided once per file, and reported back so the user sees what was assumed:

* **encoding**: UTF-8 with or without BOM; UTF-16 with BOM (Excel "Unicode text"); else
  Windows-1252 (a superset of Latin-1 for text; bytes cp1252 leaves undefined fall back to
  Latin-1). A file that is UTF-8 in places and not in others is refused naming the first
  line that is not (``--encoding`` reads it all one way). Binary files (zip/xlsx, PDF,
  ...) are refused with the reason.
* **control characters**: the whole text is checked against the one text rule
  (:func:`khm.io.parse.check_text`); a cell holding ESC, BEL, NUL, ... is refused naming
  its line and column.
* **separator**: ``,`` ``;`` tab or ``|``: each candidate parses the first records and the
  one that gives the most columns with the most consistent row widths wins
  (``csv.Sniffer`` breaks ties); a file with a single column is fine.
* Excel's optional ``sep=;`` first line is honoured.
* **records**: quoted fields may hold separators, quotes and newlines; every record keeps
  the line number it starts on (the header is line 1), which is what error messages name.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from khm.errors import InputError
from khm.io.parse import control_char_name, find_control, utf8_may_hold_control

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE_RECORDS = 200
_LINE_CHARS = str.maketrans("", "", "\t\r\n")
_SEP_LINE = re.compile(r"^sep=(.)[ \t]*\r?\n", re.IGNORECASE)

_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook? save it as CSV first)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file (.xls; save it as CSV first)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3", "a SQLite database"),
    (b"\x1f\x8b", "a gzip archive"),
)


@dataclass
class CsvFile:
    """A decoded CSV file: header, records with their line numbers, and what was sniffed."""

    path: str
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    blank_lines: int = 0
    header_line: int = 1

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def _decode(data: bytes, path: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}:{_line_of(data, exc.start)}: not valid {encoding} at byte "
                f"{exc.start} ({exc.reason})"
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: starts with a UTF-8 byte order mark but is not UTF-8 "
                f"(byte {exc.start + 3}: {exc.reason})"
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-16 at byte {exc.start}") from None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{path}: this is {what}, not a CSV text file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        nul = data.find(b"\x00", 0, 65536)
        if nul >= 0:  # not UTF-8 and NUL bytes: not a text file at all
            raise InputError(
                f"{path}:{_line_of(data, nul)}: binary data (a NUL byte); expected a CSV text file"
            ) from None
        if _UTF8_SEQUENCE.search(data) is not None:
            # UTF-8 elsewhere: read as cp1252, "€" would silently become "â‚¬".
            raise InputError(
                f"{path}:{_line_of(data, exc.start)}: not valid UTF-8 (byte "
                f"0x{data[exc.start]:02X}), though other lines are UTF-8: the file mixes "
                "text encodings; save it as UTF-8, or give --encoding (e.g. cp1252) to read "
                "all of it one way"
            ) from None
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


#: A multi-byte UTF-8 sequence (what a Latin-1 text hardly ever holds by chance).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_text(text: str, path: str, encoding: str) -> None:
    """Refuse text that decoded but is not text (private use, unassigned: a wrong guess of
    the encoding). Control characters are the text rule's (:func:`_refuse_control`)."""
    sample = text[:65536]
    if sample.translate(_LINE_CHARS).isprintable():
        return  # no control or unassigned characters at all (the usual case, in C)
    bad = 0
    first = -1
    for i, ch in enumerate(sample):
        if ch in "\t\r\n":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cs", "Co", "Cn"):
            bad += 1
            if first < 0:
                first = i
    if bad and (bad > 3 or bad > len(sample) / 1000):
        line = sample.count("\n", 0, first) + 1
        raise InputError(
            f"{path}:{line}: cannot tell the text encoding ({bad} unassigned or private "
            f"characters when read as {encoding}); save the file as UTF-8 CSV or give --encoding"
        )


_CONTROL_DETAILS = 100


def _refuse_control(out: CsvFile, name: str) -> None:
    """The cells holding a control character, each named by line and column; raises on the
    first (details: up to 100 more). Called only when the whole-text check found one."""
    hits: list[str] = []
    n = 0
    cells = [(out.header_line, out.header), *out.rows]
    for line, rec in cells:
        for i, cell in enumerate(rec):
            at = find_control(cell)
            if at < 0:
                continue
            n += 1
            if len(hits) <= _CONTROL_DETAILS:
                where = "the header" if rec is out.header else f"column {_column(out, i)}"
                hits.append(
                    f"{name}:{line}: control character {control_char_name(cell[at])} in {where}"
                )
    if not hits:
        return  # carriage returns that end lines (an old Mac file): not in any cell
    more = f" (and {n - 1} more cell{'s' if n > 2 else ''})" if n > 1 else ""
    raise InputError(
        f"{hits[0]}{more}: text may not hold control characters other than tab and newline "
        "(fix the file; if every line shows them, the encoding may be wrong: give --encoding)",
        details=hits[1:],
    )


def _column(out: CsvFile, i: int) -> str:
    if i < len(out.header) and out.header[i]:
        return repr(out.header[i])
    return str(i + 1)


def _score(text: str, delim: str) -> tuple[int, float, int]:
    """(columns > 1, share of sampled records as wide as the header, header width)."""
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delim, strict=False)
        header = next(reader, None)
        if not header:
            return (0, 0.0, 0)
        width = len(header)
        n = same = 0
        for rec in reader:
            if not rec:
                continue
            n += 1
            same += len(rec) == width
            if n >= _SAMPLE_RECORDS:
                break
    except csv.Error:
        return (0, 0.0, 0)
    consistency = same / n if n else 1.0
    return (int(width > 1), consistency, width)


def sniff_delimiter(text: str) -> str:
    sample = text[:262144]
    scores = {d: _score(sample, d) for d in CANDIDATE_DELIMITERS}
    best = max(scores.values())
    winners = [d for d in CANDIDATE_DELIMITERS if scores[d] == best]
    if len(winners) == 1:
        return winners[0]
    try:
        sniffed = csv.Sniffer().sniff(sample[:65536], delimiters="".join(winners)).delimiter
        if sniffed in winners:
            return sniffed
    except csv.Error:
        pass
    return winners[0]


def _blank(rec: list[str]) -> bool:
    return not rec or (not rec[0].strip() and not "".join(rec).strip())


def _read_records(out: CsvFile, text: str, delim: str, name: str) -> None:
    """Records with the line each starts on, when quoted values span lines (or the file
    is broken: then the error names the line where the broken record starts)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    line_end = 0
    try:
        for rec in reader:
            start = line_end + 1
            line_end = reader.line_num
            if _blank(rec):
                out.blank_lines += 1
                continue
            if not out.header:
                out.header = [c.strip() for c in rec]
                out.header_line = start
                continue
            out.rows.append((start, rec))
    except csv.Error as exc:
        raise InputError(f"{name}:{line_end + 1}: broken CSV: {exc}") from None


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> CsvFile:
    """Read and decode a whole CSV file; raise :class:`InputError` naming the file (and line)
    for anything that is not a readable table with a header."""
    p = Path(path)
    name = str(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    if not data or data.isspace():  # (no copy of a large file)
        raise InputError(f"{name}: the file is empty (expected a header line and rows)")
    text, enc = _decode(data, name, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not encoding:
        _check_text(text, name, enc)
    m = _SEP_LINE.match(text)
    if m:  # Excel's "sep=;" first line: it names the separator; kept as a blank line
        delimiter = delimiter or m.group(1)
        text = "\n" + text[m.end() :]
    if delimiter is not None:
        delim = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(
            delimiter, delimiter
        )
        if len(delim) != 1:
            raise InputError(f"--delimiter: {delimiter!r} must be a single character")
    else:
        delim = sniff_delimiter(text)
    out = CsvFile(path=name, encoding=enc, delimiter=delim, header=[])
    records: list[list[str]] | None = None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
        records = list(reader)
        if reader.line_num != len(records):
            records = None  # a quoted value spans lines: count them record by record
    except csv.Error:
        records = None  # read again below, record by record, to name the line
    if records is not None:
        # Every record is one line: its line number is its position.
        first = next((i for i, r in enumerate(records) if not _blank(r)), len(records))
        if first < len(records):
            out.header = [c.strip() for c in records[first]]
            out.header_line = first + 1
            out.rows = [
                (i, r)
                for i, r in enumerate(records[first + 1 :], start=first + 2)
                if r and (r[0].strip() or "".join(r).strip())
            ]
        out.blank_lines = len(records) - len(out.rows) - (1 if out.header else 0)
    else:
        _read_records(out, text, delim, name)
    if not out.header:
        raise InputError(f"{name}: the file is empty (expected a header line and rows)")
    # the whole text, one regex (or, for UTF-8, one pass over the bytes that clears it)
    clear = enc in ("utf-8", "utf-8-sig") and not utf8_may_hold_control(data)
    if not clear and find_control(text) >= 0:
        _refuse_control(out, name)
    seen: dict[str, int] = {}
    for i, h in enumerate(out.header, start=1):
        if not h:
            continue
        k = h.casefold()
        if k in seen:
            raise InputError(
                f"{name}:{out.header_line}: column {h!r} appears twice in the header "
                f"(columns {seen[k]} and {i})"
            )
        seen[k] = i
    if not out.rows:
        raise InputError(f"{name}: only a header line, no rows to import")
    return out
