"""Cosmos DB state through botbuilder-azure's CosmosDbPartitionedStorage, kept off the event loop."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

from azure.core import MatchConditions
from azure.cosmos import CosmosClient, documents
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
)
from botbuilder.azure import CosmosDbKeyEscape, CosmosDbPartitionedConfig, CosmosDbPartitionedStorage
from jsonpickle.pickler import Pickler

from storage.items import StorageConflictError, StorageUnavailableError, expected_etag, set_item_etag


def connection_policy_for(endpoint: str) -> documents.ConnectionPolicy:
    """Plain-HTTP endpoints (a local emulation) need endpoint discovery off; azure-cosmos 4.7 already
    skips certificate checks for localhost/127.0.0.1."""
    policy = documents.ConnectionPolicy()
    if urlparse(endpoint).scheme == "http":
        policy.EnableEndpointDiscovery = False
    return policy


def cosmos_config(
    endpoint: str, key: str, database: str, container: str, key_suffix: str = ""
) -> CosmosDbPartitionedConfig:
    return CosmosDbPartitionedConfig(
        cosmos_db_endpoint=endpoint,
        auth_key=key,
        database_id=database,
        container_id=container,
        cosmos_client_options={"connection_policy": connection_policy_for(endpoint)},
        key_suffix=key_suffix,
        compatibility_mode=False,
    )


class CosmosStorage(CosmosDbPartitionedStorage):
    """CosmosDbPartitionedStorage with three changes:

    * its blocking azure-cosmos calls run in a worker thread (the SDK class calls the sync client
      from ``async def`` methods, which would stall every other call on the instance);
    * writes hand the new ``_etag`` back to the item;
    * a 412 (stale e_tag) surfaces as ``StorageConflictError`` like the other backends, and other
      HTTP failures as ``StorageUnavailableError``;
    * managed identity: with a ``TokenCredential`` the client, database and container are bound up
      front, because botbuilder only knows key auth and creates the container itself — an
      operation Entra data-plane roles do not allow. The database and container (partition key
      ``/id``) must then exist (the deployment template creates them).
    """

    def __init__(self, config: CosmosDbPartitionedConfig, credential: Any = None) -> None:
        super().__init__(config)
        self._credential = credential

    async def initialize(self) -> None:
        """Runs in the worker thread (called from read/write/delete)."""
        container: Any = getattr(self, "container", None)
        if self._credential is not None and container is None:
            self.client = CosmosClient(
                self.config.cosmos_db_endpoint,
                self._credential,
                connection_policy=self.config.cosmos_client_options.get("connection_policy"),
            )
            self.database = self.client.get_database_client(self.config.database_id)
            self.container = self.database.get_container_client(self.config.container_id)
        for attempt in range(3):
            try:
                await super().initialize()
                return
            except CosmosResourceExistsError:
                # Another instance created the database at the same moment (the SDK's
                # create-if-not-exists is read-then-create): the next attempt reads it.
                if attempt == 2:
                    raise

    async def read(self, keys: list[str]) -> dict[str, object]:
        return await self._in_thread(super().read(keys))

    async def write(self, changes: dict[str, object]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        await self._in_thread(self._write_sync(changes))

    async def _write_sync(self, changes: dict[str, object]) -> None:
        """The SDK's write, plus handing the new ``_etag`` back to the item (as the SQLite and Redis
        storages do) so a second save in the same turn is not mistaken for a stale one."""
        await self.initialize()
        for key, change in changes.items():
            etag = expected_etag(change)
            flat = Pickler().flatten(change)
            if isinstance(flat, dict):
                flat.pop("e_tag", None)
            doc = {
                "id": CosmosDbKeyEscape.sanitize_key(
                    key, self.config.key_suffix, self.config.compatibility_mode
                ),
                "realId": key,
                "document": flat,
            }
            result = self.container.upsert_item(
                body=doc,
                etag=etag,
                match_condition=MatchConditions.IfNotModified if etag is not None else None,
            )
            if isinstance(result, dict) and result.get("_etag"):
                set_item_etag(change, str(result["_etag"]))

    async def delete(self, keys: list[str]) -> None:
        await self._in_thread(super().delete(keys))

    @staticmethod
    async def _in_thread(coro: Any) -> Any:
        try:
            return await asyncio.to_thread(asyncio.run, coro)
        except CosmosAccessConditionFailedError as exc:
            raise StorageConflictError("Etag conflict") from exc
        except CosmosHttpResponseError as exc:
            raise StorageUnavailableError(f"cosmos status {exc.status_code}") from exc
