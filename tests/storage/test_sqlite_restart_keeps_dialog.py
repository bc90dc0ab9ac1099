"""With the default SQLite state, a bot restarted mid-call continues the caller's dialog."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.emulator import texts
from config import StorageBackend
from tests.support.bot_harness import make_test_settings, running_bot

pytestmark = pytest.mark.timeout(600)


async def test_restart_between_turns_keeps_the_dialog(
    tmp_path: Path, knowledge_index_dir, trained_recognizer
) -> None:
    settings = make_test_settings(tmp_path, knowledge_index_dir, storage="sqlite")
    assert settings.storage is StorageBackend.SQLITE
    async with running_bot(settings, trained_recognizer) as (channel, _):
        call, _ = await channel.start_call(caller="+14255550100")
        assert "PIN" in " ".join(texts(await channel.say(call, "how much money do I have")))
        assert "Which account" in " ".join(texts(await channel.say(call, "1234")))
    assert (tmp_path / "state.sqlite3").exists()

    async with running_bot(settings, trained_recognizer) as (channel, _):  # a new app, same file
        channel._calls[call.conversation_id] = call
        assert "310 dollars and 75 cents" in " ".join(texts(await channel.say(call, "checking please")))
