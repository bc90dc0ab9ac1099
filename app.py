"""Wiring only: settings -> services -> bot -> adapter -> routes. Run: `python app.py`."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from aiohttp import web
from botbuilder.core import ConversationState, Storage, TurnContext, UserState
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from adapters.acs.busy_line import BUSY_PROMPT
from adapters.acs.routes import add_call_routes
from adapters.adapter_setup import AdapterSetup, adapter_setup
from adapters.app_keys import ADMISSION_KEY, SERVICES_KEY
from adapters.bot_adapter import close_adapter, create_adapter
from adapters.messages_endpoint import messages_handler
from adapters.store_outage import StoreOutageResponder
from bots.call_start import GREETING_PROMPT
from bots.voice_bot import VoiceBot
from config import Settings, get_settings
from core.admission import AdmissionControl
from core.observability.access_log import RedactedAccessLogger
from core.observability.history import MetricsHistory
from core.observability.logging_setup import setup_logging
from core.observability.metrics import VoicebotMetrics
from core.observability.telemetry import RedactingTelemetryClient, configure_telemetry
from core.observability.timing import TimedBackend
from core.privacy.pseudonym import CallerPseudonyms
from core.ratelimit import LanguageModelRateLimiter
from core.secrets.key_vault import keep_secrets_fresh
from core.security.client_address import TrustedProxies
from core.security.http_hardening import harden, server_options
from core.security.production import UnsafeConfiguration, ensure_safe_to_run
from core.security.service_urls import ServiceUrlPolicy
from dialogs.call_session import SessionAccessor
from dialogs.deps import DialogDeps
from dialogs.main_dialog import MainDialog
from dialogs.registry import registered_intents
from dialogs.replies import Replies
from locales.catalogue import Catalogue
from recognizers.base import CallerRecognizer
from recognizers.factory import create_recognizer
from services.audit.base import AuditTrail
from services.audit.factory import create_audit_trail
from services.crm.audited import AuditedCrm
from services.crm.base import Crm
from services.crm.cached import CallScopedCrm
from services.crm.factory import create_crm
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.factory import build_handoff
from services.knowledge.base import Knowledge
from services.knowledge.factory import create_knowledge
from services.speech.base import SpeechToText, TextToSpeech
from services.speech.factory import create_stt, create_tts
from storage.conversation_state import ConversationStateFlattenedOnce
from storage.factory import close_storage, create_storage
from storage.pin_lockout import PinLockout
from storage.turn_serializer import create_conversation_locks
from voice.prompt_cache import PromptAudioCache
from voice.recent_recognitions import RecentRecognitions
from web.console_auth import ConsoleAuth
from web.console_routes import add_agent_routes, signed_in
from web.easy_auth import EasyAuth
from web.metrics_routes import add_routes as add_observability_routes

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything built from settings, shared by the routes (reachable as ``app["services"]``)."""

    settings: Settings
    storage: Storage
    conversation_state: ConversationState
    user_state: UserState
    crm: Crm
    audit: AuditTrail
    recognizer: CallerRecognizer
    knowledge: Knowledge | None
    handoff: EmbeddedHandoffService
    replies: Replies
    bot: VoiceBot
    adapter_setup: AdapterSetup
    """Middleware and error handling shared by every adapter (Bot Framework and ACS calls)."""
    adapter: CloudAdapter
    metrics: VoicebotMetrics
    stt: SpeechToText
    tts: TextToSpeech

    async def close(self) -> None:
        await close_adapter(self.adapter)
        await self.handoff.aclose()
        await self.crm.close()
        await self.audit.close()
        await close_storage(self.storage)


