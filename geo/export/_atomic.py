"""Atomic file writing: write a temporary file beside the target, then rename it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    The temporary file sits in the target's folder and keeps its suffix, so writers that
    pick a format from the extension (GDAL, matplotlib) behave as for the target. If the
    block raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path
        The file to write; its folder is created if missing.

    Yields
    ------
    pathlib.Path
        A path that does not exist yet, to write the content to.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent
    )
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
