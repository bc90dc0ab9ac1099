"""/api/messages: random bodies and content types, half-formed activities, oversize bodies, GET without
an upgrade, missing or forged tokens."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.bad_input.support import (
    APP_ID,
    CONTENT_TYPES,
    FUZZ_HTTP,
    assert_clean,
    json_values,
    still_serving,
)

ACTIVITY_TYPES = [
    "message", "conversationUpdate", "event", "invoke", "endOfConversation", "typing", "trace",
    "handoff", "commandResult", "installationUpdate", "messageReaction", "deleteUserData", "banana", "",
]  # fmt: skip


@st.composite
def activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """Activity-shaped objects: some fields right, some missing, some of the wrong type."""
    activity: dict[str, Any] = {
        "type": draw(st.sampled_from(ACTIVITY_TYPES) | json_values),
        "channelId": draw(st.sampled_from(["emulator", "msteams", "telephony", "acs"]) | json_values),
        "serviceUrl": service_url,
        "conversation": draw(st.fixed_dictionaries({"id": st.text(min_size=1, max_size=30)}) | json_values),
        "from": draw(st.fixed_dictionaries({"id": st.text(max_size=20)}) | json_values),
        "recipient": {"id": "contoso-voicebot"},
    }
    for name in draw(st.lists(st.sampled_from(sorted(activity)), max_size=3)):
        activity.pop(name, None)
    activity.update(
        draw(
            st.dictionaries(
                st.sampled_from(
                    ["text", "name", "value", "entities", "membersAdded", "locale", "attachments", "id"]
                ),
                json_values,
                max_size=4,
            )
        )
    )
    return activity


# ---- /api/messages ------------------------------------------------------------------------------------


@FUZZ_HTTP
@given(
    body=st.binary(max_size=3000) | json_values.map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_messages_endpoint_refuses_random_bodies_with_a_4xx(server, http, body, content_type):
    response = http.post(server.url("/api/messages"), data=body, headers={"Content-Type": content_type})
    assert_clean(response)
    if content_type.split(";")[0] != "application/json":
        assert response.status_code == 415


@FUZZ_HTTP
@given(data=st.data())
def test_messages_endpoint_handles_random_activities(server, http, data):
    """Activity-shaped JSON (unknown types, missing fields, wrong types): 4xx, or processed quietly."""
    activity = data.draw(activities(server.sink))
    response = http.post(server.url("/api/messages"), json=activity, timeout=30)
    if activity.get("type") == "invoke" and response.status_code == 501:
        return  # the Bot Framework's own answer to an invoke no handler knows (ActivityHandler)
    assert_clean(response)


def test_messages_endpoint_still_serves_after_random_activities(server):
    still_serving(server)


@pytest.mark.parametrize("size", [300 * 1024, 4 * 1024 * 1024])
def test_oversized_activity_is_413(server, http, size):
    body = json.dumps({"type": "message", "text": "x" * size}).encode()
    assert_clean(
        http.post(server.url("/api/messages"), data=body, headers={"Content-Type": "application/json"}), {413}
    )


@FUZZ_HTTP
@given(
    headers=st.dictionaries(
        st.sampled_from(["Connection", "Upgrade", "Accept", "X-Foo"]),
        st.text("abcdefgh-", max_size=12),
        max_size=3,
    )
)
def test_get_messages_without_a_websocket_upgrade_is_400(server, http, headers):
    if headers.get("Upgrade", "").lower() == "websocket":
        headers.pop("Upgrade")
    assert_clean(http.get(server.url("/api/messages"), headers=headers), {400})


jwt_segments = st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode())
tokens = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
    st.tuples(jwt_segments, jwt_segments, jwt_segments).map(".".join),
    st.tuples(
        st.fixed_dictionaries(
            {
                "alg": st.sampled_from(["none", "HS256", "RS256"]),
                "typ": st.just("JWT"),
                "kid": st.text(max_size=8),
            }
        ),
        st.fixed_dictionaries(
            {
                "iss": st.sampled_from(["https://api.botframework.com", "https://evil.example"]),
                "aud": st.just(APP_ID),
                "exp": st.integers(0, 4_000_000_000),
            }
        ),
        jwt_segments,
    ).map(
        lambda parts: ".".join(
            [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts[:2]]
            + [parts[2]]
        )
    ),
)


@FUZZ_HTTP
@given(token=tokens, scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", ""]), send=st.booleans())
def test_missing_or_forged_channel_tokens_are_401_when_an_app_id_is_set(
    authed_server, http, token, scheme, send
):
    activity = {
        "type": "message",
        "text": "what is my balance",
        "channelId": "msteams",
        "serviceUrl": authed_server.sink,
        "conversation": {"id": "forged"},
        "from": {"id": "+14255550100"},
        "recipient": {"id": APP_ID},
    }
    headers = {"Authorization": scheme + token} if send else {}
    response = http.post(authed_server.url("/api/messages"), json=activity, headers=headers, timeout=30)
    assert_clean(response, {401})
