"""Rotates the CRM's API Management subscription key when Key Vault reports its secret near expiry.

Two-key scheme: the vault holds the key the bot uses (one of the subscription's primary and secondary
keys). Rotation regenerates the *other* key and stores it as a new secret version, so the key the bot
still has cached (App Service re-reads Key Vault references within 24 hours) keeps working until the next
rotation, 180 days later. An event about a secret version that is no longer current is a repeat delivery
and changes nothing, so Event Grid's at-least-once delivery cannot regenerate the key the bot is using.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from azure.core import AsyncPipelineClient
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline.policies import (
    AsyncBearerTokenCredentialPolicy,
    AsyncRetryPolicy,
    HeadersPolicy,
    NetworkTraceLoggingPolicy,
)
from azure.core.rest import HttpRequest
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"
EXPIRED = "Microsoft.KeyVault.SecretExpired"
APIM_API_VERSION = "2022-08-01"


class RotationSettings(BaseSettings):
    """The function's settings: app settings ``ROTATION_*``, written by modules/rotation.bicep."""

    model_config = SettingsConfigDict(env_prefix="ROTATION_")

    secret_name: str = "crm-subscription-key"
    apim_subscription_id: str
    """ARM id of the APIM subscription whose keys rotate (…/service/<apim>/subscriptions/voicebot)."""
    validity_days: int = 180
    arm_endpoint: str = "https://management.azure.com"


class RotationError(Exception):
    """The key could not be rotated; the message names the step, never a key."""


class SecretStore(Protocol):
    """The slice of ``azure.keyvault.secrets.aio.SecretClient`` rotation uses."""

    async def get_secret(self, name: str, version: str | None = None, **kwargs: Any) -> Any: ...

    async def set_secret(self, name: str, value: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """What one event did: ``rotated`` (to ``key``: primary | secondary), ``stale`` or ``ignored``."""

    action: str
    secret: str
    key: str = ""
    version: str = ""


class ApimSubscriptionKeys:
    """The two keys of one API Management subscription, over ARM (listSecrets, regenerate*Key)."""

    def __init__(
        self,
        subscription_id: str,
        credential: AsyncTokenCredential,
        *,
        arm_endpoint: str = "https://management.azure.com",
        transport: Any = None,
    ) -> None:
        self._path = subscription_id.rstrip("/")
        self._endpoint = arm_endpoint.rstrip("/")
        policies = [
            HeadersPolicy(),
            AsyncRetryPolicy(),
            AsyncBearerTokenCredentialPolicy(credential, f"{self._endpoint}/.default"),
            NetworkTraceLoggingPolicy(),  # off unless logging_enable: keys are never logged
        ]
        self._client: AsyncPipelineClient = AsyncPipelineClient(
            self._endpoint, policies=policies, transport=transport
        )

    async def _post(self, action: str) -> Any:
        url = f"{self._endpoint}{self._path}/{action}?api-version={APIM_API_VERSION}"
        response = await self._client.send_request(HttpRequest("POST", url))
        if response.status_code not in (200, 204):
            raise RotationError(f"API Management {action} answered {response.status_code}")
        return response.json() if response.status_code == 200 else None

    async def keys(self) -> dict[str, str]:
        """``{"primary": …, "secondary": …}``."""
        data = await self._post("listSecrets")
        return {"primary": data["primaryKey"], "secondary": data["secondaryKey"]}

    async def regenerate(self, which: str) -> None:
        await self._post("regeneratePrimaryKey" if which == "primary" else "regenerateSecondaryKey")

    async def close(self) -> None:
        await self._client.close()


def _field(data: dict[str, Any], name: str) -> Any:
    """Key Vault events spell their data fields in PascalCase (``ObjectName``); SDK models use camelCase."""
    for key, value in data.items():
        if key.lower() == name.lower():
            return value
    return None


async def handle_event(
    event_type: str,
    data: dict[str, Any],
    settings: RotationSettings,
    secrets: SecretStore,
    apim: ApimSubscriptionKeys,
    now: datetime | None = None,
) -> Outcome:
    """Rotate the CRM key if this near-expiry (or expired) event is about its current version."""
    name = str(_field(data, "ObjectName") or "")
    if event_type not in (NEAR_EXPIRY, EXPIRED) or name != settings.secret_name:
        log.info("secret event ignored", extra={"event_type": event_type, "secret": name})
        return Outcome("ignored", name)
    current = await secrets.get_secret(name)
    event_version = str(_field(data, "Version") or "")
    if event_version and current.properties.version != event_version:
        log.info("secret already rotated; repeat delivery ignored", extra={"secret": name})
        return Outcome("stale", name, version=current.properties.version)
    keys = await apim.keys()
    # Regenerate the key the bot is *not* using; if the vault matches neither (drift), the secondary.
    spare = "secondary" if current.value != keys["secondary"] else "primary"
    await apim.regenerate(spare)
    new_key = (await apim.keys())[spare]
    if new_key in (keys[spare], current.value):
        raise RotationError(f"API Management did not regenerate the {spare} key")
    expires = (now or datetime.now(UTC)) + timedelta(days=settings.validity_days)
    stored = await secrets.set_secret(
        name,
        new_key,
        content_type="text/plain; apim-subscription-key",
        expires_on=expires,
        tags={"rotated-by": "crm-key-rotation", "apim-key": spare},
    )
    log.info("CRM subscription key rotated", extra={"secret": name, "apim_key": spare})
    return Outcome("rotated", name, key=spare, version=stored.properties.version)
