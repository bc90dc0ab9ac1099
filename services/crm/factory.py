"""Chooses the CRM adapter from settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from config import CrmBackend, Settings
from services.crm.base import Crm

if TYPE_CHECKING:
    from services.crm.embedded_sqlite import EmbeddedSqliteCrm


def create_crm(settings: Settings) -> Crm:
    """The embedded SQLite CRM by default; the HTTP (API Management) client with CRM=http."""
    if settings.crm is CrmBackend.HTTP:
        from services.crm.http_crm import HttpCrm

        return HttpCrm(settings.crm_http)
    return create_embedded_crm(settings)


def create_embedded_crm(settings: Settings, db_path: Path | None = None) -> EmbeddedSqliteCrm:
    """The demo CRM on ``db_path`` (default ``<DATA_DIR>/crm.sqlite3``), its PINs keyed by the configured
    pepper (a generated file under the data folder when none is set: development only)."""
    from services.crm.embedded_sqlite import EmbeddedSqliteCrm

    pepper = settings.embedded_crm.pin_pepper.get_secret_value()
    return EmbeddedSqliteCrm(
        db_path or settings.data_dir / "crm.sqlite3", pin_pepper=pepper.encode() if pepper else None
    )
