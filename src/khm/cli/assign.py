"""Commands of this group are being built; see the issue tracker."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this group's commands to the root app."""
