"""Key Vault references in settings: parsed, fetched over SecretClient's real protocol, cached 5 min."""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse

from config import Settings
from core.observability.logging_setup import configure_logging
from core.secrets.key_vault import (
    KeyVaultReference,
    KeyVaultReferenceError,
    SecretsResolver,
    SettingsSecretResolver,
    parse_reference,
)

VAULT = "https://contoso-kv-dev.vault.azure.net"
SECRETS = {"clu-key": "clu-value-1", "openai-key": "openai-value-1"}


class FakeKeyVault(HttpTransport):
    """Answers like Key Vault: 401 + Bearer challenge without a token, then the secret bundle JSON."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.requests: list[Any] = []
        self.fail = False

    def _respond(self, request: Any, status: int, body: dict[str, Any], headers: dict[str, str]) -> Any:
        raw = requests.Response()
        raw.status_code = status
        raw._content = json.dumps(body).encode()
        raw.headers.update({"Content-Type": "application/json; charset=utf-8", **headers})
        raw.url = request.url
        raw.reason = "OK" if status == 200 else "Error"
        raw._content_consumed = True
        return RestRequestsTransportResponse(request=request, internal_response=raw)

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append(request)
        if not request.headers.get("Authorization"):
            challenge = (
                'Bearer authorization="https://login.microsoftonline.com/'
                '00000000-0000-0000-0000-000000000001", '
                'resource="https://vault.azure.net"'
            )
            return self._respond(
                request, 401, {"error": {"code": "Unauthorized"}}, {"WWW-Authenticate": challenge}
            )
        if self.fail:
            return self._respond(request, 503, {"error": {"code": "ServiceUnavailable", "message": "x"}}, {})
        path = request.url.split("?", 1)[0]
        name = path.split("/secrets/", 1)[1].split("/")[0]
        if name not in self.secrets:
            body = {
                "error": {
                    "code": "SecretNotFound",
                    "message": f"A secret with (name/id) {name} was not found",
                }
            }
            return self._respond(request, 404, body, {})
        body = {
            "value": self.secrets[name],
            "id": f"{VAULT}/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79",
            "attributes": {"enabled": True, "created": 1493938410, "updated": 1493938410,
                           "recoveryLevel": "Recoverable+Purgeable"},
            "tags": {},
        }  # fmt: skip
        return self._respond(request, 200, body, {})

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args: Any) -> None:
        pass


class FakeCredential:
    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def vault() -> FakeKeyVault:
    return FakeKeyVault(dict(SECRETS))


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def resolver(vault: FakeKeyVault, clock: Clock) -> SecretsResolver:
    return SecretsResolver(credential=FakeCredential(), transport=vault, clock=clock, retry_total=0)


def test_both_reference_forms_are_parsed() -> None:
    assert parse_reference(f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key/)") == KeyVaultReference(
        VAULT, "clu-key"
    )
    assert (
        parse_reference(f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key/abc123)").version == "abc123"
    )
    ref = parse_reference("@Microsoft.KeyVault(VaultName=contoso-kv-dev;SecretName=clu-key;SecretVersion=v1)")
    assert ref == KeyVaultReference(VAULT, "clu-key", "v1")
    for bad in (
        "@Microsoft.KeyVault(SecretUri=http://evil.example.com/secrets/x)",
        "@Microsoft.KeyVault(Foo)",
    ):
        with pytest.raises(KeyVaultReferenceError):
            parse_reference(bad)


def test_secret_is_fetched_with_the_challenge_flow_and_a_bearer_token(
    resolver: SecretsResolver, vault: FakeKeyVault
) -> None:
    value = resolver.resolve(f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key/)")
    assert value == "clu-value-1"
    authed = [r for r in vault.requests if r.headers.get("Authorization")]
    assert authed[-1].headers["Authorization"] == "Bearer fake-token"
    assert authed[-1].method == "GET"
    assert authed[-1].url.startswith(f"{VAULT}/secrets/clu-key")
    assert "api-version=" in authed[-1].url


def test_value_is_cached_for_five_minutes_then_refreshed(
    resolver: SecretsResolver, vault: FakeKeyVault, clock: Clock
) -> None:
    ref = f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key)"
    assert resolver.resolve(ref) == "clu-value-1"
    vault.secrets["clu-key"] = "clu-value-2"  # rotated in the vault
    clock.now += 299
    assert resolver.resolve(ref) == "clu-value-1"
    assert resolver.fetches == 1
    clock.now += 2
    assert resolver.resolve(ref) == "clu-value-2"
    assert resolver.fetches == 2


def test_failed_refresh_keeps_the_last_good_value(
    resolver: SecretsResolver, vault: FakeKeyVault, clock: Clock
) -> None:
    ref = f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key)"
    assert resolver.resolve(ref) == "clu-value-1"
    vault.fail = True
    clock.now += 301
    assert resolver.resolve(ref) == "clu-value-1"


def test_missing_secret_raises_a_named_error_without_values(resolver: SecretsResolver) -> None:
    with pytest.raises(KeyVaultReferenceError) as info:
        resolver.resolve(f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/nope)")
    assert "nope" in str(info.value)


def test_settings_references_are_resolved_in_nested_and_secret_fields(
    monkeypatch: pytest.MonkeyPatch, resolver: SecretsResolver, clock: Clock, vault: FakeKeyVault
) -> None:
    monkeypatch.setenv("CLU__KEY", f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key/)")
    monkeypatch.setenv(
        "AZURE_OPENAI__KEY", "@Microsoft.KeyVault(VaultName=contoso-kv-dev;SecretName=openai-key)"
    )
    monkeypatch.setenv("CLU__ENDPOINT", "https://contoso-lang.cognitiveservices.azure.com")
    raw = Settings(_env_file=None)
    resolve = SettingsSecretResolver(resolver)
    settings = resolve(raw)
    assert settings.clu.key.get_secret_value() == "clu-value-1"
    assert settings.azure_openai.key.get_secret_value() == "openai-value-1"
    assert settings.clu.endpoint == "https://contoso-lang.cognitiveservices.azure.com"
    assert resolve(raw) is settings  # cached copy while fresh
    vault.secrets["clu-key"] = "clu-value-2"
    clock.now += 301
    assert resolve(raw).clu.key.get_secret_value() == "clu-value-2"


def test_settings_without_references_never_touch_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding(SecretsResolver):
        def get(self, ref: KeyVaultReference) -> str:
            raise AssertionError("Key Vault contacted")

    raw = Settings(_env_file=None)
    assert SettingsSecretResolver(Exploding())(raw) is raw


def test_secret_values_never_reach_the_logs(
    resolver: SecretsResolver, vault: FakeKeyVault, clock: Clock
) -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", json_lines=True, stream=stream)
    try:
        ref = f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key)"
        resolver.resolve(ref)
        vault.fail = True
        clock.now += 301
        resolver.resolve(ref)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "key vault secret loaded" in stream.getvalue()
    assert "clu-value-1" not in stream.getvalue()


async def test_background_refresh_rereads_secrets_before_they_expire(
    monkeypatch: pytest.MonkeyPatch, resolver: SecretsResolver, vault: FakeKeyVault, clock: Clock
) -> None:
    import asyncio

    from core.secrets.key_vault import keep_secrets_fresh

    monkeypatch.setenv("CLU__KEY", f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/clu-key)")
    raw = Settings(_env_file=None)
    resolve = SettingsSecretResolver(resolver)
    assert resolve(raw).clu.key.get_secret_value() == "clu-value-1"
    vault.secrets["clu-key"] = "clu-value-2"
    clock.now += 250  # 50 s before expiry: inside the refresh-ahead margin
    task = asyncio.create_task(keep_secrets_fresh(0.01, resolve))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if resolver.fetches >= 2:
            break
    task.cancel()
    assert resolver.fetches >= 2
    fetches = resolver.fetches
    assert resolve(raw).clu.key.get_secret_value() == "clu-value-2"
    assert resolver.fetches == fetches  # the request path did not call Key Vault


async def test_background_refresh_returns_at_once_without_references() -> None:
    from core.secrets.key_vault import keep_secrets_fresh

    resolve = SettingsSecretResolver(SecretsResolver())
    resolve(Settings(_env_file=None))
    await keep_secrets_fresh(0.01, resolve)


def test_config_get_settings_returns_resolved_values(
    monkeypatch: pytest.MonkeyPatch, resolver: SecretsResolver
) -> None:
    import config
    import core.secrets.key_vault as key_vault

    monkeypatch.setenv("AZURE_SEARCH__KEY", f"@Microsoft.KeyVault(SecretUri={VAULT}/secrets/openai-key)")
    monkeypatch.setattr(key_vault, "_default", SettingsSecretResolver(resolver))
    config.get_settings.cache_clear()
    try:
        assert config.get_settings().azure_search.key.get_secret_value() == "openai-value-1"
        assert config.get_settings() is config.get_settings()
    finally:
        config.get_settings.cache_clear()
