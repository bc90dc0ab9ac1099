"""The settings object: embedded by default, switched by environment alone, documented in .env.example."""

from __future__ import annotations

from config import (
    PROJECT_ROOT,
    CrmBackend,
    RecognizerBackend,
    Settings,
    StorageBackend,
    environment_variables,
)

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def _documented() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and line[0] != "#")
    return {name: value for name, value in pairs}


def test_fresh_settings_mean_embedded_and_anonymous(monkeypatch):
    for name, _ in environment_variables():
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.recognizer is RecognizerBackend.EMBEDDED
    assert settings.crm is CrmBackend.EMBEDDED
    assert settings.storage is StorageBackend.SQLITE
    assert settings.is_anonymous and settings.port == 3978


def test_environment_alone_switches_to_azure(monkeypatch):
    monkeypatch.setenv("RECOGNIZER", "clu")
    monkeypatch.setenv("CLU__ENDPOINT", "https://contoso-lang.cognitiveservices.azure.com")
    monkeypatch.setenv("CLU__KEY", "not-a-real-key")
    monkeypatch.setenv("MicrosoftAppId", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("STORAGE", "redis")
    settings = Settings(_env_file=None)
    assert settings.recognizer is RecognizerBackend.CLU
    assert settings.clu.endpoint.startswith("https://contoso-lang")
    assert settings.clu.key.get_secret_value() == "not-a-real-key"
    assert "not-a-real-key" not in repr(settings)
    assert not settings.is_anonymous and settings.storage is StorageBackend.REDIS


def test_every_setting_is_documented_in_env_example():
    documented = _documented()
    missing = [name for name, _ in environment_variables() if name not in documented]
    unknown = set(documented) - {name for name, _ in environment_variables()}
    assert not missing, f"add to .env.example: {missing}"
    assert not unknown, f"no such setting: {unknown}"


def test_env_example_loads_as_the_defaults(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    for name, _ in environment_variables():
        monkeypatch.delenv(name, raising=False)
    from_example = Settings(_env_file=ENV_EXAMPLE)
    defaults = Settings(_env_file=None)
    assert from_example.recognizer == defaults.recognizer
    assert from_example.routing == defaults.routing
    assert from_example.handoff.model_dump() == defaults.handoff.model_dump()
    assert from_example.supported_locales == defaults.supported_locales
