"""``khm import list`` and ``khm import undo ID`` (registered on ``khm import``)."""

from __future__ import annotations

from typing import Annotated

import typer

from khm.cli.common import LIST_FORMATS, TodayOption, format_option, kctx, resolve_today


def import_list(ctx: typer.Context, fmt: str = format_option(LIST_FORMATS[:3])) -> None:
    """List the import batches: id, time, kind, file and counts (undo one with khm import undo ID)."""
    from khm.render.importing import write_batches
    from khm.services.batches import list_imports

    write_batches(list_imports(kctx(ctx).store()), fmt)


def import_undo(
    ctx: typer.Context,
    batch: Annotated[int, typer.Argument(help="The batch id (khm import list).")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Undo even when later changes depend on the batch (its accounts' later "
            "touches are deleted, its reps' accounts lose their owner).",
        ),
    ] = False,
    fmt: str = format_option(("table", "json")),
    today: TodayOption = None,
) -> None:
    """Revert one import batch in one transaction: the rows it inserted are removed, the
    rows it updated get their earlier values back (undoing a deals import also takes back
    the product lines its won deals added and recomputes the accounts' deal fields as of
    --today). Refused when a later import or edit
    changed the same rows, or touches point to its accounts, unless --force."""
    from khm.render.importing import write_undo
    from khm.services.batches import undo_import

    write_undo(undo_import(kctx(ctx).store(), batch, force=force, today=resolve_today(today)), fmt)


def register(import_app: typer.Typer) -> None:
    import_app.command("list")(import_list)
    import_app.command("undo")(import_undo)
