"""Builds tests share across sessions and xdist workers, kept under var/test-cache/ by input hash."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

from config import PROJECT_ROOT
from tests.support.locks import build_lock

CACHE_ROOT = PROJECT_ROOT / "var" / "test-cache"


def inputs_digest(paths: Iterable[Path], packages: Iterable[str] = ()) -> str:
    """A hash of every file under ``paths`` (names and bytes) and of the installed ``packages``' versions:
    a build keyed by it is rebuilt whenever its sources, the code that builds it or a library changes."""
    digest = hashlib.sha256()
    for package in sorted(packages):
        digest.update(f"{package}=={version(package)}\0".encode())
    for root in sorted(paths):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(f"{file.relative_to(PROJECT_ROOT).as_posix()}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def cached_build(name: str, digest: str, build: Callable[[Path], None]) -> Path:
    """The directory ``build`` fills, built once per ``digest``: the first worker builds (the other waits
    on a file lock), then everyone reads it. Read-only by convention: a test that changes it copies it."""
    target = CACHE_ROOT / f"{name}-{digest}"
    if target.is_dir():
        return target
    with build_lock(target):
        if not target.is_dir():
            staging = target.with_name(f".{target.name}.{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            build(staging)
            staging.rename(target)  # atomic: a reader finds the whole build or none of it
    return target
