"""The rotation function rotates the CRM key on a near-expiry event without breaking the bot's cached key.

The real SecretClient (bearer challenge, secret versions) and the function's ARM pipeline run against a
transport that answers like Key Vault and API Management (tests/support/fake_key_vault_apim.py).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.keyvault.secrets.aio import SecretClient

from tests.support.fake_key_vault_apim import FakeCredential, FakeKeyVaultAndApim

ROOT = Path(__file__).resolve().parents[1]
VAULT = "https://contosovb-prod-kv-abc123.vault.azure.net"
SUBSCRIPTION = (
    "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/contoso-voicebot-prod"
    "/providers/Microsoft.ApiManagement/service/contosovb-prod-apim-abc123/subscriptions/voicebot"
)


def _load_rotation():
    path = ROOT / "deploymentTemplates" / "rotation" / "crm_key_rotation.py"
    spec = importlib.util.spec_from_file_location("crm_key_rotation", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["crm_key_rotation"] = module
    spec.loader.exec_module(module)
    return module


rotation = _load_rotation()


def _event(name: str, version: str, event_type: str = rotation.NEAR_EXPIRY) -> tuple[str, dict]:
    """The ``data`` of a Key Vault event as Event Grid delivers it (PascalCase fields)."""
    return event_type, {
        "Id": f"{VAULT}/secrets/{name}/{version}",
        "VaultName": "contosovb-prod-kv-abc123",
        "ObjectType": "Secret",
        "ObjectName": name,
        "Version": version,
        "NBF": None,
        "EXP": 1767225600,
    }


@pytest.fixture
def azure():
    fake = FakeKeyVaultAndApim(VAULT, SUBSCRIPTION)
    return fake


async def _run(azure: FakeKeyVaultAndApim, event: tuple[str, dict], now: datetime | None = None):
    settings = rotation.RotationSettings(apim_subscription_id=SUBSCRIPTION)
    credential = FakeCredential()
    apim = rotation.ApimSubscriptionKeys(SUBSCRIPTION, credential, transport=azure)
    async with SecretClient(VAULT, credential, transport=azure) as secrets:
        try:
            return await rotation.handle_event(*event, settings, secrets, apim, now=now)
        finally:
            await apim.close()


async def test_near_expiry_regenerates_the_spare_key_and_stores_it(azure) -> None:
    bot_key = azure.apim_keys["primary"]
    version = azure.put_secret("crm-subscription-key", bot_key)
    now = datetime(2026, 12, 1, tzinfo=UTC)

    outcome = await _run(azure, _event("crm-subscription-key", version), now)

    assert outcome.action == "rotated" and outcome.key == "secondary"
    stored = azure.current("crm-subscription-key")
    assert stored["value"] == azure.apim_keys["secondary"] != bot_key
    assert azure.apim_keys["primary"] == bot_key  # the key the bot still has cached keeps working
    assert stored["attributes"]["exp"] == int((now + timedelta(days=180)).timestamp())
    assert stored["contentType"] == "text/plain; apim-subscription-key"
    assert stored["tags"] == {"rotated-by": "crm-key-rotation", "apim-key": "secondary"}
    arm = [r for r in azure.requests if "management.azure.com" in r["url"]]
    assert [r["url"].split("/")[-1].split("?")[0] for r in arm if r["headers"].get("Authorization")] == [
        "listSecrets",
        "regenerateSecondaryKey",
        "listSecrets",
    ]
    assert all("api-version=2022-08-01" in r["url"] for r in arm)


async def test_the_next_rotation_regenerates_the_other_key(azure) -> None:
    first = azure.put_secret("crm-subscription-key", azure.apim_keys["primary"])
    await _run(azure, _event("crm-subscription-key", first))
    bot_key = azure.apim_keys["secondary"]

    outcome = await _run(
        azure, _event("crm-subscription-key", azure.current("crm-subscription-key")["version"])
    )

    assert outcome.key == "primary"
    assert azure.current("crm-subscription-key")["value"] == azure.apim_keys["primary"]
    assert azure.apim_keys["secondary"] == bot_key


async def test_a_repeated_delivery_changes_nothing(azure) -> None:
    first = azure.put_secret("crm-subscription-key", azure.apim_keys["primary"])
    await _run(azure, _event("crm-subscription-key", first))
    keys_after_rotation = dict(azure.apim_keys)
    versions = len(azure.versions["crm-subscription-key"])

    outcome = await _run(azure, _event("crm-subscription-key", first))  # Event Grid delivers at least once

    assert outcome.action == "stale"
    assert azure.apim_keys == keys_after_rotation  # the key the bot now uses was not regenerated
    assert len(azure.versions["crm-subscription-key"]) == versions


async def test_other_secrets_are_left_to_their_owners(azure) -> None:
    version = azure.put_secret("event-grid-secret", "shared-secret")

    outcome = await _run(azure, _event("event-grid-secret", version))

    assert outcome.action == "ignored"
    assert not [r for r in azure.requests if "management.azure.com" in r["url"]]
    assert azure.current("event-grid-secret")["value"] == "shared-secret"


async def test_a_vault_out_of_step_with_apim_gets_a_fresh_secondary(azure) -> None:
    version = azure.put_secret("crm-subscription-key", "a-key-apim-no-longer-knows")

    outcome = await _run(azure, _event("crm-subscription-key", version, rotation.EXPIRED))

    assert outcome.key == "secondary"
    assert azure.current("crm-subscription-key")["value"] == azure.apim_keys["secondary"]


async def test_a_regeneration_that_did_not_happen_stores_nothing(azure) -> None:
    version = azure.put_secret("crm-subscription-key", azure.apim_keys["primary"])
    azure.regenerate_is_noop = True

    with pytest.raises(rotation.RotationError, match="did not regenerate the secondary key"):
        await _run(azure, _event("crm-subscription-key", version))

    assert len(azure.versions["crm-subscription-key"]) == 1


async def test_the_new_key_reaches_key_vault_with_the_token_and_nowhere_else(azure) -> None:
    version = azure.put_secret("crm-subscription-key", azure.apim_keys["primary"])

    await _run(azure, _event("crm-subscription-key", version))

    new_key = azure.apim_keys["secondary"]
    carrying = [r for r in azure.requests if r["body"] and new_key in str(r["body"])]
    assert [(r["method"], r["url"].split("?")[0]) for r in carrying] == [
        ("PUT", f"{VAULT}/secrets/crm-subscription-key")
    ]
    assert carrying[0]["headers"]["Authorization"] == "Bearer fake-token"  # after the SDK's challenge


def test_the_template_wires_vault_events_to_this_function() -> None:
    """Event types, function name, settings and secret name in rotation.bicep are the code's own."""
    import re

    template = (ROOT / "deploymentTemplates" / "modules" / "rotation.bicep").read_text()
    entry = (ROOT / "deploymentTemplates" / "rotation" / "function_app.py").read_text()
    secrets_bicep = (ROOT / "deploymentTemplates" / "modules" / "keyVaultSecrets.bicep").read_text()
    assert re.search(r"var functionName = '(\w+)'", template)[1] in re.findall(
        r'function_name\("(\w+)"\)', entry
    )
    events = re.search(r"includedEventTypes: \[\n(.*?)\n      \]", template, re.DOTALL)[1].split()
    assert [e.strip("'") for e in events] == [rotation.NEAR_EXPIRY, rotation.EXPIRED]
    names = set(re.findall(r"name: 'ROTATION_(\w+)'", template))
    fields = {f.upper() for f in rotation.RotationSettings.model_fields}
    required = {n.upper() for n, f in rotation.RotationSettings.model_fields.items() if f.is_required()}
    assert required <= names <= fields
    secret = rotation.RotationSettings.model_fields["secret_name"].default
    assert f"name: '{secret}'" in template and f"name: '{secret}'" in secrets_bicep
    assert "scope: crmSecret" in template and "scope: apimSubscription" in template
