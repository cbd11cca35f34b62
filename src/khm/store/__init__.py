"""The store: sqlmodel tables, engine set-up, migrations and every query.

Everything that speaks SQL lives in this package (``models``, ``db``, ``queries`` and the
per-feature query modules beside them). Nothing here is SQLite-only: the same code runs
on PostgreSQL.
"""
