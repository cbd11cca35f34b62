"""The options every ``khm import`` command shares (file, mapping, dialect, empty values)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FileArg = Annotated[
    Path,
    typer.Argument(
        help="The CSV file (UTF-8 with or without BOM, cp1252/Latin-1; , ; or tab).",
        show_default=False,
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        metavar="FIELD=COLUMN",
        help="FIELD=COLUMN: read FIELD from COLUMN (repeatable). Columns named like a field "
        "map by themselves (case-insensitive; spaces and underscores alike).",
        show_default=False,
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="FIELD=VALUE",
        help="FIELD=VALUE: the same value for every row (repeatable), e.g. --set country=SE.",
        show_default=False,
    ),
]
ValueMapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--value-map",
        metavar="FIELD:VALUE=NEW",
        help="FIELD:VALUE=NEW: replace a cell value before reading it (repeatable), e.g. "
        "--value-map kind:Won=visit or --value-map country:Holland=NL.",
        show_default=False,
    ),
]
ScaleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scale",
        metavar="FIELD=FACTOR",
        help="FIELD=FACTOR: multiply a numeric field, e.g. --scale revenue=1000000 when the "
        "file gives revenue in millions.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Check everything and show what would happen; write nothing."),
]
SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good rows and list the bad ones (default: any bad row → nothing is written).",
    ),
]
DateFmtOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="strptime format for every date, e.g. %d/%m/%Y (default: detected per column).",
        show_default=False,
    ),
]
DecimalOpt = Annotated[
    str | None,
    typer.Option(
        "--decimal",
        help="Decimal separator of numbers: . or , (default: detected per column; ';'-separated "
        "files lean to ,).",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding (default: detected: UTF-8, else cp1252).",
        show_default=False,
    ),
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Column separator: , ; tab or | (default: detected).",
        show_default=False,
    ),
]

NullOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--null",
        metavar="TOKEN",
        help="A cell value that means empty (repeatable, any case), besides the defaults "
        "'', NULL, N/A, #N/A, NA, -, None, nan.",
        show_default=False,
    ),
]
NoNullsOpt = Annotated[
    bool,
    typer.Option("--no-default-nulls", help="Read NULL, N/A, #N/A, NA, -, None, nan as values."),
]
StrictCountriesOpt = Annotated[
    bool,
    typer.Option(
        "--strict-countries",
        help="An unknown country is a bad row (default: a warning; the account gets no country).",
    ),
]
AllowFutureOpt = Annotated[
    bool,
    typer.Option(
        "--allow-future",
        help="Touches: import touches dated after today (booked meetings; default: refused).",
    ),
]
