"""Azure Communication Services Call Automation for tests: the real async SDK client over the shared fake
transport, answered with the service's response shapes (answer, transfer, hang-up, reject)."""

from __future__ import annotations

from typing import Any

from azure.communication.callautomation.aio import CallAutomationClient

from tests.support.fake_azure import FakeAzureTransport

CONNECTION_STRING = "endpoint=https://contoso.communication.azure.com/;accesskey=" + "a" * 44


class FakeCallAutomationService:
    """The REST side: answered calls get connection ids ``conn-1``, ``conn-2``…; every request is kept."""

    def __init__(self) -> None:
        self.answered: list[str] = []
        """The ``incomingCallContext`` of every answer request, in order."""
        self.transport = FakeAzureTransport(self._answer)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.transport.requests

    def client(self) -> CallAutomationClient:
        return CallAutomationClient.from_connection_string(CONNECTION_STRING, transport=self.transport)

    def _answer(self, method: str, url: str, body: Any) -> tuple[int, Any]:
        path = url.split("?")[0]
        if path.endswith("/callConnections:answer"):
            self.answered.append(body["incomingCallContext"])
            return 200, {
                "callConnectionId": f"conn-{len(self.answered)}",
                "serverCallId": "server-1",
                "callConnectionState": "connecting",
                "callbackUri": body.get("callbackUri", ""),
                "targets": [],
            }
        if path.endswith(":transferToParticipant"):
            return 202, {"operationContext": body.get("operationContext")}
        return 204, None
