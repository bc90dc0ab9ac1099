"""A file lock for builds that parallel test workers (pytest-xdist) share under var/."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Hold ``<target>.lock`` while building ``target``: the second worker waits, then finds it built."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