async def build_services(settings: Settings, recognizer: CallerRecognizer | None = None) -> Services:
    """Build every backend from settings; a ready ``recognizer`` may be passed in (tests share one)."""
    storage = create_storage(settings)
    conversation_state, user_state = ConversationStateFlattenedOnce(storage), UserState(storage)
    replies = Replies(
        Catalogue.load(default_locale=settings.default_locale),
        {locale: settings.voice_for(locale) for locale in settings.supported_locales},
    )
    # Calls, outcomes, handoffs and latency by minute in the state store: the dashboard's history and
    # escalation figures survive a restart and add up across instances.
    metrics = VoicebotMetrics(
        escalation_window_seconds=settings.handoff.escalation_window_seconds, history=MetricsHistory(storage)
    )
    telemetry = configure_telemetry(settings, metrics)
    audit = create_audit_trail(settings)
    # Every read or write of customer data is audited; caller lookups are cached for the call.
    crm = cast(Crm, TimedBackend(AuditedCrm(CallScopedCrm(create_crm(settings)), audit), metrics, "crm"))
    # Shared by the bot and the voice path's turn completion: words judged at a pause are recognised once
    # per call.
    recognizer = RecentRecognitions(
        recognizer or create_recognizer(settings, registered_intents(), telemetry)
    )
    knowledge = create_knowledge(settings, on_llm_usage=metrics.record_llm_tokens)
    knowledge.index = TimedBackend(knowledge.index, metrics, "retrieval")
    knowledge.generator = TimedBackend(knowledge.generator, metrics, "llm")
    # Train the intent model and load (or build) the knowledge index before the first call.
    await asyncio.gather(recognizer.warm_up(), knowledge.warm_up())
    stt = create_stt(settings)  # engines load on the first call
    tts = PromptAudioCache(create_tts(settings), replies.fixed_speech())
    # The greeting and the busy message, in every language, play from memory from the first call on (the
    # other fixed prompts are rendered by the speech warm-up, before /readyz answers 200).
    await tts.prerender(replies.fixed_prompts((GREETING_PROMPT, BUSY_PROMPT)))
    handoff = build_handoff(
        settings, storage, stt=stt, telemetry=telemetry, on_llm_usage=metrics.record_llm_tokens
    )
    await handoff.store.ensure_index()
    if handoff.monitor is not None:
        handoff.monitor.restore(await metrics.history.ended_calls(handoff.monitor.window_seconds))
        handoff.monitor.on_call(metrics.history.call_escalated)
        metrics.use_escalation_source(handoff.monitor.rate, handoff.monitor.counts)
    deps = DialogDeps(
        replies=replies,
        crm=crm,
        sessions=SessionAccessor(conversation_state),
        recognizer=recognizer,
        routing=settings.routing,
        handoff=handoff,
        # Wrong PINs are counted per customer across calls and instances, in the state store.
        pin_lockout=PinLockout(storage, create_conversation_locks(settings, storage), settings.pin_lockout),
        audit=audit,
        knowledge=knowledge,
        recording_enabled=settings.handoff.record_on_transfer,
        llm_limiter=LanguageModelRateLimiter(
            settings.llm_limits.per_caller,
            settings.llm_limits.per_instance,
            settings.llm_limits.window_seconds,
            telemetry=telemetry,
            metrics=metrics,
        ),
        caller_pseudonyms=CallerPseudonyms(settings.pin_lockout.subject_key.get_secret_value().encode()),
    )
    # Bot Framework telemetry (activities, waterfall steps), with phone numbers and transcripts kept out.
    telemetry_client = RedactingTelemetryClient(telemetry)
    main_dialog = MainDialog(deps)
    main_dialog.telemetry_client = telemetry_client
    bot = VoiceBot(deps, main_dialog, conversation_state, user_state, metrics)

    async def apology(turn_context: TurnContext) -> Activity:
        session = await deps.sessions.get(turn_context)
        return replies.say(session.locale, "error.apology")

    store_outage = StoreOutageResponder(replies, settings.handoff.agent_phone_number, telemetry)
    setup = adapter_setup(settings, storage, conversation_state, telemetry_client, apology, store_outage)
    adapter = create_adapter(settings, setup)
    return Services(
        settings,
        storage,
        conversation_state,
        user_state,
        crm,
        audit,
        recognizer,
        knowledge,
        handoff,
        replies,
        bot,
        setup,
        adapter,
        metrics,
        stt,
        tts,
    )


SPEECH_WARM_KEY = web.AppKey("speech_warm", asyncio.Event)
"""Set once the speech models are loaded (or warm-up is off): /readyz answers 503 until then."""


