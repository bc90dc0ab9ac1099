"""Deployment smoke test without Azure: main.bicep's app settings are the settings config.py reads."""

from __future__ import annotations

import re
from enum import Enum

import pytest
from pydantic import AliasChoices, BaseModel, SecretStr

from config import Settings, environment_variables
from tests.support import bicep

# App Service platform settings: read by the platform (Oryx build, port mapping), not by the bot.
PLATFORM_SETTINGS = {"WEBSITES_PORT", "SCM_DO_BUILD_DURING_DEPLOYMENT"}
# SecretStr in config.py, yet written in clear on purpose: Application Insights has local auth disabled, so
# the connection string only names the ingestion endpoint; the bot sends with its managed identity.
NOT_SECRET_HERE = {"TELEMETRY__APPLICATIONINSIGHTS_CONNECTION_STRING"}
# What each Azure backend the template switches on needs to start (the factories' required settings).
NEEDED_BY_BACKEND = {
    ("RECOGNIZER", "clu"): {"CLU__ENDPOINT"},
    ("STT", "azure"): {"AZURE_SPEECH__ENDPOINT"},
    ("TTS", "azure"): {"AZURE_SPEECH__ENDPOINT"},
    ("KNOWLEDGE", "azure"): {"AZURE_SEARCH__ENDPOINT"},
    ("KNOWLEDGE_EMBEDDINGS", "azure_openai"): {
        "AZURE_OPENAI__ENDPOINT",
        "AZURE_OPENAI__EMBEDDING_DEPLOYMENT",
    },
    ("GENERATOR", "azure_openai"): {"AZURE_OPENAI__ENDPOINT", "AZURE_OPENAI__CHAT_DEPLOYMENT"},
    ("SUMMARIZER", "azure_openai"): {"AZURE_OPENAI__ENDPOINT", "AZURE_OPENAI__CHAT_DEPLOYMENT"},
    ("STORAGE", "cosmos"): {"COSMOS__ENDPOINT", "COSMOS__DATABASE", "COSMOS__CONTAINER"},
    ("CRM", "http"): {"CRM_HTTP__BASE_URL", "CRM_HTTP__AUTH"},
}
# Needed whatever the backends: the channel identity, production mode, the phone path, the agent console.
ALWAYS_NEEDED = {
    "APP_ENV",
    "MicrosoftAppId",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "VOICE__SOFTPHONE_ENABLED",
    "ACS__ENDPOINT",
    "ACS__RESOURCE_ID",
    "ACS__PUBLIC_BASE_URL",
    "ACS__EVENT_GRID_SECRET",
    "HANDOFF__AGENT_PHONE_NUMBER",
    "HANDOFF__CONSOLE_PASSWORD",
    "PIN_LOCKOUT__SUBJECT_KEY",
    "TELEMETRY__APPLICATIONINSIGHTS_CONNECTION_STRING",
    "TELEMETRY__ENTRA_AUTH",
}


def _field_types(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, object]:
    """Environment name → annotation, walking nested sections the way config.environment_variables does."""
    found: dict[str, object] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= _field_types(annotation, f"{prefix}{name.upper()}__")
            continue
        alias = field.validation_alias
        env_name = alias.choices[0] if isinstance(alias, AliasChoices) else f"{prefix}{name.upper()}"
        found[str(env_name)] = annotation
    return found


def _candidates(expression: str, params: dict[str, bicep.Param]) -> list[str]:
    """Every value an app setting can take: a ternary's literals, a param's @allowed list, or a stand-in."""
    if expression in params and params[expression].allowed:
        return list(params[expression].allowed)
    if expression.startswith("string(") and params[expression[7:-1]].type == "array":
        return ['["203.0.113.0/24"]', "[]"]  # an array param written as JSON
    found = bicep.literals(expression)
    return found or ["https://placeholder.example/" + re.sub(r"\W", "", expression)[:20]]


def test_every_app_setting_is_a_setting_config_reads() -> None:
    read = {name for name, _ in environment_variables()}
    unknown = set(bicep.app_settings()) - read - PLATFORM_SETTINGS
    assert not unknown, f"main.bicep writes settings config.py never reads: {sorted(unknown)}"


def test_every_setting_the_production_bot_needs_is_set() -> None:
    settings = bicep.app_settings()
    needed = set(ALWAYS_NEEDED)
    for (switch, value), names in NEEDED_BY_BACKEND.items():
        if switch in settings and value in bicep.literals(settings[switch]):
            needed |= names
    assert not needed - set(settings), f"main.bicep does not set: {sorted(needed - set(settings))}"
    # The template switches every backend to Azure: nothing in production falls back to the embedded twins.
    switched = {switch for switch, _ in NEEDED_BY_BACKEND}
    assert switched <= set(settings)


def test_secret_settings_are_key_vault_references() -> None:
    types = _field_types()
    for name, expression in bicep.app_settings().items():
        if types.get(name) is SecretStr and name not in NOT_SECRET_HERE:
            assert bicep.is_key_vault_reference(expression), f"{name} is secret but written as {expression}"
        elif name in types:
            assert "@Microsoft.KeyVault" not in expression, f"{name} is not secret in config.py"


