"""The ACS Call Automation client from settings: a connection string, or the endpoint with Entra ID."""

from __future__ import annotations

from typing import Any

from config import AcsSettings


def call_automation_client(acs: AcsSettings, credential: Any = None, **client_kwargs: Any) -> Any | None:
    """An async ``CallAutomationClient``: ``ACS__CONNECTION_STRING`` (access key) when set, else
    ``ACS__ENDPOINT`` with the managed identity (``DefaultAzureCredential``, or ``credential``), so no ACS
    key need exist in Key Vault. None when neither is set (phone calls off, softphone only)."""
    from azure.communication.callautomation.aio import CallAutomationClient

    connection_string = acs.connection_string.get_secret_value()
    if connection_string:
        return CallAutomationClient.from_connection_string(connection_string, **client_kwargs)
    if not acs.endpoint:
        return None
    if credential is None:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return CallAutomationClient(acs.endpoint, credential, **client_kwargs)
