"""Production mode refuses to run open (issue 11, item 2): ``APP_ENV=production`` without channel
credentials (or with another open door) exits non-zero with a clear message, before serving anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT, Settings, environment_variables
from core.security.production import UnsafeConfiguration, ensure_safe_to_run, production_problems


def _clean_environment(**values: str) -> dict[str, str]:
    """The process environment without any of the bot's settings, plus ``values``."""
    names = {name.upper() for name, _ in environment_variables()}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(values)
    return env


def test_production_without_bot_credentials_refuses_to_start(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "app.py")],
        cwd=tmp_path,  # no .env here
        env=_clean_environment(APP_ENV="production", PORT="4002"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "APP_ENV=production refuses to start" in result.stderr
    assert "MicrosoftAppId is not set" in result.stderr
    assert "HANDOFF__CONSOLE_PASSWORD is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert "one-time password" not in result.stdout  # nothing was printed for the console either


def _production(**values: object) -> Settings:
    base: dict[str, object] = {
        "app_env": "production",
        "app_id": "00000000-0000-0000-0000-0000000000aa",
        "app_password": "secret-from-the-vault",
        "handoff": {"console_password": "a-long-console-password"},
        "pin_lockout": {"subject_key": "a-key-from-the-vault"},
        "embedded_crm": {"pin_pepper": "a-pepper-from-the-vault"},
    }
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


def test_production_with_credentials_starts():
    assert production_problems(_production()) == []
    ensure_safe_to_run(_production())


def test_production_refuses_an_app_id_without_a_password_unless_managed_identity():
    problems = production_problems(_production(app_password=""))
    assert any("MicrosoftAppPassword" in problem for problem in problems)
    assert production_problems(_production(app_password="", app_type="UserAssignedMSI")) == []


def test_production_refuses_acs_without_an_event_grid_secret():
    settings = _production(acs={"endpoint": "https://contoso.communication.azure.com"})
    with pytest.raises(UnsafeConfiguration, match="ACS__EVENT_GRID_SECRET"):
        ensure_safe_to_run(settings)
    secured = _production(
        acs={"endpoint": "https://contoso.communication.azure.com", "event_grid_secret": "s3cret"}
    )
    assert production_problems(secured) == []


def test_production_refuses_a_public_key_for_caller_pseudonyms():
    """Without the key, the names of PIN counters and callers in the state store are unkeyed hashes of
    phone numbers: anyone with the store could recover a number by trying them all."""
    with pytest.raises(UnsafeConfiguration, match="PIN_LOCKOUT__SUBJECT_KEY"):
        ensure_safe_to_run(_production(pin_lockout={"subject_key": ""}))


def test_development_runs_open_as_before():
    settings = Settings(_env_file=None)
    assert not settings.is_production and settings.is_anonymous
    assert production_problems(settings) == []


def test_production_refuses_the_embedded_crm_without_a_pin_pepper():
    """The generated pepper file sits on the same disk as the customer table: production takes it from the
    secrets provider (Key Vault) or does not start. The REST CRM verifies PINs itself and needs none."""
    with pytest.raises(UnsafeConfiguration, match="EMBEDDED_CRM__PIN_PEPPER"):
        ensure_safe_to_run(_production(embedded_crm={"pin_pepper": ""}))
    assert production_problems(_production(embedded_crm={"pin_pepper": ""}, crm="http")) == []
