"""Public holiday dates for the commands, cached in the data dir.

The ``holidays`` package builds its calendars in Python on first use, which costs more
than a one-rep weekly list or an assign run's other start-up; the dates of a (country,
year) never change for one package version, so they are kept in a small JSON file.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path


class HolidayCache:
    """Public holiday dates per (country, year), kept in a small JSON file in the data
    dir so a weekly run does not load the ``holidays`` package's calendars (the slowest
    import of a one-rep list). The file is keyed by the package's version: an upgrade
    starts a new file. Misses are computed with :mod:`khm.core.calendar` (the same dates
    the rest of khm uses) and written back atomically; a cache that cannot be read or
    written is simply not used."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._data: dict[str, list[str]] | None = None
        self._sets: dict[tuple[str, int], frozenset[date]] = {}
        self._dirty = False

    @classmethod
    def default(cls) -> HolidayCache:
        try:
            from importlib.metadata import version

            from khm.store.db import data_dir

            return cls(data_dir() / "cache" / f"holidays-{version('holidays')}.json")
        except Exception:
            return cls(None)

    def _load(self) -> dict[str, list[str]]:
        if self._data is None:
            self._data = {}
            if self.path is not None:
                try:
                    raw = json.loads(self.path.read_text(encoding="utf-8"))
                    if isinstance(raw, dict):
                        self._data = {str(k): list(v) for k, v in raw.items()}
                except (OSError, ValueError, TypeError):
                    self._data = {}
        return self._data

    def __call__(self, country: str, year: int) -> frozenset[date]:
        key = (country, year)
        got = self._sets.get(key)
        if got is not None:
            return got
        data = self._load()
        skey = f"{country}-{year}"
        try:
            got = frozenset(date.fromisoformat(d) for d in data[skey])
        except (KeyError, ValueError, TypeError):
            from khm.core.calendar import holiday_dates

            got = holiday_dates(country, year)
            data[skey] = sorted(d.isoformat() for d in got)
            self._dirty = True
        self._sets[key] = got
        return got

    def save(self) -> None:
        if not self._dirty or self.path is None or self._data is None:
            return
        try:
            from khm.render import atomic_write_text
            from khm.render.json import dumps

            atomic_write_text(self.path, dumps(self._data, indent=False))
            self._dirty = False
        except OSError:
            pass
