"""sqlmodel tables. The Alembic migrations in ``migrations/versions`` create exactly these
(a test compares the two)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from khm.store.tables import utcnow


class Rep(SQLModel, table=True):
    __tablename__ = "rep"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(default="any", max_length=16)  # expand | keep | any
    capacity: float = Field(default=10.0)  # effort units of human work per week
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    updated_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (
        Index("ix_account_owner_archived", "owner", "archived"),
        Index("ix_account_type_category", "type", "category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    name: str = Field(default="", max_length=400)
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2
    product_lines: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revenue: float | None = Field(default=None)
    employees: float | None = Field(default=None)
    custom: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str | None = Field(default=None, max_length=64, foreign_key="rep.handle")
    type: str | None = Field(default=None, max_length=16)  # expand | keep
    category: str | None = Field(default=None, max_length=1)  # A..D
    type_manual: bool = Field(default=False)
    category_manual: bool = Field(default=False)
    manual_reason: str | None = Field(default=None)
    tagged_at: datetime | None = Field(
        sa_type=DateTime(), default=None
    )  # last time type or category changed
    lifecycle_stage: str | None = Field(default=None, max_length=64)
    archived: bool = Field(default=False)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    updated_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    # imported text fields (``--map text.sector=Sector``): name -> text (0004_text)
    text: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it
    #: when the account became a customer (imported, ``account edit``): anniversaries count
    #: from it (0010_field_history)
    customer_since: date | None = Field(default=None)


class FieldChange(SQLModel, table=True):
    """One change of an account's numeric field (revenue, employees, a custom number, a
    derived deal field): the history threshold triggers read to find crossings. Written by
    import (only for changed values), ``account edit`` and the derived deal fields; the rows
    of an import carry its batch so ``khm import undo`` removes them."""

    __tablename__ = "field_change"
    __table_args__ = (
        Index("ix_field_change_account_field", "account_id", "field"),
        Index("ix_field_change_changed_on", "changed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    field: str = Field(max_length=200)  # revenue | employees | a custom field's name
    old: float | None = Field(default=None)
    new: float | None = Field(default=None)
    changed_on: date
    source: str = Field(default="manual", max_length=200)
    import_batch_id: int | None = Field(default=None, index=True)


class Campaign(SQLModel, table=True):
    """One ``khm log --campaign``: a digital activity logged for many accounts at once;
    its touches point here, so ``khm touch delete --campaign ID`` undoes it."""

    __tablename__ = "campaign"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted campaign's id is not reused

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    date: date
    selection: str = Field(default="")  # how the accounts were chosen (--due, --segment ...)
    note: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)


class Touch(SQLModel, table=True):
    __tablename__ = "touch"
    __table_args__ = (
        Index("ix_touch_account_kind_date", "account_id", "kind", "date"),
        Index("ix_touch_date", "date"),
        Index("ix_touch_campaign_id", "campaign_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    rep: str | None = Field(default=None, max_length=64, foreign_key="rep.handle")
    kind: str = Field(max_length=64)
    date: date
    note: str | None = Field(default=None)
    source: str = Field(default="manual", max_length=200)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it


class TagChange(SQLModel, table=True):
    __tablename__ = "tag_change"
    __table_args__ = (
        Index("ix_tag_change_account", "account_id"),
        Index("ix_tag_change_changed_at", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    field: str = Field(max_length=16)  # type | category | owner
    old: str | None = Field(default=None, max_length=64)
    new: str | None = Field(default=None, max_length=64)
    changed_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    who: str = Field(default="khm", max_length=200)
    reason: str | None = Field(default=None)
    rule: str | None = Field(default=None)  # which rule decided, or "manual"
    # the ``khm tag`` run (rules or by hand) that made the change (0008_method_history)
    tag_run_id: int | None = Field(default=None)


class MethodVersion(SQLModel, table=True):
    """A method file as khm first ran with it: its text, kept by content hash, so a
    report for a past period can use the method that was in force then
    (:mod:`khm.services.history`)."""

    __tablename__ = "method_version"

    hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the UTF-8 text, hex
    text: str
    name: str = Field(default="", max_length=200)  # the method's ``name``
    path: str | None = Field(default=None)  # the file it was read from (None: built-in)
    first_seen_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow, index=True)


class TagRun(SQLModel, table=True):
    """One ``khm tag`` that wrote (a rule run or a tag by hand): when, for which day, with
    which method. Its changes are the ``tag_change`` rows with its id."""

    __tablename__ = "tag_run"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    ran_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    as_of: date  # the run's --today: its changes hold from this day
    kind: str = Field(default="rules", max_length=16)  # rules | manual
    method_hash: str | None = Field(default=None, max_length=64)
    who: str = Field(default="khm", max_length=200)
    accounts: int = Field(default=0)  # accounts the run looked at
    changes: int = Field(default=0)  # tag_change rows it wrote


class Absence(SQLModel, table=True):
    """A rep away from ``start_date`` to ``end_date`` (both included; khm.core.absence)."""

    __tablename__ = "absence"
    __table_args__ = (Index("ix_absence_rep_end", "rep", "end_date"),)

    id: int | None = Field(default=None, primary_key=True)
    rep: str = Field(max_length=64, foreign_key="rep.handle")
    start_date: date
    end_date: date
    reason: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)


class Deal(SQLModel, table=True):
    """An opportunity imported from a CRM (``khm import deals``, upsert by ``key``):
    ``status`` is ``open``, ``won`` or ``lost``, decided from ``stage`` at import
    (:func:`khm.core.deals.deal_status`)."""

    __tablename__ = "deal"
    __table_args__ = (
        Index("ix_deal_account_status", "account_id", "status"),
        Index("ix_deal_owner", "owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id")
    stage: str = Field(default="", max_length=64)
    status: str = Field(default="open", max_length=8)  # open | won | lost
    value: float | None = Field(default=None)
    product: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=64, foreign_key="rep.handle")
    created: date | None = Field(default=None)
    closed: date | None = Field(default=None)
    source: str = Field(default="import", max_length=200)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    updated_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it


class NpsResponse(SQLModel, table=True):
    """One NPS answer (0-10) from a customer: ``khm nps`` or ``khm import nps``
    (:mod:`khm.core.nps`). The account's latest score is its ``nps`` field."""

    __tablename__ = "nps_response"
    __table_args__ = (
        Index("ix_nps_response_account_date", "account_id", "date"),
        Index("ix_nps_response_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    score: int
    date: date
    contact: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None)
    source: str = Field(default="manual", max_length=200)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it


class ImportBatch(SQLModel, table=True):
    """One ``khm import KIND FILE``: what it did, so ``khm import undo ID`` reverts it.
    The rows it inserted carry its id (``import_batch_id``); the earlier values of the
    rows it updated are in :class:`ImportChange`. Generic by ``kind``: any imported table
    with an ``import_batch_id`` column plugs in (khm.store.batches)."""

    __tablename__ = "import_batch"
    __table_args__ = {"sqlite_autoincrement": True}  # an undone batch's id is not reused

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # accounts | reps | touches | ...
    file: str = Field(default="")
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    inserted: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    skipped: int = Field(default=0)
    undone_at: datetime | None = Field(sa_type=DateTime(), default=None)


class ImportChange(SQLModel, table=True):
    """A row an import batch updated: the changed columns' values before and after."""

    __tablename__ = "import_change"
    __table_args__ = (Index("ix_import_change_row", "entity", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    entity: str = Field(max_length=32)  # the batch kind: accounts | reps | ...
    row_id: int
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class StageChange(SQLModel, table=True):
    """An account's lifecycle stage from ``date`` on (the method's ``[lifecycle] stages``):
    from ``khm stage`` (source ``manual``), an account import's lifecycle_stage
    (``import``, with the batch, so ``khm import undo`` removes it) or its deals
    (``deal``). ``text`` is the word given (``opportunity``) when it was not the stage."""

    __tablename__ = "stage_change"
    __table_args__ = (
        Index("ix_stage_change_account_date", "account_id", "date"),
        Index("ix_stage_change_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    stage: str = Field(max_length=64)
    date: date
    source: str = Field(default="manual", max_length=16)  # manual | import | deal
    text: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=DateTime(), default_factory=utcnow)
    import_batch_id: int | None = Field(default=None, index=True)  # the import that added it


__all__ = [
    "Absence",
    "Account",
    "Campaign",
    "Deal",
    "FieldChange",
    "ImportBatch",
    "ImportChange",
    "MethodVersion",
    "NpsResponse",
    "Rep",
    "StageChange",
    "TagChange",
    "TagRun",
    "Touch",
    "utcnow",
]

#: The order of the tables in :mod:`khm.store.tables`.
LIGHT_ORDER = (
    Account,
    Rep,
    Touch,
    TagChange,
    Campaign,
    Absence,
    Deal,
    ImportBatch,
    ImportChange,
    MethodVersion,
    TagRun,
    NpsResponse,
    FieldChange,
    StageChange,
)
GENERATED_BEGIN = (
    "# --- generated from khm.store.models by `python -m khm.store.models`: do not edit ---\n"
)
GENERATED_END = "# --- end of generated code ---\n"


def light_tables_code() -> str:
    """The Core ``table()`` clauses of :mod:`khm.store.tables`, written from these models:
    every column, in order, with its type family (String for VARCHAR(n) and AutoString)."""
    names = {  # type family (SQLAlchemy's visit name) -> the sqlalchemy type to name
        "integer": "Integer",
        "string": "String",
        "float": "Float",
        "boolean": "Boolean",
        "datetime": "DateTime",
        "date": "Date",
        "json": "JSON",
    }
    out: list[str] = []
    for model in LIGHT_ORDER:
        t: Any = model.__table__
        out.append(f"{t.name.upper()} = table(\n")
        out.append(f'    "{t.name}",\n')
        for c in t.columns:
            family = names[c.type._type_affinity.__visit_name__.lower()]
            out.append(f'    column("{c.name}", {family}),\n')
        out.append(")\n\n")
    names_ = [m.__table__.name.upper() for m in LIGHT_ORDER]  # type: ignore[attr-defined]
    line = f"TABLES = ({', '.join(names_)})\n"
    if len(line) > 100:  # as ruff format wraps it
        line = "TABLES = (\n" + "".join(f"    {n},\n" for n in names_) + ")\n"
    out.append(line)
    return "".join(out)


def light_tables_module(current: str) -> str:
    """``current`` (the text of tables.py) with its generated block written afresh."""
    head, rest = current.split(GENERATED_BEGIN, 1)
    _, tail = rest.split(GENERATED_END, 1)
    return head + GENERATED_BEGIN + light_tables_code() + GENERATED_END + tail


if __name__ == "__main__":  # pragma: no cover - regenerates src/khm/store/tables.py
    from pathlib import Path

    from khm.store import tables

    path = Path(tables.__file__)
    path.write_text(light_tables_module(path.read_text(encoding="utf-8")), encoding="utf-8")
