"""An azure-core async HTTP transport for tests: records every request, answers from a handler.

Azure SDK clients accept it as ``transport=``, so their real request building, auth policies and
response parsing run; only the network is replaced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl

Handler = Callable[[str, str, Any], tuple[int, Any]]
"""(method, url, parsed JSON body) -> (status, JSON payload)."""


def fixed_answer(status: int = 200, body: Any = None) -> Handler:
    """Always ``status``; ``body`` may be a callable of the request body."""
    return lambda method, url, request_body: (status, body(request_body) if callable(body) else body)


class FakeAzureTransport(AsyncHttpTransport):
    def __init__(
        self, handler: Handler, *, delay: float = 0.0, content_type: str = "application/json"
    ) -> None:
        self.handler, self.delay, self.content_type = handler, delay, content_type
        self.requests: list[dict[str, Any]] = []

    async def __aenter__(self) -> FakeAzureTransport:
        return self

    async def __aexit__(self, *args: Any) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        """Retry back-off: no real waiting in tests."""

    async def send(self, request: Any, **kwargs: Any) -> Any:
        raw = request.content if request.content is not None else getattr(request, "data", None)
        if isinstance(raw, (bytes, bytearray)):
            raw = raw.decode()
        body = json.loads(raw) if isinstance(raw, str) and raw else raw
        self.requests.append(
            {"method": request.method, "url": request.url, "headers": dict(request.headers), "body": body}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        status, payload = self.handler(request.method, request.url, body)
        content = json.dumps(payload).encode()
        response = AsyncHttpResponseImpl(
            request=request,
            internal_response=None,
            status_code=status,
            reason="OK" if status < 400 else "Error",
            content_type=self.content_type,
            headers={"Content-Type": self.content_type, "Content-Length": str(len(content))},
            stream_download_generator=None,
        )
        response._content = content
        response._is_stream_consumed = True
        return response
