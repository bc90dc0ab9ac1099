"""ACS Call Automation with managed identity: ACS__ENDPOINT alone gives a client that signs with Entra ID."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from config import AcsSettings, Settings
from services.call_automation import call_automation_client
from services.recording.azure_recording import AcsRecorder
from services.recording.factory import build_recorder
from tests.support.fake_acs import CONNECTION_STRING, FakeCallAutomationService

ENDPOINT = "https://contoso.communication.azure.com"


class ManagedIdentity:
    """An async TokenCredential, as azure.identity.aio's ManagedIdentityCredential answers."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        return SimpleNamespace(token="mi-access-token", expires_on=4_000_000_000)

    async def close(self) -> None:
        return None


async def test_endpoint_without_a_key_answers_calls_with_an_entra_bearer_token() -> None:
    acs, identity = FakeCallAutomationService(), ManagedIdentity()
    client = call_automation_client(AcsSettings(endpoint=ENDPOINT), identity, transport=acs.transport)

    answered = await client.answer_call("eyJhbGciOi.fake-context", "https://bot.example.com/api/calls/events")

    assert answered.call_connection_id == "conn-1"
    [sent] = acs.requests
    assert sent["url"].startswith(f"{ENDPOINT}/calling/callConnections:answer")
    assert sent["headers"]["Authorization"] == "Bearer mi-access-token"
    assert "x-ms-content-sha256" not in {k.lower() for k in sent["headers"]}  # no access-key HMAC
    assert identity.scopes == [("https://communication.azure.com//.default",)]


async def test_a_connection_string_still_signs_with_the_access_key() -> None:
    acs = FakeCallAutomationService()
    settings = AcsSettings(connection_string=SecretStr(CONNECTION_STRING), endpoint=ENDPOINT)
    client = call_automation_client(settings, ManagedIdentity(), transport=acs.transport)
    await client.answer_call("ctx", "https://bot.example.com/api/calls/events")
    headers = {k.lower(): v for k, v in acs.requests[0]["headers"].items()}
    assert headers["authorization"].startswith("HMAC-SHA256") and "x-ms-content-sha256" in headers


def test_no_acs_settings_mean_no_phone_calls_and_the_embedded_recorder(tmp_path) -> None:
    assert call_automation_client(AcsSettings()) is None
    assert not isinstance(build_recorder(Settings(_env_file=None, data_dir=tmp_path)), AcsRecorder)
    with_identity = Settings(_env_file=None, data_dir=tmp_path, acs=AcsSettings(endpoint=ENDPOINT))
    assert isinstance(build_recorder(with_identity), AcsRecorder)
