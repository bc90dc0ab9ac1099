"""Each test's kind (browser, voice, integration, unit), told from what it uses: new files need no marker.

A test gets exactly one kind, the first that applies:

- ``browser``: drives headless Chromium (the ``browser`` fixture or ``tests.support.browser.chromium``);
- ``voice``: sends audio through the speech engines or the real-time call pipeline (tests/voice, the
  ``engines``/``stt`` fixtures, or espeak-ng speech from ``tests.support.speech_fixtures``);
- ``integration``: starts a process or a real server (subprocesses, Redis, the Cosmos emulation, a
  bot process, a package-wide bot server) or builds and runs the whole bot (tests/e2e, ``create_app``,
  ``build_services``, ``running_bot``), or evaluates a model over a whole data set (marked by hand);
- ``unit``: everything else (in-process, no audio, no browser): the fast half.

A test that carries one of these markers itself keeps it, but none under tests/voice or tests/e2e may
call itself unit: ``-m unit`` does not even import those folders (``never_unit``), which saves each
worker a few seconds of imports.

Under pytest-xdist (``--dist loadgroup``, as scripts/test.sh runs the suite) each file stays on one
worker, so module- and package-scoped servers start once and in-module order holds, and every voice
test runs on the same worker, so two real-time audio streams never compete with each other.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

KINDS = ("unit", "integration", "browser", "voice")
FOLDER_KINDS = {"voice": "voice", "e2e": "integration"}  # tests/<folder>: every test in it is of this kind
BROWSER_FIXTURES = frozenset({"browser"})
VOICE_FIXTURES = frozenset({"engines", "stt", "speech_data_dir"})
INTEGRATION_FIXTURES = frozenset({"redis_server", "cosmos_server", "two_bots", "server", "authed_server"})
BROWSER_SOURCE = re.compile(r"\bchromium\(|\bplaywright\b")
VOICE_SOURCE = re.compile(r"tests\.support\.speech_fixtures|\bmake_speech_pcm\b")
INTEGRATION_SOURCE = re.compile(
    r"^\s*(import subprocess|from subprocess import)|create_subprocess_exec|\bPopen\(|sys\.executable"
    r"|\bstart_redis\(|\bstart_cosmos\(|streaming_driver|getfixturevalue\(\"(redis|cosmos)_server\"\)"
    r"|\b(create_app|build_services|running_bot)\(",
    re.MULTILINE,
)


@cache
def _source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def kind_of(item: pytest.Item, tests_root: Path) -> str:
    """The kind of one collected test (see the module docstring)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    source = _source(item.path)
    parts = item.path.relative_to(tests_root).parts if item.path.is_relative_to(tests_root) else ()
    if fixtures & BROWSER_FIXTURES or BROWSER_SOURCE.search(source):
        return "browser"
    folder_kind = FOLDER_KINDS.get(parts[0]) if parts else None
    if folder_kind == "voice" or fixtures & VOICE_FIXTURES or VOICE_SOURCE.search(source):
        return "voice"
    if folder_kind == "integration" or fixtures & INTEGRATION_FIXTURES or INTEGRATION_SOURCE.search(source):
        return "integration"
    return "unit"


def never_unit(path: Path, tests_root: Path) -> bool:
    """Whether ``path`` is (in) a folder whose every test is of another kind than unit."""
    return path.is_relative_to(tests_root) and path.relative_to(tests_root).parts[:1] in {
        (folder,) for folder in FOLDER_KINDS
    }


def mark_kinds(items: list[pytest.Item], tests_root: Path) -> None:
    """Add the kind marker to every test that has none of the four yet."""
    for item in items:
        if item.get_closest_marker("unit") and never_unit(item.path, tests_root):
            raise pytest.UsageError(f"{item.nodeid}: no test under tests/voice or tests/e2e is unit")
        if not any(item.get_closest_marker(kind) for kind in KINDS):
            item.add_marker(getattr(pytest.mark, kind_of(item, tests_root)))


def group_for_workers(items: list[pytest.Item]) -> None:
    """One xdist group per file, and one for every voice test (see the module docstring)."""
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            group = "voice" if item.get_closest_marker("voice") else item.path.as_posix()
            item.add_marker(pytest.mark.xdist_group(group))
