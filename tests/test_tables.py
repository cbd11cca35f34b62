"""The light Core views in khm.store.tables are generated from the sqlmodel tables (the
definition, which the migrations create): the generated block must be what the models
give today."""

from __future__ import annotations

from pathlib import Path

from khm.store import models, tables


def test_the_light_tables_are_what_the_models_generate():
    text = Path(tables.__file__).read_text(encoding="utf-8")
    assert models.light_tables_module(text) == text, (
        "khm.store.tables differs from the models: run `python -m khm.store.models`"
    )


def test_each_light_table_names_the_models_columns_in_order():
    for light, model in zip(tables.TABLES, models.LIGHT_ORDER, strict=True):
        full = model.__table__
        assert light.name == full.name
        assert [c.name for c in light.columns] == [c.name for c in full.columns]
        for c in light.columns:
            assert c.type._type_affinity is full.c[c.name].type._type_affinity, c.name


def test_a_hand_edit_of_the_generated_block_shows_as_drift():
    text = Path(tables.__file__).read_text(encoding="utf-8")
    edited = text.replace('column("kind", String)', 'column("kind", Integer)')
    assert edited != text
    assert models.light_tables_module(edited) != edited  # the first test would fail
    assert models.light_tables_module(edited) == text


def test_utcnow_is_naive_and_shared():
    assert models.utcnow is tables.utcnow
    assert tables.utcnow().tzinfo is None
