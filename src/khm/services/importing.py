"""``khm import accounts|reps|touches FILE``: read the file, plan against what the database
holds, write everything in one transaction (or nothing).

Flow: :func:`khm.io.csvsniff.read_csv` (encoding, separator, records with line numbers) →
load what exists (one query per table, :mod:`khm.store.bulk`) → :func:`plan_import`: the
cells read into values by :func:`khm.io.cells.read_cells`, the upsert decided by
:func:`khm.core.importer.plan_rows` (both pure) → bulk insert / update. Any bad row means nothing is
written (:class:`~khm.errors.InputError`, exit 3) unless ``skip_bad`` is set; ``dry_run``
plans and reports but never writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from khm.core.importer import (
    Existing,
    ImportContext,
    ImportPlan,
    ImportSpec,
    RowIssue,
    date_range,
    drop_existing,
    nps_signature,
    plan_rows,
    touch_signature,
)
from khm.errors import InputError
from khm.io.cells import AccountIndex, Lookups, RepIndex, read_cells, resolve_columns
from khm.io.csvsniff import read_csv
from khm.store.models import utcnow

if TYPE_CHECKING:
    from khm.method import Lifecycle, Method
    from khm.store.db import Store


class Progress(Protocol):
    """A progress display: one phase at a time (checking rows, then writing them)."""

    def start(self, total: int, label: str = "") -> None: ...

    def advance(self, n: int) -> None: ...


@dataclass
class ImportReport:
    """What an import did (or would do with ``--dry-run``)."""

    entity: str
    path: str
    encoding: str
    delimiter: str
    rows: int
    mapping: dict[str, str]  # field -> column header (or "=VALUE" for a constant)
    auto_mapped: list[str]
    ignored_columns: list[str]
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0
    dry_run: bool = False
    written: bool = False
    batch: int | None = None  # the import batch (khm import undo ID)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.bad if self.written or self.dry_run else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "file": self.path,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "mapping": self.mapping,
            "auto_mapped": self.auto_mapped,
            "ignored_columns": self.ignored_columns,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bad": self.bad,
            "dry_run": self.dry_run,
            "written": self.written,
            "batch": self.batch,
            "warnings": self.warnings,
            "problems": self.problems,
        }


def bad_rows_error(report: ImportReport, plan: ImportPlan) -> InputError:
    """The summary as the message; every problem as ``FILE:ROW: field: problem`` in the
    details (the CLI prints the first 20 and counts the rest)."""
    n = plan.bad
    msg = (
        f"{n} bad row{'s' if n != 1 else ''} of {report.rows} in {report.path}; nothing was "
        f"written (fix them, or use --skip-bad to import the {report.rows - n} good rows):"
    )
    return InputError(msg, details=report.problems)


def _load_context(conn: Any, entity: str, method: Method | None) -> tuple[ImportContext, Lookups]:
    from khm.store import bulk

    ctx = ImportContext()
    look = Lookups()
    if method is not None:
        look.kinds = tuple(method.activities)
        ctx.default_capacity = method.capacity.default
    elif entity not in ("accounts", "deals", "nps"):
        raise ValueError(f"importing {entity} needs the method (activity kinds, capacity)")
    if entity == "accounts":
        ctx.existing = {
            key: Existing(aid, values) for aid, key, values in bulk.existing_accounts(conn)
        }
        look.reps = RepIndex.build(bulk.rep_names(conn))
    elif entity == "reps":
        reps = bulk.existing_reps(conn)
        ctx.existing = {h: Existing(rid, values) for rid, h, values in reps}
    elif entity == "deals":
        from khm.store import deals

        ctx.existing = {k: Existing(did, values) for did, k, values in deals.existing_deals(conn)}
        look.accounts = AccountIndex.build(bulk.account_keys(conn))
        look.reps = RepIndex.build(bulk.rep_names(conn))
    else:
        look.accounts = AccountIndex.build(bulk.account_keys(conn))
        look.reps = RepIndex.build(bulk.rep_names(conn))
    return ctx, look


def plan_import(
    req: ImportSpec,
    header: Sequence[str],
    rows: Sequence[tuple[int, list[str]]],
    ctx: ImportContext,
    look: Lookups,
    *,
    path: str,
    now: datetime,
    decimal_hint: str = ".",
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read every row (:mod:`khm.io.cells`) and decide, per row, insert / update /
    unchanged / bad (:mod:`khm.core.importer`). Pure: no database, no clock."""
    plan = ImportPlan(entity=req.entity, rows=len(rows))
    mapping, good = read_cells(
        plan, req, header, rows, look, path=path, decimal_hint=decimal_hint, progress=progress
    )
    return plan_rows(plan, req, ctx, good, now=now, fields=mapping.fields)


