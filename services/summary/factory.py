"""Chooses the summary generator from settings: embedded by default, Azure OpenAI by ``summarizer``."""

from __future__ import annotations

from config import GeneratorBackend, Settings
from core.observability.stages import UsageSink
from services.summary.base import Summarizer
from services.summary.embedded_summary import EmbeddedSummarizer


def build_summarizer(settings: Settings, on_usage: UsageSink | None = None) -> Summarizer:
    if settings.summarizer is not GeneratorBackend.AZURE_OPENAI:
        return EmbeddedSummarizer()
    from services.summary.azure_openai_summary import ENTRA_SCOPE, AzureOpenAISummarizer

    cfg = settings.azure_openai
    key = cfg.key.get_secret_value()
    token_provider = None
    if not key:
        from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

        token_provider = get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)
    return AzureOpenAISummarizer(
        endpoint=cfg.endpoint,
        deployment=cfg.chat_deployment,
        api_version=cfg.api_version,
        api_key=key,
        token_provider=token_provider,
        timeout_seconds=cfg.timeout_seconds,
        on_usage=on_usage,
    )
