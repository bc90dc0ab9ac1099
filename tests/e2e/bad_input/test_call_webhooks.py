"""The ACS webhooks: random bodies, wrong secrets, oversize bodies, replayed Event Grid and Call Automation
events."""

from __future__ import annotations

import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.registry import CallState
from tests.e2e.bad_input.support import CONTENT_TYPES, FUZZ, FUZZ_HTTP, SECRET, assert_clean, json_values

EVENT_TYPES = [
    "Microsoft.Communication.IncomingCall",
    "Microsoft.EventGrid.SubscriptionValidationEvent",
    "Microsoft.Communication.CallConnected",
    "Microsoft.Communication.CallDisconnected",
    "Microsoft.Communication.CallTransferFailed",
    "Microsoft.Communication.PlayFailed",
    "Something.Else",
]
events = st.fixed_dictionaries(
    {
        "id": st.text(max_size=10) | json_values,
        "eventType": st.sampled_from(EVENT_TYPES) | json_values,
        "data": json_values
        | st.fixed_dictionaries(
            {
                "incomingCallContext": st.text(max_size=20) | json_values,
                "from": json_values,
                "callConnectionId": st.sampled_from(["conn-1", "nope"]) | json_values,
                "validationCode": json_values,
                "resultInformation": json_values,
            }
        ),
    }
)


@FUZZ_HTTP
@given(
    path=st.sampled_from(["/api/calls/incoming", "/api/calls/events"]),
    body=st.binary(max_size=2000)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.lists(events, max_size=4).map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from(CONTENT_TYPES),
    auth=st.sampled_from(["header", "query", "wrong", "none"]),
)
def test_call_webhooks_answer_random_bodies_with_a_4xx_or_accept_and_ignore(
    server, http, acs_openid, path, body, content_type, auth
):
    headers = {"Content-Type": content_type}
    params = {}
    if auth == "header":
        headers["X-Contoso-Event-Secret"] = SECRET
        headers.update(acs_openid.headers())
    elif auth == "query":
        params["secret"] = SECRET
        headers.update(acs_openid.headers())
    elif auth == "wrong":
        params["secret"] = SECRET + "x"
    response = http.post(server.url(path), data=body, headers=headers, params=params, timeout=30)
    assert_clean(response)
    if auth in ("wrong", "none"):
        assert response.status_code == 401


def test_oversized_webhook_body_is_413(server, http):
    body = b"[" + b'{"id": "x"},' * 200_000 + b"{}]"
    response = http.post(server.url("/api/calls/incoming"), data=body, params={"secret": SECRET})
    assert_clean(response, {413})


@FUZZ
@given(event_id=st.text(min_size=1, max_size=20), repeats=st.integers(2, 4))
def test_replayed_incoming_call_is_answered_once(server, http, event_id, repeats):
    before = len(server.acs.answered)
    unique = f"{uuid.uuid4().hex[:8]}-{event_id}"  # hypothesis repeats ids across examples
    event = {
        "id": f"replay-{unique}",
        "eventType": "Microsoft.Communication.IncomingCall",
        "data": {
            "incomingCallContext": f"ctx-{unique}",
            "from": {"phoneNumber": {"value": "+14255550123"}},
            "serverCallId": "server-1",
        },
    }
    for _ in range(repeats):
        response = http.post(server.url("/api/calls/incoming"), json=[event], params={"secret": SECRET})
        assert_clean(response, {200})
    assert server.acs.answered[before:] == [f"ctx-{unique}"]


def test_replayed_call_event_is_not_applied_twice(server, http, acs_openid):
    answered = {
        "id": "replay-answer",
        "eventType": "Microsoft.Communication.IncomingCall",
        "data": {"incomingCallContext": "ctx-replayed-event", "from": {"rawId": "4:+14255550123"}},
    }
    assert_clean(
        http.post(server.url("/api/calls/incoming"), json=[answered], params={"secret": SECRET}), {200}
    )
    connection = f"conn-{len(server.acs.answered)}"
    record = server.app[REGISTRY_KEY].by_connection(connection)
    assert record is not None and record.state == CallState.ANSWERING
    connected = {
        "id": "evt-connected-1",
        "type": "Microsoft.Communication.CallConnected",
        "data": {"callConnectionId": connection},
    }
    url, bound = server.url("/api/calls/events"), {"call": record.callback_token}
    assert_clean(http.post(url, json=[connected], params=bound, headers=acs_openid.headers()), {200})
    assert record.state == CallState.CONNECTED
    record.state = CallState.ANSWERING  # the replay must not bring it back to CONNECTED
    assert_clean(http.post(url, json=[connected], params=bound, headers=acs_openid.headers()), {200})
    assert record.state == CallState.ANSWERING
    server.app[REGISTRY_KEY].remove(record.call_id)
