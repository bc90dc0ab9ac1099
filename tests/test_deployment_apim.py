"""API Management publishes the CRM contract the bot speaks: every call HttpCrm makes is an operation."""

from __future__ import annotations

import re

import yaml

from services.crm import http_crm
from tests.support import bicep

CONTRACT = bicep.ROOT / "services" / "crm" / "openapi.yaml"


def _shape(template: str) -> str:
    """A path with its parameter names blanked: /customers/{id} and /customers/{customerId} compare equal."""
    return re.sub(r"\{[^}]+\}", "{}", template)


def test_the_crm_api_is_imported_from_the_contract_file() -> None:
    apim = bicep.text("modules/apim.bicep")
    match = re.search(r"value: loadTextContent\('([^']+)'\)", apim)
    assert match, "the crm API must import its operations (format openapi + the contract's text)"
    assert (bicep.TEMPLATES / "modules" / match[1]).resolve() == CONTRACT
    assert "format: 'openapi'" in apim  # YAML content; 'openapi+json' would need JSON


def test_every_operation_the_bot_calls_exists_in_the_contract() -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    offered = {(method.upper(), _shape(path)) for path, ops in contract["paths"].items() for method in ops}
    called = {(method, _shape(path)) for method, path in http_crm._ALLOWED}
    assert called <= offered, f"APIM would answer 404 OperationNotFound for {sorted(called - offered)}"


def test_the_bot_sends_the_key_header_the_contract_declares() -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    scheme = contract["components"]["securitySchemes"]["subscriptionKey"]
    assert scheme == {"type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"}
    assert '"Ocp-Apim-Subscription-Key"' in (bicep.ROOT / "services" / "crm" / "http_crm.py").read_text()


def test_the_bot_base_url_is_the_imported_api_path() -> None:
    apim = bicep.text("modules/apim.bicep")
    assert re.search(r"^    path: 'crm'$", apim, re.MULTILINE)
    assert "output crmBaseUrl string = '${apim.properties.gatewayUrl}/crm'" in apim
    assert bicep.app_settings()["CRM_HTTP__BASE_URL"] == "apim.outputs.crmBaseUrl"


def test_the_policy_authenticates_and_routes_to_the_declared_backend() -> None:
    apim = bicep.text("modules/apim.bicep")
    policy = bicep.text("modules/apimPolicy.bicep")
    backend = re.search(r"resource backend '[^']+' = \{\n  parent: apim\n  name: '([^']+)'", apim)
    assert backend and f'<set-backend-service backend-id="{backend[1]}" />' in policy
    assert "subscriptionRequired: !entra" in apim  # key auth unless Entra tokens are validated instead
    assert '<validate-jwt header-name="Authorization"' in policy
    assert '<claim name="oid" match="any">' in policy  # only the bot's identity, not any token of the tenant
    assert "var authPolicy = entra ? replace(jwtForTenant, '{caller}', callerPrincipalId) : ''" in policy
    # The app setting and APIM follow the same switch, so the bot never sends a key APIM ignores.
    assert bicep.app_settings()["CRM_HTTP__AUTH"] == "crmAuth"
    assert "crmAuth: crmAuth" in bicep.text()
