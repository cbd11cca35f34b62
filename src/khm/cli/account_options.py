"""The options of ``khm account add`` and ``khm account edit`` (:mod:`khm.cli.accounts`)."""

from __future__ import annotations

from typing import Annotated

import typer

KeyArg = Annotated[str, typer.Argument(help="The account's key (unique, e.g. its CRM id).")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Company name.", show_default=False)]
CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="Country: ISO code (NO, SWE) or name (Norway, Sverige); stored as ISO alpha-2.",
        show_default=False,
    ),
]
ProductLineOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--product-line",
        help="A product line the account buys (repeat for several; on edit replaces the list).",
        show_default=False,
    ),
]
RevenueOpt = Annotated[
    str | None,
    typer.Option(
        "--revenue", help="Revenue (1234567, 1 234 567,50 and 1_234_567 work).", show_default=False
    ),
]
EmployeesOpt = Annotated[
    str | None, typer.Option("--employees", help="Number of employees.", show_default=False)
]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        help="A custom numeric field NAME=NUMBER (repeatable), e.g. open_pipeline=25000.",
        show_default=False,
    ),
]
OwnerOpt = Annotated[
    str | None,
    typer.Option("--owner", help="Owner: the handle of an active rep.", show_default=False),
]
StageOpt = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="Lifecycle stage (free text, e.g. customer, onboarding).",
        show_default=False,
    ),
]
WhoOpt = Annotated[
    str | None,
    typer.Option(
        "--who",
        help="Who makes an owner change, for the history (default: $USER).",
        show_default=False,
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help="Why the owner changes, for the history.", show_default=False),
]
CustomerSinceOpt = Annotated[
    str | None,
    typer.Option(
        "--customer-since",
        help="When it became a customer (a date; anniversaries count from it).",
        show_default=False,
    ),
]
