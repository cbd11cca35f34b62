"""Light SQLAlchemy Core views of the tables in :mod:`khm.store.models`.

The bulk commands (``khm tag``, ``khm assign``, ``khm capacity``, ``khm weekly``) only
select, update and insert with SQLAlchemy Core; building the sqlmodel classes (and importing sqlmodel and
the ORM) costs more start-up than a small book's whole run. These ``table()`` clauses name
the same tables and columns with the same types, so a statement compiles to the same SQL
on SQLite and PostgreSQL.

The models are the definition: the block between the "generated" lines is written from
them by ``python -m khm.store.models`` (never by hand), and a test fails when it differs
from what the models give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, column, table


def utcnow() -> datetime:
    """Naive UTC timestamp, as stored (the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- generated from khm.store.models by `python -m khm.store.models`: do not edit ---
ACCOUNT = table(
    "account",
    column("id", Integer),
    column("key", String),
    column("name", String),
    column("country", String),
    column("product_lines", JSON),
    column("revenue", Float),
    column("employees", Float),
    column("custom", JSON),
    column("owner", String),
    column("type", String),
    column("category", String),
    column("type_manual", Boolean),
    column("category_manual", Boolean),
    column("manual_reason", String),
    column("tagged_at", DateTime),
    column("lifecycle_stage", String),
    column("archived", Boolean),
    column("created_at", DateTime),
    column("updated_at", DateTime),
    column("text", JSON),
    column("import_batch_id", Integer),
    column("customer_since", Date),
)

REP = table(
    "rep",
    column("id", Integer),
    column("handle", String),
    column("name", String),
    column("email", String),
    column("role", String),
    column("capacity", Float),
    column("active", Boolean),
    column("created_at", DateTime),
    column("updated_at", DateTime),
    column("import_batch_id", Integer),
)

TOUCH = table(
    "touch",
    column("id", Integer),
    column("account_id", Integer),
    column("rep", String),
    column("kind", String),
    column("date", Date),
    column("note", String),
    column("source", String),
    column("created_at", DateTime),
    column("campaign_id", Integer),
    column("import_batch_id", Integer),
)

TAG_CHANGE = table(
    "tag_change",
    column("id", Integer),
    column("account_id", Integer),
    column("field", String),
    column("old", String),
    column("new", String),
    column("changed_at", DateTime),
    column("who", String),
    column("reason", String),
    column("rule", String),
    column("tag_run_id", Integer),
)

CAMPAIGN = table(
    "campaign",
    column("id", Integer),
    column("kind", String),
    column("date", Date),
    column("selection", String),
    column("note", String),
    column("created_at", DateTime),
)

ABSENCE = table(
    "absence",
    column("id", Integer),
    column("rep", String),
    column("start_date", Date),
    column("end_date", Date),
    column("reason", String),
    column("created_at", DateTime),
)

DEAL = table(
    "deal",
    column("id", Integer),
    column("key", String),
    column("account_id", Integer),
    column("stage", String),
    column("status", String),
    column("value", Float),
    column("product", String),
    column("owner", String),
    column("created", Date),
    column("closed", Date),
    column("source", String),
    column("created_at", DateTime),
    column("updated_at", DateTime),
    column("import_batch_id", Integer),
)

IMPORT_BATCH = table(
    "import_batch",
    column("id", Integer),
    column("kind", String),
    column("file", String),
    column("created_at", DateTime),
    column("inserted", Integer),
    column("updated", Integer),
    column("unchanged", Integer),
    column("skipped", Integer),
    column("undone_at", DateTime),
)

IMPORT_CHANGE = table(
    "import_change",
    column("id", Integer),
    column("batch_id", Integer),
    column("entity", String),
    column("row_id", Integer),
    column("before", JSON),
    column("after", JSON),
)

METHOD_VERSION = table(
    "method_version",
    column("hash", String),
    column("text", String),
    column("name", String),
    column("path", String),
    column("first_seen_at", DateTime),
)

TAG_RUN = table(
    "tag_run",
    column("id", Integer),
    column("ran_at", DateTime),
    column("as_of", Date),
    column("kind", String),
    column("method_hash", String),
    column("who", String),
    column("accounts", Integer),
    column("changes", Integer),
)

NPS_RESPONSE = table(
    "nps_response",
    column("id", Integer),
    column("account_id", Integer),
    column("score", Integer),
    column("date", Date),
    column("contact", String),
    column("comment", String),
    column("source", String),
    column("created_at", DateTime),
    column("import_batch_id", Integer),
)

FIELD_CHANGE = table(
    "field_change",
    column("id", Integer),
    column("account_id", Integer),
    column("field", String),
    column("old", Float),
    column("new", Float),
    column("changed_on", Date),
    column("source", String),
    column("import_batch_id", Integer),
)

STAGE_CHANGE = table(
    "stage_change",
    column("id", Integer),
    column("account_id", Integer),
    column("stage", String),
    column("date", Date),
    column("source", String),
    column("text", String),
    column("note", String),
    column("created_at", DateTime),
    column("import_batch_id", Integer),
)

TABLES = (
    ACCOUNT,
    REP,
    TOUCH,
    TAG_CHANGE,
    CAMPAIGN,
    ABSENCE,
    DEAL,
    IMPORT_BATCH,
    IMPORT_CHANGE,
    METHOD_VERSION,
    TAG_RUN,
    NPS_RESPONSE,
    FIELD_CHANGE,
    STAGE_CHANGE,
)
# --- end of generated code ---


class Columns:
    """A light table with its columns as attributes (``Account.key``) and ``__table__``,
    as the sqlmodel classes have them, so query code reads the same either way."""

    def __init__(self, table: Any) -> None:
        self.__table__ = table
        for c in table.columns:
            setattr(self, c.name, c)

    def __clause_element__(self) -> Any:
        return self.__table__
