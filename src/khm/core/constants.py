"""The account types, categories and rep roles, in their display order.

Their one home: :mod:`khm.method` and every command import them from here (this module
imports nothing, so a CLI module can use them without loading the method's models).
"""

from __future__ import annotations

TYPES: tuple[str, ...] = ("expand", "keep")
CATEGORIES: tuple[str, ...] = ("A", "B", "C", "D")
ROLES: tuple[str, ...] = (*TYPES, "any")
