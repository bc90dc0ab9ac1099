"""The HTTP access log without query values: webhook secrets, per-call tokens and caller numbers stay out."""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


def loggable_target(request: BaseRequest) -> str:
    """Path plus the query's parameter names only (``/api/calls/events?call=…``): a query may carry the
    Event Grid secret, a call's token or a caller number."""
    names = "&".join(f"{name}=…" for name in dict.fromkeys(request.query))
    return f"{request.path}?{names}" if names else request.path


class RedactedAccessLogger(AbstractAccessLogger):
    """aiohttp's access log line, with the request target from `loggable_target`."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d %.3fs',
            request.remote,
            request.method,
            loggable_target(request),
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            time,
        )
