"""Services: open data through store queries, call the core, write back in one transaction."""

from __future__ import annotations
