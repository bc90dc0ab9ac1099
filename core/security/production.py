"""Production mode (``APP_ENV=production``) refuses to start with an open configuration."""

from __future__ import annotations

from config import CrmBackend, Settings

MANAGED_IDENTITY_APP_TYPE = "userassignedmsi"
"""botbuilder's app type whose channel credential is a managed identity (no password)."""


class UnsafeConfiguration(RuntimeError):
    """Production settings that would leave a door open; the message lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "APP_ENV=production refuses to start:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + "\n(see README.md, Security; APP_ENV=development runs locally without them)"
        )


def production_problems(settings: Settings) -> list[str]:
    """What an attacker could use in this configuration; empty in development or when all is closed."""
    if not settings.is_production:
        return []
    problems = []
    if not settings.app_id:
        problems.append(
            "MicrosoftAppId is not set: /api/messages would accept activities from anyone, as any caller"
        )
    managed_identity = settings.app_type.strip().lower() == MANAGED_IDENTITY_APP_TYPE
    if settings.app_id and not managed_identity and not settings.app_password.get_secret_value():
        problems.append("MicrosoftAppPassword is not set (needed unless MicrosoftAppType=UserAssignedMSI)")
    if not settings.handoff.console_password.get_secret_value():
        problems.append(
            "HANDOFF__CONSOLE_PASSWORD is not set: the agent console would use a one-time password "
            "that only this instance knows"
        )
    acs_configured = bool(settings.acs.connection_string.get_secret_value() or settings.acs.endpoint)
    if acs_configured and not settings.acs.event_grid_secret.get_secret_value():
        problems.append(
            "ACS__EVENT_GRID_SECRET is not set while ACS is configured: anyone could post call events"
        )
    if not settings.pin_lockout.subject_key.get_secret_value():
        problems.append(
            "PIN_LOCKOUT__SUBJECT_KEY is not set: PIN-lockout counters and caller pseudonyms in the state "
            "store would be keyed by a public default, so a calling number could be recovered from them"
        )
    if settings.crm is CrmBackend.EMBEDDED and not settings.embedded_crm.pin_pepper.get_secret_value():
        problems.append(
            "EMBEDDED_CRM__PIN_PEPPER is not set while CRM=embedded: the PINs' hash key would be a file on "
            "the same disk as the customer table (set it from Key Vault)"
        )
    if not settings.security.service_url_hosts:
        problems.append("SECURITY__SERVICE_URL_HOSTS is empty: the bot could not reply on any channel")
    return problems


def ensure_safe_to_run(settings: Settings) -> None:
    """Raise UnsafeConfiguration when production mode finds an open door."""
    problems = production_problems(settings)
    if problems:
        raise UnsafeConfiguration(problems)
