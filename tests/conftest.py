"""Shared pytest fixtures: real servers (Redis, Cosmos DB emulation) started on loopback ports by PID."""

from tests.support.servers import cosmos_server, redis_server  # noqa: F401

import pytest  # noqa: E402

from config import PROJECT_ROOT  # noqa: E402


@pytest.fixture(scope="session")
def trained_recognizer(tmp_path_factory: pytest.TempPathFactory):
    """The embedded recognizer, trained once per test session from the CLU project file."""
    from recognizers.embedded_recognizer import EmbeddedRecognizer

    recognizer = EmbeddedRecognizer(PROJECT_ROOT / "cognitiveModels" / "banking.clu.json",
                                    tmp_path_factory.mktemp("nlu-cache"))
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