async def _warm_up_speech(services: Services, warm: asyncio.Event) -> None:
    """Load the speech models and render the fixed prompts after start-up (the whisper model is 145 MB)
    without delaying it."""
    warm_up = getattr(services.stt, "warm_up", None)
    if warm_up is not None:
        try:
            await warm_up()
        except Exception:
            logger.warning("speech warm-up failed", exc_info=True)
            return
    prerender = getattr(services.tts, "prerender", None)
    if prerender is not None:
        started = time.monotonic()
        rendered = await prerender(services.replies.fixed_prompts())
        logger.info(
            "fixed prompts rendered",
            extra={"prompts": rendered, "seconds": round(time.monotonic() - started, 1)},
        )
    warm.set()


async def readyz(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES_KEY]
    # NLU and the knowledge index are warmed in build_services, before the app serves at all.
    checks: dict[str, bool] = {"speech": request.app[SPEECH_WARM_KEY].is_set()}
    for name, backend in (("crm", services.crm), ("storage", services.storage)):
        ping = getattr(backend, "ping", None)
        try:
            checks[name] = bool(await ping()) if ping else True
        except Exception:
            checks[name] = False
    ready = all(checks.values())
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


async def create_app(
    settings: Settings | None = None, recognizer: CallerRecognizer | None = None
) -> web.Application:
    settings = settings or get_settings()
    ensure_safe_to_run(settings)  # production mode: no open doors
    services = await build_services(settings, recognizer)
    app = web.Application(client_max_size=settings.max_body_bytes)
    proxies = TrustedProxies.from_settings(settings.security)
    harden(app, settings.security, proxies)  # body timeout, HSTS, no version in Server
    app[SERVICES_KEY] = services
    app[SPEECH_WARM_KEY] = speech_warm = asyncio.Event()
    if not settings.voice.warm_up_speech:
        speech_warm.set()  # chosen: the models load on the first call
    admission = AdmissionControl(settings.admission)
    app[ADMISSION_KEY] = admission
    handler = messages_handler(
        services.adapter,
        services.bot,
        ServiceUrlPolicy.from_settings(settings),
        require_token=not settings.is_anonymous,
        admission=admission,
    )
    app.router.add_post("/api/messages", handler)
    app.router.add_get("/api/messages", handler)
    app.router.add_get("/readyz", readyz)
    # /healthz; /metrics and /dashboard need a console session
    add_observability_routes(app, services.metrics, signed_in=signed_in)
    # ACS: /api/calls/incoming, /api/calls/events, /ws/media, /softphone
    add_call_routes(app, services.adapter_setup)
    console_auth = ConsoleAuth.from_settings(
        settings.handoff.console_user,
        settings.handoff.console_password.get_secret_value(),
        production=settings.is_production,
    )
    easy_auth = EasyAuth(enabled=settings.handoff.easy_auth, role=settings.handoff.agent_role)
    add_agent_routes(app, services.handoff, console_auth, proxies=proxies, easy_auth=easy_auth)

    async def start_background(_: web.Application) -> AsyncIterator[None]:
        background = [
            asyncio.create_task(keep_secrets_fresh()),
            asyncio.create_task(services.metrics.history.run_flusher()),
        ]
        if settings.voice.warm_up_speech:
            background.append(asyncio.create_task(_warm_up_speech(services, speech_warm)))
        async with admission.running():  # samples event-loop lag for load shedding
            yield
        for task in background:
            task.cancel()
        await services.metrics.history.flush()
        await services.close()

    app.cleanup_ctx.append(start_background)
    return app


def main() -> None:
    settings = get_settings()
    try:
        ensure_safe_to_run(settings)
    except UnsafeConfiguration as refusal:
        print(refusal, file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    setup_logging(settings)
    base = f"http://localhost:{settings.port}"
    print(
        f"Contoso voicebot: {base}/api/messages (Bot Framework Emulator)\n"
        f"  softphone:      {base}/softphone\n"
        f"  agent console:  {base}/agent\n"
        f"  dashboard:      {base}/dashboard",
        flush=True,
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=RedactedAccessLogger,
        **server_options(settings.security),
    )


if __name__ == "__main__":
    main()
