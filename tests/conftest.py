"""Shared pytest fixtures: real servers (Redis, Cosmos DB emulation) started on loopback ports by PID."""

from tests.support.servers import cosmos_server, redis_server  # noqa: F401
