"""Resolves `@Microsoft.KeyVault(...)` settings values through Key Vault, cached in memory for 5 minutes."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_TIMEOUT_SECONDS = 10.0
_REFERENCE = re.compile(r"^\s*@Microsoft\.KeyVault\((?P<body>.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_SECRET_URI = re.compile(
    r"^(?P<vault>https://[A-Za-z0-9-]+\.vault\.[A-Za-z0-9.-]+)/secrets/(?P<name>[A-Za-z0-9-]+)"
    r"(?:/(?P<version>[A-Za-z0-9]*))?/?$"
)


class KeyVaultReferenceError(Exception):
    """A reference could not be parsed or its secret could not be read (the message never holds a value)."""


@dataclass(frozen=True)
class KeyVaultReference:
    """One parsed reference: the vault URL, the secret's name and an optional version."""

    vault_url: str
    name: str
    version: str | None = None

    def __str__(self) -> str:  # identifies the secret, never its value
        return f"{self.vault_url}/secrets/{self.name}" + (f"/{self.version}" if self.version else "")


def is_reference(value: object) -> bool:
    """True when the value is a string of the form `@Microsoft.KeyVault(...)`."""
    return isinstance(value, str) and _REFERENCE.match(value) is not None


def parse_reference(value: str) -> KeyVaultReference:
    """Parse `SecretUri=https://v.vault.azure.net/secrets/n[/ver]` or `VaultName=v;SecretName=n[;..]`."""
    match = _REFERENCE.match(value)
    if not match:
        raise KeyVaultReferenceError("not a Key Vault reference")
    parts: dict[str, str] = {}
    for item in match.group("body").split(";"):
        if item.strip():
            key, sep, val = item.partition("=")
            if not sep:
                raise KeyVaultReferenceError(f"malformed Key Vault reference part {key.strip()!r}")
            parts[key.strip().lower()] = val.strip()
    if "secreturi" in parts:
        uri = _SECRET_URI.match(parts["secreturi"])
        if not uri:
            raise KeyVaultReferenceError("SecretUri is not https://<vault>.vault.azure.net/secrets/<name>")
        return KeyVaultReference(uri.group("vault").lower(), uri.group("name"), uri.group("version") or None)
    if "vaultname" in parts and "secretname" in parts:
        vault = parts["vaultname"]
        if not re.fullmatch(r"[A-Za-z0-9-]{3,24}", vault) or not re.fullmatch(
            r"[A-Za-z0-9-]+", parts["secretname"]
        ):
            raise KeyVaultReferenceError("VaultName/SecretName contain invalid characters")
        return KeyVaultReference(
            f"https://{vault.lower()}.vault.azure.net",
            parts["secretname"],
            parts.get("secretversion") or None,
        )
    raise KeyVaultReferenceError("a Key Vault reference needs SecretUri=, or VaultName= and SecretName=")


