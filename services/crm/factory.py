"""Chooses the CRM adapter from settings."""

from __future__ import annotations

from config import CrmBackend, Settings
from services.crm.base import Crm


def create_crm(settings: Settings) -> Crm:
    """The embedded SQLite CRM by default; the HTTP (API Management) client with CRM=http."""
    if settings.crm is CrmBackend.HTTP:
        from services.crm.http_crm import HttpCrm

        return HttpCrm(settings.crm_http)
    from services.crm.embedded_sqlite import EmbeddedSqliteCrm

    return EmbeddedSqliteCrm(settings.data_dir / "crm.sqlite3")
