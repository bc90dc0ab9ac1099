"""Shared pytest fixtures: real servers (Redis, Cosmos DB emulation) started on loopback ports by PID."""

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from config import PROJECT_ROOT, Settings
from tests.support.locks import build_lock
from tests.support.markers import group_for_workers, mark_kinds
from tests.support.servers import cosmos_server, redis_server  # noqa: F401

# Property-based tests explore new examples on every developer run; CI (HYPOTHESIS_PROFILE=ci) replays
# a fixed sequence so a merge is never blocked by a case nobody changed code to provoke. A failure
# prints a reproduction blob either way.
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.register_profile("ci", print_blob=True, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test unit, integration, browser or voice, and group them for xdist workers
    (tests/support/markers.py says how)."""
    mark_kinds(items, Path(__file__).parent)
    if config.pluginmanager.hasplugin("xdist"):
        group_for_workers(items)


@pytest.fixture(scope="session")
def trained_recognizer(tmp_path_factory: pytest.TempPathFactory):
    """The embedded recognizer, trained once per test session from the CLU project file."""
    from dialogs.registry import registered_intents
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    # The embedding cache is keyed by the project file's hash, so every test session (and every bot
    # process a test starts) shares one: only the first run on a fresh clone embeds the utterances.
    cache_dir = Settings(_env_file=None).nlu_cache_dir
    recognizer = EmbeddedRecognizer(
        PROJECT_ROOT / "cognitiveModels" / "banking.clu.json", cache_dir, registered_intents()
    )
    with build_lock(cache_dir):  # parallel workers: one embeds, the other reads its cache
        recognizer.train()
    return recognizer


@pytest.fixture(scope="session")
def knowledge_index_dir(tmp_path_factory: pytest.TempPathFactory):
    """One embedded knowledge index per session, built from knowledge/ on first use."""
    return tmp_path_factory.mktemp("knowledge-index")


@pytest.fixture
def bot_settings(tmp_path, knowledge_index_dir):
    from tests.support.bot_harness import make_test_settings

    return make_test_settings(tmp_path, knowledge_index_dir)
