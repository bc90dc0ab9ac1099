"""The OpenAPI contract, the demo server and HttpCrm describe the same REST surface."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.http_crm import _ALLOWED
from services.crm.server import create_crm_app

SPEC = Path(__file__).resolve().parents[3] / "services" / "crm" / "openapi.yaml"


def _operations() -> set[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    validate(spec)  # a valid OpenAPI 3 document
    return {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_the_contract_is_valid_openapi_and_read_only_but_for_two_posts() -> None:
    operations = _operations()
    assert {m for m, _ in operations} == {"GET", "POST"}
    assert {p for m, p in operations if m == "POST"} == {
        "/customers/{}/pin-verifications",
        "/customers/{}/cards/{}/block",
    }


def test_server_serves_exactly_the_contract(tmp_path: Path) -> None:
    app = create_crm_app(EmbeddedSqliteCrm(tmp_path / "crm.sqlite3"))
    served = {
        (route.method, re.sub(r"\{[^}]+\}", "{}", route.resource.canonical))
        for route in app.router.routes()
        if route.method in ("GET", "POST") and route.resource is not None
    }
    assert served == _operations()


def test_client_can_call_exactly_the_contract() -> None:
    allowed = {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in _ALLOWED}
    assert allowed == _operations()
