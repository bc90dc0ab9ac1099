"""Shared behaviour of every voice dialog: caller locale, prompts and replies from the catalogue."""

from __future__ import annotations

from typing import Any

from botbuilder.core import BotTelemetryClient, NullTelemetryClient, TurnContext
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions

from dialogs.deps import DialogDeps
from dialogs.prompts import add_voice_prompts

# What a dialog hands back to the main router when it ends.
ESCALATE = "escalate"  # {"escalate": EscalationReason value}
NO_MATCH = "no_match"  # {"no_match": True}: the caller's request could not be served
TRANSFERRED = "transferred"  # {"transferred": True}: the call is being handed to an agent


class VoiceDialog(ComponentDialog):
    """A component dialog that speaks from the catalogue in the caller's language."""

    def __init__(self, dialog_id: str, deps: DialogDeps) -> None:
        super().__init__(dialog_id)
        self.deps = deps
        add_voice_prompts(self)

    @property
    def telemetry_client(self) -> BotTelemetryClient:
        return self._telemetry_client

    @telemetry_client.setter
    def telemetry_client(self, value: BotTelemetryClient | None) -> None:
        # botbuilder-python's ComponentDialog, unlike the C# and JS SDKs, keeps its client to itself:
        # hand it to every dialog inside, so waterfall and prompt telemetry reaches Application Insights.
        self._telemetry_client = value or NullTelemetryClient()
        self._dialogs.telemetry_client = self._telemetry_client

    async def locale(self, turn_context: TurnContext) -> str:
        return (await self.deps.session(turn_context)).locale

    async def say(self, turn_context: TurnContext, key: str, **values: Any) -> None:
        locale = await self.locale(turn_context)
        await turn_context.send_activity(self.deps.replies.say(locale, key, **values))

    async def say_final(self, turn_context: TurnContext, key: str, **values: Any) -> None:
        locale = await self.locale(turn_context)
        await turn_context.send_activity(self.deps.replies.final(locale, key, **values))

    async def end_unserved(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The caller's choice could not be understood: say so and tell the router (it counts no-matches)."""
        await self.say(step.context, "no_match")
        return await step.end_dialog({NO_MATCH: True})

    async def ask(
        self,
        step: WaterfallStepContext,
        prompt_id: str,
        key: str,
        retry_key: str | None = None,
        **values: Any,
    ) -> DialogTurnResult:
        """Prompt with a catalogue question; the retry re-asks with ``retry_key`` (or the same words)."""
        locale = await self.locale(step.context)
        replies = self.deps.replies
        return await step.prompt(
            prompt_id,
            PromptOptions(
                prompt=replies.ask(locale, key, **values),
                retry_prompt=replies.ask(locale, retry_key or key, **values),
            ),
        )

    async def label(self, turn_context: TurnContext, key: str) -> str:
        """A catalogue word in the caller's language (e.g. ``account.savings``)."""
        return self.deps.replies.text(await self.locale(turn_context), key)
