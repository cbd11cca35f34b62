"""Services: open data through store queries, call the core, write back in one transaction."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run a block with Python's cyclic garbage collector paused (then restored as it was).

    Planning a big book or building a big report makes hundreds of thousands of small,
    acyclic objects that stay alive until the output is written; every automatic
    collection walks all of them again (a third of the run). Reference counting still
    frees everything; the collector runs as usual afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
