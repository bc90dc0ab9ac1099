"""One call's bridge between its audio pipeline and the bot (activities in, prompts and actions out)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    EndOfConversationCodes,
    Entity,
)

from adapters.acs.call_adapter import CHANNEL_ID, SERVICE_URL, CallAdapter
from adapters.acs.call_control import CallControl, CallControlError
from adapters.acs.channel_data import acs_channel_data, caller_state_of
from adapters.acs.registry import CallRecord, CallState
from adapters.telephony import SILENCE_TIMEOUT, SPEECH_UNRECOGNISED
from services.handoff.targets import is_transfer_target
from voice.frames import CallAction, InputHint, Say
from voice.pipeline import CallPipeline

log = logging.getLogger(__name__)

BOT_ACCOUNT = ChannelAccount(id="contoso-voicebot", name="Contoso Bank")
_SSML_TAG = re.compile(r"<[^>]+>")
TRANSFER_RESULT_TIMEOUT = 60.0


SAY_AGAIN_PROMPT = "speech.say_again"
"""What a caller hears when their utterance could not be recognised (recognition failed, timed out or was
shed under load): a fixed prompt, so its audio is rendered before /readyz answers 200."""


def ssml_to_text(ssml: str) -> str:
    """Visible words of an SSML string (for transcripts)."""
    return re.sub(r"\s+", " ", _SSML_TAG.sub(" ", ssml)).strip()


def spoken(activity: Activity, locale: str) -> Say:
    """A bot message as the prompt the pipeline plays."""
    speech = activity.speak or activity.text or ""
    return Say(
        text=speech,
        locale=activity.locale or locale,
        hint=InputHint.parse(activity.input_hint),
        display_text=activity.text or ssml_to_text(speech),
    )


def say_again_prompt(replies: Any) -> Callable[[str], Say] | None:
    """The call's "could you say that again?" in a locale, from the app's replies (None without them)."""
    if replies is None:
        return None

    def prompt(locale: str) -> Say:
        return spoken(replies.ask(locale, SAY_AGAIN_PROMPT), locale)

    return prompt


class CallBridge:
    """Implements the pipeline's CallHandler; ``deliver`` receives what the bot sends."""

    def __init__(
        self,
        record: CallRecord,
        adapter: CallAdapter,
        bot: Any,
        control: CallControl,
        locale: str,
    ) -> None:
        self.record = record
        self.adapter = adapter
        self.bot = bot
        self.control = control
        self.locale = locale
        self.pipeline: CallPipeline | None = None
        self.ended = False
        self.received: list[Activity] = []
        """Activities the bot received (tests and diagnostics; no audio)."""
        self.sent: list[Activity] = []
        self._transfer_done: asyncio.Future[tuple[str, str]] | None = None
        self._waiter: asyncio.Task[None] | None = None

    @property
    def call_id(self) -> str:
        return self.record.call_id

    def attach(self, pipeline: CallPipeline) -> None:
        self.pipeline = pipeline
        pipeline.locale = self.locale

    # ---- caller -> bot ---------------------------------------------------------------------------
    def _activity(self, activity_type: str, **fields: Any) -> Activity:
        return Activity(
            type=activity_type,
            id=str(uuid.uuid4()),
            channel_id=CHANNEL_ID,
            service_url=SERVICE_URL,
            timestamp=datetime.now(UTC),
            from_property=ChannelAccount(id=self.record.caller, name=self.record.caller),
            recipient=BOT_ACCOUNT,
            conversation=ConversationAccount(id=self.call_id),
            channel_data=acs_channel_data(self.record.connection_id, self.record.server_call_id),
            locale=fields.pop("locale", self.locale),
            **fields,
        )

    async def _turn(self, activity: Activity) -> None:
        self.received.append(activity)
        await self.adapter.process_call_activity(activity, self.bot.on_turn)

    async def start_call(self) -> None:
        """Call start: a conversationUpdate with the caller added (the bot greets there)."""
        await self._turn(
            self._activity(
                ActivityTypes.conversation_update,
                members_added=[ChannelAccount(id=self.record.caller, name=self.record.caller)],
            )
        )

    async def on_utterance(self, text: str, language: str) -> None:
        if language:
            self.locale = language
        await self._turn(self._activity(ActivityTypes.message, text=text, locale=language or self.locale))

    async def on_dtmf(self, digits: str) -> None:
        await self._turn(self._activity(ActivityTypes.message, text=digits, entities=[Entity(type="DTMF")]))

    async def on_silence_timeout(self, count: int) -> None:
        await self._turn(self._activity(ActivityTypes.event, name=SILENCE_TIMEOUT, value={"count": count}))

    async def on_speech_unrecognised(self, count: int) -> None:
        await self._turn(
            self._activity(ActivityTypes.event, name=SPEECH_UNRECOGNISED, value={"count": count})
        )

    async def end(self, reason: str = "caller_hangup") -> None:
        """The call is over (caller hung up, media failed): tell the bot once, stop the pipeline.
        Called by the registry (``CallRegistry.end``), which then forgets the call."""
        if self.pipeline is not None:
            await self.pipeline.close()
        if self._waiter is not None:
            self._waiter.cancel()
        if self.ended:
            return
        self.ended = True
        self.record.state = CallState.DISCONNECTED
        try:
            await self._turn(
                self._activity(
                    ActivityTypes.end_of_conversation,
                    code=EndOfConversationCodes.completed_successfully,
                    text=reason,
                )
            )
        finally:
            log.info("call ended", extra={"call_id": self.call_id, "reason": reason})

    def transfer_result(self, state: str, message: str) -> None:
        """CallTransferAccepted / CallTransferFailed from the events webhook."""
        if self._transfer_done is not None and not self._transfer_done.done():
            self._transfer_done.set_result((state, message))

    # ---- bot -> caller ---------------------------------------------------------------------------
    def deliver(self, activity: Activity) -> None:
        """Called by the adapter for each outgoing activity; queues speech or a call action."""
        self.sent.append(activity)
        pipeline = self.pipeline
        if pipeline is None or self.ended:
            return
        if activity.type == ActivityTypes.message and (activity.speak or activity.text):
            if activity.locale and activity.locale != pipeline.locale:
                # The bot switched language (caller asked for it): follow it for STT as well as TTS.
                self.locale = pipeline.locale = activity.locale
                pipeline.locale_known = True
            state = caller_state_of(activity.channel_data)
            if state is not None:
                asyncio.get_running_loop().create_task(pipeline.sink.send_event("Caller", {"state": state}))
            pipeline.say(spoken(activity, self.locale))
        elif activity.type == ActivityTypes.event and activity.name == "handoff.initiate":
            value = activity.value if isinstance(activity.value, dict) else {}
            pipeline.act(CallAction("transfer", lambda: self._transfer(value)))
        elif activity.type == ActivityTypes.end_of_conversation:
            pipeline.act(CallAction("hang_up", self._hang_up))

    async def _transfer(self, value: dict[str, Any]) -> None:
        target = str(
            value.get("TargetParticipant")
            or value.get("TargetPhoneNumber")
            or value.get("targetPhoneNumber")
            or ""
        )
        handoff_id = str(value.get("HandoffId") or value.get("handoffId") or "")
        reason = str(value.get("Reason") or value.get("reason") or "")
        if not is_transfer_target(target):
            await self._report_transfer(
                "failed", "transfer target is not an E.164 number or a Teams/ACS user"
            )
            return
        self.record.state = CallState.TRANSFERRING
        loop = asyncio.get_running_loop()
        self._transfer_done = loop.create_future()
        try:
            immediate = await self.control.transfer(target, handoff_id, reason)
        except CallControlError as exc:
            await self._report_transfer("failed", str(exc))
            return
        if immediate is not None:
            await self._report_transfer(immediate, "transfer completed")
            return
        self._waiter = asyncio.create_task(self._await_transfer(self._transfer_done))

    async def _await_transfer(self, done: asyncio.Future[tuple[str, str]]) -> None:
        try:
            async with asyncio.timeout(TRANSFER_RESULT_TIMEOUT):
                state, message = await done
        except TimeoutError:
            state, message = "failed", "no transfer outcome from Call Automation"
        await self._report_transfer(state, message)

    async def _report_transfer(self, state: str, message: str) -> None:
        """Tell the bot (as a turn of its own, after any turn in progress)."""
        self.record.state = CallState.TRANSFERRED if state == "completed" else CallState.CONNECTED
        log.info("transfer %s", state, extra={"call_id": self.call_id})
        activity = self._activity(
            ActivityTypes.event, name="handoff.status", value={"state": state, "message": message}
        )
        if self.pipeline is not None and not self.pipeline.closed:
            self.pipeline.run_turn(lambda: self._turn(activity))
        else:
            await self._turn(activity)

    async def _hang_up(self) -> None:
        self.ended = True  # the bot ended it: no endOfConversation back to the bot
        self.record.state = CallState.DISCONNECTED
        # The socket closing (softphone) or CallDisconnected (ACS) then ends the call in the registry.
        try:
            await self.control.hang_up()
        except CallControlError as exc:
            log.error("hang-up failed: %s", exc, extra={"call_id": self.call_id})
