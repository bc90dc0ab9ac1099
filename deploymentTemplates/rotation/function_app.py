"""Azure Functions entry point: Key Vault near-expiry events (Event Grid) → crm_key_rotation.handle_event."""

from __future__ import annotations

import logging

import azure.functions as func
from azure.identity.aio import DefaultAzureCredential
from azure.keyvault.secrets.aio import SecretClient
from crm_key_rotation import ApimSubscriptionKeys, RotationSettings, handle_event

app = func.FunctionApp()


@app.function_name("rotate_crm_key")
@app.event_grid_trigger(arg_name="event")
async def rotate_crm_key(event: func.EventGridEvent) -> None:
    settings = RotationSettings()  # type: ignore[call-arg]  # read from the ROTATION_* app settings
    data = event.get_json()
    vault_url = f"https://{data.get('VaultName') or data.get('vaultName')}.vault.azure.net"
    async with DefaultAzureCredential() as credential:
        apim = ApimSubscriptionKeys(
            settings.apim_subscription_id, credential, arm_endpoint=settings.arm_endpoint
        )
        try:
            async with SecretClient(vault_url, credential) as secrets:
                outcome = await handle_event(event.event_type, data, settings, secrets, apim)
        finally:
            await apim.close()
    logging.info("rotation outcome: %s %s", outcome.action, outcome.secret)