def test_acs_is_reached_with_the_managed_identity_not_a_key() -> None:
    settings = bicep.app_settings()
    assert "ACS__CONNECTION_STRING" not in settings and "ACS__ENDPOINT" in settings
    assert "acs-connection-string" not in bicep.text("modules/keyVaultSecrets.bicep")
    rbac = bicep.text("modules/rbac.bicep")
    assert re.search(r"resource callAutomation '[^']+' = \{\n  scope: communication\n", rbac)


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_every_value_the_template_can_write_loads_into_settings(monkeypatch, variant) -> None:
    """Each branch of each ternary (and each @allowed param value) is a value config.py accepts."""
    params = bicep.params(bicep.text())
    for name, _ in environment_variables():
        monkeypatch.delenv(name, raising=False)
    for name, expression in bicep.app_settings().items():
        options = _candidates(expression, params)
        monkeypatch.setenv(name, options[variant % len(options)])
    settings = Settings(_env_file=None)
    assert not settings.is_anonymous, "the deployed bot must not run /api/messages anonymously"
    for switch, _ in NEEDED_BY_BACKEND:
        value = getattr(settings, switch.lower())
        assert isinstance(value, Enum) and value.value != "embedded", f"{switch} stays embedded"


def test_staging_and_prod_run_in_production_mode_without_the_softphone() -> None:
    main = bicep.text()
    settings = bicep.app_settings()
    assert "var productionMode = environmentName != 'dev'" in main
    assert settings["APP_ENV"] == "productionMode ? 'production' : 'development'"
    assert settings["VOICE__SOFTPHONE_ENABLED"] == "productionMode ? 'false' : 'true'"


def test_bot_registration_matches_the_app_settings() -> None:
    main = bicep.text()
    params = bicep.params(main)
    settings = bicep.app_settings()
    # botbuilder's ConfigurationServiceClientCredentialFactory knows these app types (case-insensitive).
    assert {t.lower() for t in params["botAppType"].allowed} <= {"userassignedmsi", "singletenant"}
    assert settings["MicrosoftAppType"] == "botAppType"
    assert settings["MicrosoftAppId"] == "botClientId"
    assert settings["MicrosoftAppTenantId"] == "tenant().tenantId"
    assert bicep.is_key_vault_reference(settings["MicrosoftAppPassword"])
    assert "messagingEndpoint: 'https://${siteName}.azurewebsites.net/api/messages'" in main
    assert settings["ACS__PUBLIC_BASE_URL"] == "'https://${siteName}.azurewebsites.net'"
    assert params["botAppPassword"].secure and params["telephonySpeechKey"].secure


def test_parameter_files_name_only_template_params() -> None:
    import json

    declared = bicep.params(bicep.text())
    for env in ("dev", "staging", "prod"):
        path = bicep.TEMPLATES / "parameters" / f"{env}.parameters.json"
        given = json.loads(path.read_text())["parameters"]
        assert set(given) <= set(declared), f"{env}: unknown params {set(given) - set(declared)}"
        required = {n for n, p in declared.items() if p.default is None}
        assert required <= set(given), f"{env}: missing params {required - set(given)}"
        for name, value in given.items():
            allowed = declared[name].allowed
            if allowed and "value" in value:
                assert str(value["value"]) in allowed, f"{env}: {name}={value['value']} not in {allowed}"
            if declared[name].secure:
                assert "reference" in value, f"{env}: secure {name} must be a Key Vault reference"


def test_the_parser_reads_every_branch_of_the_union() -> None:
    """Guards the helper itself: settings from the conditional branches are found, with their comments cut."""
    settings = bicep.app_settings()
    assert {"CRM_HTTP__ENTRA_SCOPE", "CRM_HTTP__SUBSCRIPTION_KEY", "MicrosoftAppPassword"} <= set(settings)
    assert settings["TELEMETRY__ENTRA_AUTH"] == "'true'"
    assert bicep.literals("a ? 'x' : 'y${b}'") == ["x"]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
@pytest.mark.parametrize("bot_app_type", ["UserAssignedMSI", "SingleTenant"])
def test_each_deployment_passes_production_modes_start_up_check(monkeypatch, environment, bot_app_type):
    """What one deployment writes, loaded as the app loads it: staging and prod start in production mode
    with nothing production mode refuses, and without the softphone; dev runs in development mode."""
    from core.security.production import production_problems

    conditions = {
        "productionMode": environment != "dev",
        "environmentName == 'prod'": environment == "prod",
        "userAssignedBot": bot_app_type == "UserAssignedMSI",
        "crmAuth == 'entra'": False,
    }
    values = {
        "botAppType": bot_app_type,
        "crmAuth": "subscription_key",
        "location": "eastus2",
        "agentPhoneNumber": "+14255550199",
        "agentTeamsId": "",
        "string(trustedProxies)": '["169.254.0.0/16"]',
    }
    for name, _ in environment_variables():
        monkeypatch.delenv(name, raising=False)
    for name, value in bicep.app_settings_for(conditions, values).items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)

    assert settings.is_production is (environment != "dev")
    assert production_problems(settings) == []
    assert settings.softphone_on is (environment == "dev")
    assert settings.app_type == bot_app_type and settings.app_id
    assert bool(settings.app_password.get_secret_value()) is (bot_app_type == "SingleTenant")
    assert settings.security.trusted_proxies == ("169.254.0.0/16",)
