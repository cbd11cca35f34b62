"""Files written by a renderer's caller: atomically (temp file beside it, then rename),
and the names of one ``--out-dir`` run (:class:`OutDir`)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_writer(path: Path | str, *, mode: int | None = None) -> Iterator[IO[str]]:
    """A text file to write (streamed) that appears at ``path`` only when the block ends
    without an error: a temporary file beside it, renamed into place. Without ``mode``,
    an existing file keeps its mode and a new one follows the umask."""
    import tempfile

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.chmod(tmp, _target_mode(p) if mode is None else mode)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _target_mode(path: Path) -> int:
    """The mode the written file gets: an existing file keeps its own (a 0600 report
    stays 0600); a new one gets what open() would give, 0666 less the umask (mkstemp made
    the temporary file 0600)."""
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: Path | str, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    with atomic_writer(path, mode=mode) as fh:
        fh.write(text)


class OutDir:
    """The files one ``--out-dir`` run writes, one name per rep (weekly files, ``.ics``
    subscriptions, ``.eml`` dry runs all ask here).

    A handle that is a plain file name (lower-case a-z, 0-9, ``.``, ``_``, ``-``, at most
    64 characters, not ending in a dot) is used as it is; any other (upper case, ``/``,
    control characters, 300 characters, ...) is cleaned and shortened, and gets 8 hex
    digits of a hash of the handle, so the same handle always gets the same name. A name
    this run already wrote (compared without case, as macOS and Windows do) gets the hash
    too: a run never overwrites a file it wrote itself.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._taken: set[str] = set()

    def file(self, handle: str, tail: str) -> Path:
        """The path for ``handle``'s file ending in ``tail`` (``-2026-W48.md``, ``.ics``)."""
        import hashlib

        digest = hashlib.sha256(handle.encode("utf-8", "surrogatepass")).hexdigest()
        stem = handle if _PLAIN.match(handle) else f"{_cleaned(handle)}-{digest[:8]}"
        name, n = f"{stem}{tail}", 0
        while name.casefold() in self._taken:
            n += 1
            name = f"{_cleaned(handle)}-{digest[:8]}{'-' + str(n) if n > 1 else ''}{tail}"
        self._taken.add(name.casefold())
        return self.path / name


_PLAIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}(?<!\.)$")


def _cleaned(handle: str) -> str:
    """The handle as a short, portable file-name stem (what is left of it, or ``rep``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", handle).strip("._-")[:40].rstrip("._-") or "rep"
