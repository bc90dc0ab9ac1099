"""The agent console (any method, path, cookie, body; unreadable sign-in forms) and the status pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.bad_input.support import CONTENT_TYPES, FUZZ_HTTP, assert_clean, still_serving


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(
        ["/agent", "/agent/login", "/agent/logout", "/agent/session", "/agent/handoffs", "/agent/events"]
    )
    | st.text(alphabet="abcdef0123456789-_.%", max_size=24).map(lambda s: f"/agent/handoffs/{s}")
    | st.text(alphabet="abcdef0123456789-_.%", max_size=24).map(lambda s: f"/agent/handoffs/{s}/pickup")
    | st.text(alphabet="abcdef/.%", max_size=24).map(lambda s: f"/agent/assets/{s}"),
    cookie=st.none()
    | st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=';,"\\'), max_size=60
    ),
    body=st.binary(max_size=500),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_agent_console_answers_bad_requests_with_a_4xx(
    server, http, method, path, cookie, body, content_type
):
    cookies = {"agent_session": cookie} if cookie is not None else {}
    response = http.request(
        method,
        server.url(path),
        data=body,
        headers={"Content-Type": content_type, "X-Agent-Console": "1"},
        cookies=cookies,
        allow_redirects=False,
        timeout=30,
        stream=path.endswith("/events"),
    )
    if path.endswith("/events") and response.status_code == 200:
        pytest.fail("an event stream opened without a valid session")
    assert_clean(response)
    assert response.status_code < 400 or response.status_code in {400, 401, 403, 404, 405, 413, 415, 429}
    response.close()


@FUZZ_HTTP
@given(
    body=st.binary(max_size=400) | st.binary(max_size=200).map(lambda b: b"\xff" + b),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
        ]
    ),
)
def test_agent_sign_in_with_an_unreadable_form_is_refused(server, http, body, content_type):
    """400 for a form that cannot be read; a readable wrong one is a failed sign-in (redirect, or 429)."""
    response = http.post(
        server.url("/agent/login"),
        data=body,
        headers={"Content-Type": content_type, "X-Agent-Console": "1"},
        allow_redirects=False,
        timeout=30,
    )
    assert_clean(response, {302, 303, 400, 429})
    assert "agent_session" not in response.cookies


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]),
    path=st.sampled_from(
        ["/metrics", "/readyz", "/healthz", "/softphone", "/dashboard", "/softphone/static/x"]
    ),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
    body=st.binary(max_size=300),
)
def test_observability_and_pages_answer_any_method(server, http, method, path, query, body):
    response = http.request(
        method, server.url(path), params=query, data=body, allow_redirects=False, timeout=30
    )
    assert_clean(response)
    if method in ("GET", "HEAD") and path in ("/metrics", "/dashboard"):
        assert response.status_code in (401, 302)  # behind the console sign-in
    elif method in ("GET", "HEAD") and not path.endswith("/x"):
        assert response.status_code == 200
    elif method not in ("GET", "HEAD"):
        assert response.status_code == 405


def test_server_still_answers_a_normal_call_after_the_console_and_pages(server, http):
    still_serving(server)
    assert http.get(server.url("/readyz")).json()["ready"] is True
