"""Carlos (English) and María (Spanish) on the phone to a freshly built bot, one fixture each."""

from __future__ import annotations

import pytest

from tests.support.bot_harness import dialog_harness
from tests.support.demo_callers import CARLOS, MARIA


@pytest.fixture
async def carlos(bot_settings, trained_recognizer):
    return await dialog_harness(bot_settings, trained_recognizer, CARLOS, "en-US")


@pytest.fixture
async def maria(bot_settings, trained_recognizer):
    return await dialog_harness(bot_settings, trained_recognizer, MARIA, "es-MX")
