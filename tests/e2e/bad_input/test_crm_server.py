"""The demo CRM REST server (python -m services.crm.server): every route, any key, any body."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.server import create_crm_app
from tests.e2e.bad_input.support import FUZZ_HTTP, Server, assert_clean, background_loop, json_values
from tests.support.servers import serve_on_loopback

CRM_KEY = "fuzz-crm-subscription-key"


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with background_loop() as loop:
        crm = EmbeddedSqliteCrm(tmp_path_factory.mktemp("crm") / "crm.sqlite3")
        server = Server("", create_crm_app(crm, CRM_KEY), loop)
        runner, server.base = server.call(serve_on_loopback(server.app))
        try:
            yield server
        finally:
            server.call(runner.cleanup())


CUSTOMER_PATHS = ["", "/pin-verifications", "/accounts", "/cards", "/card-statement", "/tickets"]
crm_paths = st.one_of(
    st.sampled_from(["/health", "/customers", "/"]),
    st.tuples(
        st.sampled_from(["C1001", "C1002", "c1001", "nope"]) | st.text("abcXYZ019-%._~", max_size=16),
        st.sampled_from(CUSTOMER_PATHS)
        | st.sampled_from(["checking", "savings", "credit_card", "x"]).map(
            lambda t: f"/accounts/{t}/transactions"
        )
        | st.sampled_from(["credit", "debit", "gold", ""]).map(lambda t: f"/cards/{t}/block"),
    ).map(lambda parts: f"/customers/{parts[0]}{parts[1]}"),
)


@FUZZ_HTTP
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=crm_paths,
    query=st.dictionaries(
        st.sampled_from(["phone", "limit", "status", "x"]), st.text(max_size=16), max_size=3
    ),
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    key=st.sampled_from([CRM_KEY, CRM_KEY + "x", "", None]),
    idempotency=st.none() | st.text("abc123", max_size=8),
)
def test_crm_server_answers_bad_requests_with_a_4xx(
    crm_server, http, method, path, query, body, key, idempotency
):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if idempotency:
        headers["Idempotency-Key"] = idempotency
    response = http.request(
        method, crm_server.url(path), params=query, data=body, headers=headers, timeout=30
    )
    assert_clean(response)
    if key != CRM_KEY and path != "/health":
        assert response.status_code == 401


@FUZZ_HTTP
@given(
    body=st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.fixed_dictionaries({"pin": json_values | st.text("0123456789", max_size=10)}).map(
        lambda v: json.dumps(v).encode()
    ),
    customer=st.sampled_from(["C1001", "C1002", "nope"]),
)
def test_crm_pin_verification_reads_any_body_without_a_5xx(crm_server, http, body, customer):
    response = http.post(
        crm_server.url(f"/customers/{customer}/pin-verifications"),
        data=body,
        headers={"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": CRM_KEY},
        timeout=30,
    )
    assert_clean(response, {200, 400, 404, 429})
    if response.status_code == 200:
        right_pin = {"C1001": b'{"pin": "1234"}', "C1002": b'{"pin": "4321"}'}.get(customer)
        assert response.json() == {"verified": body == right_pin}


def test_crm_server_still_serves_after_bad_requests(crm_server, http):
    headers = {"Ocp-Apim-Subscription-Key": CRM_KEY}
    found = http.get(crm_server.url("/customers"), params={"phone": "+14255550100"}, headers=headers)
    assert found.status_code == 200 and found.json()["items"][0]["firstName"] == "Carlos"
