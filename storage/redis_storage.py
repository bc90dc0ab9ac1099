"""botbuilder Storage on Redis (asyncio client): shared by every bot instance, idle items expire."""

from __future__ import annotations

from typing import Any

from botbuilder.core import Storage
from redis.asyncio import Redis
from redis.exceptions import RedisError

from storage.items import (
    StorageConflictError,
    StorageUnavailableError,
    decode,
    encode,
    expected_etag,
    new_etag,
    set_item_etag,
)

# Value layout: "<etag>|<json>". The script checks every key's e_tag first, then writes them all, so
# a multi-key write is all-or-nothing and no other client can slip in between check and set.
# KEYS: storage keys. ARGV: ttl, then per key: expected etag ('' = unconditional), new etag, json.
_WRITE_SCRIPT = """
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local expected = ARGV[(i - 1) * 3 + 2]
  if expected ~= '' then
    local current = redis.call('GET', key)
    if current then
      local bar = string.find(current, '|', 1, true)
      if string.sub(current, 1, bar - 1) ~= expected then
        return i
      end
    end
  end
end
for i, key in ipairs(KEYS) do
  local value = ARGV[(i - 1) * 3 + 3] .. '|' .. ARGV[(i - 1) * 3 + 4]
  if ttl > 0 then
    redis.call('SET', key, value, 'EX', ttl)
  else
    redis.call('SET', key, value)
  end
end
return 0
"""


class RedisStorage(Storage):
    """State items as ``<prefix><key>`` strings. Writes are a Lua compare-and-set on the e_tag;
    every write and read renews the idle TTL, so a conversation expires ``ttl_seconds`` after its
    last turn (0 = never)."""

    def __init__(
        self,
        client: Redis,
        key_prefix: str = "voicebot:",
        ttl_seconds: int = 3600,
    ) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._ttl = max(0, int(ttl_seconds))
        self._write = client.register_script(_WRITE_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, key_prefix: str = "voicebot:", ttl_seconds: int = 3600, timeout_seconds: float = 5.0
    ) -> RedisStorage:
        client = Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds, decode_responses=True
        )
        return cls(client, key_prefix, ttl_seconds)

    @property
    def redis_client(self) -> Redis:
        """The connection pool, shared with the turn serializer's locks."""
        return self._redis

    def redis_key(self, key: str) -> str:
        return self._prefix + key

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        wanted = list(dict.fromkeys(keys))
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in wanted:
                    if self._ttl:
                        pipe.getex(self.redis_key(key), ex=self._ttl)
                    else:
                        pipe.get(self.redis_key(key))
                values = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StorageUnavailableError("redis read failed") from exc
        found: dict[str, Any] = {}
        for key, value in zip(wanted, values, strict=True):
            if value is None:
                continue
            text = value.decode() if isinstance(value, bytes) else value
            etag, _, doc = text.partition("|")
            found[key] = decode(doc, etag)
        return found

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        keys: list[str] = []
        args: list[Any] = [self._ttl]
        stamped: list[tuple[Any, str]] = []
        for key, item in changes.items():
            expected = expected_etag(item)
            etag = new_etag()
            keys.append(self.redis_key(key))
            args += [expected or "", etag, encode(item)]
            stamped.append((item, etag))
        try:
            failed = int(await self._write(keys=keys, args=args))
        except (RedisError, OSError) as exc:
            raise StorageUnavailableError("redis write failed") from exc
        if failed:
            raise StorageConflictError(f"Etag conflict on {list(changes)[failed - 1]!r}")
        for item, etag in stamped:
            set_item_etag(item, etag)

    async def delete(self, keys: list[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        try:
            await self._redis.delete(*[self.redis_key(k) for k in keys])
        except (RedisError, OSError) as exc:
            raise StorageUnavailableError("redis delete failed") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()
