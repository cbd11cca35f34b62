"""The light Core views in khm.store.tables name the same columns, with the same types,
as the sqlmodel tables the migrations create."""

from __future__ import annotations

import pytest

from khm.store import models, tables


@pytest.mark.parametrize(
    ("light", "model"),
    [
        (tables.ACCOUNT, models.Account),
        (tables.REP, models.Rep),
        (tables.TOUCH, models.Touch),
        (tables.TAG_CHANGE, models.TagChange),
    ],
)
def test_light_table_matches_the_model(light, model):
    full = model.__table__
    assert light.name == full.name
    assert [c.name for c in light.columns] == [c.name for c in full.columns]
    for c in light.columns:
        # same type family (String for VARCHAR(n) and AutoString, DateTime, JSON, ...)
        assert c.type._type_affinity is full.c[c.name].type._type_affinity, c.name


def test_utcnow_is_naive_and_shared():
    assert models.utcnow is tables.utcnow
    assert tables.utcnow().tzinfo is None