def import_file(
    store: Store,
    method: Method | Callable[[], Method] | None,
    req: ImportSpec,
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import one CSV file; returns the report or raises :class:`InputError` (nothing written).

    ``method`` gives the activity kinds (touches), the default capacity (reps) and the
    lifecycle stages (accounts' ``lifecycle_stage``, deals); it may be None for accounts
    and deals, which then record no stage change. It may be a loader, called only when
    the file needs the method (an accounts file without a stage column does not: the
    method is then neither read nor recorded). ``today`` dates the accounts'
    numeric field changes and the derived ``won_12m`` of deals (default: the clock)."""
    return _import_file(
        store, method, req, path, dry_run, skip_bad, encoding, delimiter, progress, today
    )


def _import_file(
    store: Store,
    source: Method | Callable[[], Method] | None,
    req: ImportSpec,
    path: str | Path,
    dry_run: bool,
    skip_bad: bool,
    encoding: str | None,
    delimiter: str | None,
    progress: Progress | None,
    today: date | None = None,
) -> ImportReport:
    from khm.store import bulk

    csv = read_csv(path, encoding=encoding, delimiter=delimiter)
    name = csv.path
    if req.source == "import":
        req = ImportSpec(**{**req.__dict__, "source": f"import:{Path(name).name}"})
    mapping = resolve_columns(req, csv.header, name)
    method = _method_for(source, req, mapping.fields)
    shown = {f: csv.header[i] for f, i in mapping.fields.items()}
    shown.update({f: f"={v}" for f, v in req.constants.items()})
    if req.key and req.key in shown and req.key not in ("key", "handle"):
        shown = {("key" if req.entity == "accounts" else "handle"): shown[req.key], **shown}
    report = ImportReport(
        entity=req.entity,
        path=name,
        encoding=csv.encoding,
        delimiter=csv.delimiter_name,
        rows=len(csv.rows),
        mapping=shown,
        auto_mapped=list(mapping.auto),
        ignored_columns=list(mapping.ignored),
        dry_run=dry_run,
    )
    decimal_hint = "," if csv.delimiter == ";" else "."
    if progress is not None:
        progress.start(len(csv.rows), f"Checking {req.entity}")
    table = bulk.TABLES[req.entity]
    now = utcnow()
    with store.engine.begin() as conn:
        ctx, look = _load_context(conn, req.entity, method)
        plan = plan_import(
            req,
            csv.header,
            csv.rows,
            ctx,
            look,
            path=name,
            now=now,
            decimal_hint=decimal_hint,
            progress=progress.advance if progress is not None else None,
        )
        # The cells are checked: free them before the writes allocate their parameters.
        csv.rows.clear()
        if req.entity in ("touches", "nps"):
            # Only the rows dated within the file's range can repeat one of them.
            span = date_range(plan)
            if span is not None and req.entity == "touches":
                drop_existing(plan, bulk.touch_signatures(conn, *span), touch_signature)
            elif span is not None:
                drop_existing(plan, bulk.nps_signatures(conn, *span), nps_signature)
        report.inserted, report.updated = plan.inserted, plan.updated
        report.unchanged, report.bad = plan.unchanged, plan.bad
        # the stage texts, once: their warnings now, their stage changes once written
        stage_texts = _stage_texts(plan, ctx) if req.entity == "accounts" else []
        if stage_texts and method is not None:
            plan.warnings.extend(stage_warnings(stage_texts, method.lifecycle))
        report.warnings = [w.format(name) for w in plan.warnings]
        report.problems = [e.format(name) for e in plan.errors]
        if plan.bad and not skip_bad:
            raise bad_rows_error(report, plan)
        if dry_run:
            return report
        advance = None
        if progress is not None:
            progress.start(plan.inserted + plan.updated, f"Writing {req.entity}")
            advance = progress.advance
        day = today or date.today()
        report.batch = _record_batch(conn, req.entity, name, now, plan, ctx, day, req.source)
        bulk.insert_rows(
            conn,
            table,
            plan.inserts,
            progress=advance,
            shared={**plan.insert_shared, "import_batch_id": report.batch},
        )
        bulk.update_rows(conn, table, plan.updates, progress=advance)
        if req.entity == "deals":
            from khm.store.deals import refresh_derived

            refresh_derived(conn, day, now=utcnow(), source=req.source, batch=report.batch)
        if req.entity == "nps":
            _refresh_nps(conn, report.batch, plan)
        if req.entity in ("accounts", "deals") and method is not None:
            _record_stages(conn, method, plan.entity, stage_texts, report.batch, day)
        report.written = True
    return report


def _method_for(
    source: Method | Callable[[], Method] | None, req: ImportSpec, fields: Iterable[str]
) -> Method | None:
    """The method, loaded from ``source`` when it is a loader and this file needs it: every
    entity but accounts, and accounts with a ``lifecycle_stage`` column or ``--set``."""
    if source is None or not callable(source):
        return source
    if req.entity == "accounts" and "lifecycle_stage" not in {*fields, *req.constants}:
        return None
    return source()


def _refresh_nps(conn: Any, batch: int, plan: ImportPlan) -> None:
    """The ``nps`` field of the accounts the file answered for, from their latest
    responses; the values they had before are kept with the batch, so ``khm import undo``
    puts an imported ``custom.nps`` back."""
    from khm.store import batches
    from khm.store.nps import FIELD_ENTITY, refresh_field

    ids = {r["account_id"] for r in plan.inserts}
    changed = refresh_field(conn, ids, now=utcnow())
    batches.record_changes(
        conn, batch, FIELD_ENTITY, [(aid, {"nps": b}, {"nps": a}) for aid, b, a in changed]
    )


def _stage_texts(plan: ImportPlan, ctx: ImportContext) -> list[tuple[int, str, str]]:
    """(row index, key, text) of the accounts whose lifecycle_stage the import sets or
    changes (an update carries it only when it differs)."""
    out = []
    shared = plan.insert_shared.get("lifecycle_stage")
    for i, row in enumerate(plan.inserts):
        text = row.get("lifecycle_stage", shared)
        if text:
            out.append((i, str(row["key"]), str(text)))
    keys = {e.id: k for k, e in ctx.existing.items()}
    for rid, changes in plan.updates:
        text = changes.get("lifecycle_stage")
        if text and rid in keys:
            out.append((-1, keys[rid], str(text)))
    return out


def stage_warnings(
    stage_texts: Sequence[tuple[int, str, str]], lifecycle: Lifecycle
) -> list[RowIssue]:
    """One warning per lifecycle_stage text (of :func:`_stage_texts`) that names no stage
    of the method: it is kept as text, no stage change is recorded."""
    from collections import Counter

    counts = Counter(text for _, _, text in stage_texts)
    bad = {text: n for text, n in counts.items() if lifecycle.stage_of(text) is None}
    return [
        RowIssue(
            0,
            "lifecycle_stage",
            f"{text!r} ({n} row{'s' if n != 1 else ''}) is not a stage of the method "
            f"({', '.join(lifecycle.stages)}) nor a word of [lifecycle.map]: kept as text, "
            "no stage change recorded",
        )
        for text, n in sorted(bad.items())
    ]


def _record_stages(
    conn: Any,
    method: Method,
    entity: str,
    stage_texts: Sequence[tuple[int, str, str]],
    batch: int | None,
    day: date,
) -> None:
    """The stage changes an import gives (:mod:`khm.store.stages`), marked with its batch:
    a deals import's from its deals, an accounts import's from ``stage_texts``."""
    if entity == "accounts" and not stage_texts:
        return  # (and no import of the stage module)
    from khm.store import stages

    if entity == "deals":
        stages.record_deals(conn, method.lifecycle, batch)
    else:
        texts = [(k, t) for _, k, t in stage_texts]
        stages.record_import(conn, method.lifecycle, texts, day, batch)


def _record_batch(
    conn: Any,
    entity: str,
    file: str,
    now: datetime,
    plan: ImportPlan,
    ctx: ImportContext,
    today: date,
    source: str,
) -> int:
    """The import's batch (:mod:`khm.store.batches`), whose id the inserts are written
    with (a shared column of :func:`khm.store.bulk.insert_rows`); the earlier values of
    every updated row are kept, so ``khm import undo`` reverts it. The accounts' changed
    numeric values go to their history (:mod:`khm.store.fieldchanges`), dated ``today``,
    with the batch."""
    from khm.store import batches

    batch = batches.create_batch(conn, entity, file, now)
    if plan.updates:
        old = {e.id: e.values for e in ctx.existing.values()}
        if entity == "accounts":
            from khm.store import fieldchanges as history

            rows = history.change_rows(plan.updates, old, on=today, source=source, batch=batch)
            history.record(conn, rows)
        batches.record_changes(
            conn,
            batch,
            entity,
            [
                (
                    rid,
                    {c: old[rid].get(c) for c in changes if c != "updated_at"},
                    {c: v for c, v in changes.items() if c != "updated_at"},
                )
                for rid, changes in plan.updates
            ],
        )
    batches.finish_batch(
        conn,
        batch,
        inserted=plan.inserted,
        updated=plan.updated,
        unchanged=plan.unchanged,
        skipped=plan.bad,
    )
    return batch