class SecretsResolver:
    """Reads referenced secrets with `SecretClient`, caching each value for `ttl_seconds`.

    After expiry the next read fetches again; if that fails, the last good value is kept and a
    warning (without the value) is logged. `credential` defaults to `DefaultAzureCredential`;
    `transport` (an azure-core HttpTransport) and `clock` are for tests; other keyword arguments
    (e.g. `retry_total`) go to `SecretClient`.
    """

    def __init__(
        self,
        credential: Any | None = None,
        transport: Any | None = None,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        **client_kwargs: Any,
    ) -> None:
        self._credential = credential
        self._transport = transport
        self._ttl = ttl_seconds
        self._clock = clock
        self._timeout = timeout_seconds
        self._client_kwargs = client_kwargs
        self._clients: dict[str, Any] = {}
        self._cache: dict[KeyVaultReference, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def _client(self, vault_url: str) -> Any:
        client = self._clients.get(vault_url)
        if client is None:
            from azure.keyvault.secrets import SecretClient

            if self._credential is None:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
            kwargs: dict[str, Any] = {
                "connection_timeout": self._timeout,
                "read_timeout": self._timeout,
                **self._client_kwargs,
            }
            if self._transport is not None:
                kwargs["transport"] = self._transport
            client = SecretClient(vault_url=vault_url, credential=self._credential, **kwargs)
            self._clients[vault_url] = client
        return client

    def _fetch(self, ref: KeyVaultReference) -> str:
        from azure.core.exceptions import AzureError, ClientAuthenticationError

        self.fetches += 1
        try:
            secret = self._client(ref.vault_url).get_secret(ref.name, version=ref.version)
        except ClientAuthenticationError as exc:
            raise KeyVaultReferenceError(f"not authorised to read {ref}: {type(exc).__name__}") from None
        except AzureError as exc:
            raise KeyVaultReferenceError(f"could not read {ref}: {type(exc).__name__}") from None
        if secret.value is None:
            raise KeyVaultReferenceError(f"{ref} has no value")
        return secret.value

    def expires_at(self, ref: KeyVaultReference) -> float | None:
        """When the cached value for `ref` goes stale (clock units), or None if not cached."""
        entry = self._cache.get(ref)
        return entry[1] if entry else None

    def get(self, ref: KeyVaultReference, force: bool = False) -> str:
        """The secret's value: from the cache while fresh (unless `force`), else from Key Vault."""
        with self._lock:
            now = self._clock()
            entry = self._cache.get(ref)
            if entry and now < entry[1] and not force:
                return entry[0]
            try:
                value = self._fetch(ref)
            except KeyVaultReferenceError:
                if entry is None:
                    raise
                log.warning("key vault refresh failed; keeping the cached value", extra={"secret": str(ref)})
                self._cache[ref] = (entry[0], now + min(self._ttl, 30.0))
                return entry[0]
            self._cache[ref] = (value, now + self._ttl)
            log.info("key vault secret loaded", extra={"secret": str(ref)})
            return value

    def refresh_expiring(self, within_seconds: float) -> int:
        """Re-read every cached secret that goes stale within `within_seconds` (blocking; run it in a
        thread). Returns how many were re-read."""
        now = self._clock()
        due = [ref for ref, (_, expires) in list(self._cache.items()) if expires - now <= within_seconds]
        for ref in due:
            self.get(ref, force=True)
        return len(due)

    def resolve(self, value: str) -> str:
        """Resolve a reference string; any other string is returned unchanged."""
        return self.get(parse_reference(value)) if is_reference(value) else value

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def find_references(model: BaseModel, prefix: str = "") -> dict[str, KeyVaultReference]:
    """Every str/SecretStr field (nested models included) holding a reference, by dotted path."""
    found: dict[str, KeyVaultReference] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            found.update(find_references(value, path + "."))
            continue
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if is_reference(raw):
            found[path] = parse_reference(raw)
    return found


def _resolved_copy(model: BaseModel, resolver: SecretsResolver) -> BaseModel:
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            new = _resolved_copy(value, resolver)
            if new is not value:
                updates[name] = new
        elif isinstance(value, SecretStr) and is_reference(value.get_secret_value()):
            updates[name] = SecretStr(resolver.resolve(value.get_secret_value()))
        elif is_reference(value):
            updates[name] = resolver.resolve(value)
    return model.model_copy(update=updates) if updates else model


class SettingsSecretResolver:
    """Keeps a resolved copy of a settings object and rebuilds it when a cached secret goes stale."""

    def __init__(self, resolver: SecretsResolver | None = None) -> None:
        self._resolver = resolver
        self._source_id: int | None = None
        self._refs: dict[str, KeyVaultReference] = {}
        self._resolved: BaseModel | None = None
        self._fresh_until = 0.0
        self._seen_fetches = -1

    @property
    def resolver(self) -> SecretsResolver:
        if self._resolver is None:
            self._resolver = SecretsResolver()
        return self._resolver

    def __call__(self, settings: Any) -> Any:
        if id(settings) != self._source_id:
            self._source_id, self._refs, self._resolved = id(settings), find_references(settings), None
        if not self._refs:  # no reference: never touches Azure
            return settings
        resolver = self.resolver
        stale = resolver._clock() >= self._fresh_until or resolver.fetches != self._seen_fetches
        if self._resolved is None or stale:
            self._resolved = _resolved_copy(settings, resolver)
            self._seen_fetches = resolver.fetches
            expiries = [resolver.expires_at(ref) for ref in self._refs.values()]
            self._fresh_until = min(e for e in expiries if e is not None)
        return self._resolved

    @property
    def has_references(self) -> bool:
        return bool(self._refs)


_default = SettingsSecretResolver()


def resolve_settings_references(settings: Any, resolver: SettingsSecretResolver | None = None) -> Any:
    """`settings` with every Key Vault reference replaced by its value (same object if none)."""
    return (resolver or _default)(settings)


async def keep_secrets_fresh(
    interval_seconds: float = 60.0,
    resolver: SettingsSecretResolver | None = None,
    refresh_ahead_seconds: float = 90.0,
) -> None:
    """Background task: re-reads referenced secrets before they go stale, in a worker thread, so a
    `get_settings()` call inside a request never waits on Key Vault. Returns at once if the settings
    hold no reference. Start it with `asyncio.create_task(keep_secrets_fresh())` after get_settings()."""
    import asyncio

    target = resolver or _default
    if not target.has_references:
        return
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            ahead = max(refresh_ahead_seconds, interval_seconds * 1.5)
            await asyncio.to_thread(target.resolver.refresh_expiring, ahead)
        except KeyVaultReferenceError as exc:
            log.warning("key vault background refresh failed: %s", exc)
